// Waiting on wire events with a deadline: the one pattern every connection,
// server and scenario uses. Nothing here sleeps longer than asked, and an
// abort (scenario deadline, Ctrl-C) ends every wait at once.

import { performance } from 'node:perf_hooks';
import { load } from '../load.js';

/**
 * A wait whose time ran out while this process was stalled (a busy machine) is
 * extended by the stall, up to this many times its own length: it measures the peer.
 */
const MAX_EXTENSION = 4;

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
  async until<T>(
    check: () => T | undefined,
    timeoutMs: number,
    signal: AbortSignal,
    /** false for a pause that is itself the test (an idle time), not a deadline */
    extend = true,
  ): Promise<T | 'timeout'> {
    const started = performance.now();
    let deadline = started + timeoutMs;
    for (;;) {
      if (signal.aborted) throw new Aborted();
      const v = check();
      if (v !== undefined) return v;
      let left = deadline - performance.now();
      if (left <= 0 && extend) {
        const stalled = Math.min(load.stalledMs(started), timeoutMs * MAX_EXTENSION);
        deadline = started + timeoutMs + stalled;
        left = deadline - performance.now();
      }
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
