// Waiting on wire events with a deadline: the one pattern every connection,
// server and scenario uses. Nothing here sleeps longer than asked, and an
// abort (scenario deadline, Ctrl-C) ends every wait at once.

import { performance } from 'node:perf_hooks';

/** Thrown out of any wait when the scenario is cancelled (deadline or Ctrl-C). */
export class Aborted extends Error {
  constructor(reason = 'cancelled') {
    super(reason);
    this.name = 'Aborted';
  }
}

/** Wake-ups for code that polls a condition on every event. */
export class Waiters {
  private readonly set = new Set<() => void>();

  wake(): void {
    for (const w of [...this.set]) w();
  }

  /** Call `check` now and after every wake until it yields a value, or the deadline passes. */
  async until<T>(check: () => T | undefined, timeoutMs: number, signal: AbortSignal): Promise<T | 'timeout'> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (signal.aborted) throw new Aborted();
      const v = check();
      if (v !== undefined) return v;
      const left = deadline - performance.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.set.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.set.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}

/** A pause that ends early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
