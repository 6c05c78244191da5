// How much the harness itself was held up, and how busy the machine was. On a
// busy machine (a CI runner, several suites at once) this process may not run
// for hundreds of milliseconds; a deadline that expired meanwhile measured the
// scheduler, not the peer. A timer ticks every TICK_MS; a tick that comes late
// records a stall. Waits ask how long they were stalled and extend their
// deadline by it. A peer in another process (a server, a client driver) can be
// starved while this process is not: the machine's CPU pressure says when
// that may have happened, and runner.ts then confirms a verdict about time.

import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

const TICK_MS = 10;
/** lateness below this is ordinary timer jitter, not a stall */
const STALL_MS = 20;
/** stalls older than this are forgotten (no wait or scenario is longer) */
const KEEP_MS = 15 * 60_000;
/** how often the machine's CPU counters are read */
const SAMPLE_MS = 100;

/** A reading of the machine's CPU counters: a fraction of time is taken between two of them. */
interface CpuReading {
  /** µs during which some task waited for a CPU (Linux PSI), or CPU time used (/proc/stat) */
  pressure: number;
  /** µs of wall time (PSI), or of CPU time available (/proc/stat) */
  total: number;
}

/**
 * Where readable: Linux PSI (the share of time some task waited for a CPU), or
 * else /proc/stat (the share of CPU time used, a weaker sign). Undefined
 * elsewhere: then the machine counts as busy, and verdicts about time are always confirmed.
 */
function readCpu(): CpuReading | undefined {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    if (m) return { pressure: Number(m[1]), total: performance.now() * 1000 };
  } catch {
    // no PSI (older kernels, some containers)
  }
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { pressure: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

interface PressureSample {
  /** performance.now() at the end of the sample */
  end: number;
  /** its length, ms */
  ms: number;
  /** share of the time the machine was short of CPU, 0..1 */
  share: number;
}

export interface Stall {
  /** performance.now() when the stall ended */
  end: number;
  ms: number;
}

class LoadMonitor {
  private readonly stalls: Stall[] = [];
  private readonly pressure: PressureSample[] = [];
  private lastCpu?: CpuReading & { at: number };
  private lastSample = 0;
  private histogram?: IntervalHistogram;
  private timer?: NodeJS.Timeout;
  private expected = 0;

  /** Idempotent; the timer never keeps the process alive. */
  start(): void {
    if (this.timer) return;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.expected = performance.now() + TICK_MS;
    this.sampleCpu(performance.now());
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.expected;
    if (late > STALL_MS) {
      this.stalls.push({ end: now, ms: late });
      while (this.stalls.length > 0 && this.stalls[0]!.end < now - KEEP_MS) this.stalls.shift();
    }
    this.expected = now + TICK_MS;
    if (now - this.lastSample >= SAMPLE_MS) this.sampleCpu(now);
  }

  private sampleCpu(now: number): void {
    this.lastSample = now;
    const cpu = readCpu();
    const last = this.lastCpu;
    this.lastCpu = cpu && { ...cpu, at: now };
    if (!cpu || !last || cpu.total <= last.total) return;
    const share = Math.min(1, Math.max(0, (cpu.pressure - last.pressure) / (cpu.total - last.total)));
    this.pressure.push({ end: now, ms: now - last.at, share });
    while (this.pressure.length > 0 && this.pressure[0]!.end < now - KEEP_MS) this.pressure.shift();
  }

  /**
   * The share of [from, to] during which the machine was short of CPU (0..1): a
   * peer in another process may have been starved then. 1 where it cannot be read.
   */
  cpuPressure(from: number, to = performance.now()): number {
    if (!this.timer || this.lastCpu === undefined) return 1;
    let weighted = 0;
    let covered = 0;
    for (let i = this.pressure.length - 1; i >= 0; i--) {
      const p = this.pressure[i]!;
      if (p.end <= from) break;
      const overlap = Math.max(0, Math.min(p.end, to) - Math.max(p.end - p.ms, from));
      weighted += overlap * p.share;
      covered += overlap;
    }
    return covered > 0 ? weighted / covered : 0;
  }

  /** Milliseconds of [from, to] (performance.now() times) during which this process was stalled. */
  stalledMs(from: number, to = performance.now()): number {
    if (!this.timer) return 0;
    // The current, still running stall counts too: a wait woken late by a timer is inside one.
    this.tick();
    let sum = 0;
    for (let i = this.stalls.length - 1; i >= 0; i--) {
      const s = this.stalls[i]!;
      if (s.end <= from) break;
      const start = s.end - s.ms;
      sum += Math.max(0, Math.min(s.end, to) - Math.max(start, from));
    }
    return sum;
  }

  /** The longest single stall since start(), and the 99th percentile of event-loop delay, in ms. */
  summary(): { maxMs: number; p99Ms: number } {
    const h = this.histogram;
    if (!h || h.count === 0) return { maxMs: 0, p99Ms: 0 };
    return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
  }
}

/** The one monitor of this process. */
export const load = new LoadMonitor();
