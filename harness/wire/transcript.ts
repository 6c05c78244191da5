import { performance } from 'node:perf_hooks';
import { load } from '../load.js';
import type { WireEvent } from '../model.js';

/** Timestamped events of one scenario: every byte sent and received, FIN, RST, timeouts, notes. */
export class Transcript {
  readonly events: WireEvent[] = [];
  /** performance.now() when it started: lines up transcripts of one scenario kept apart (proxy mode's two hops) */
  readonly t0 = performance.now();
  /** bounded waits that ran out: a verdict reached after one is about time (runner.ts confirms it) */
  expiredWaits = 0;

  /** ms since the scenario started */
  now(): number {
    return performance.now() - this.t0;
  }

  /** ms of [from, to] (transcript times) during which this process was stalled (harness/load.ts) */
  stalledBetween(from: number, to: number): number {
    return load.stalledMs(this.t0 + from, this.t0 + to);
  }

  record(conn: string, type: WireEvent['type'], data?: Buffer | string): WireEvent {
    const ev: WireEvent = { t: this.now(), conn, type };
    if (Buffer.isBuffer(data)) ev.bytes = data;
    else if (data !== undefined) ev.text = data;
    this.events.push(ev);
    return ev;
  }

  note(text: string, conn = ''): void {
    this.record(conn, 'note', text);
  }
}

/**
 * Bytes as readable text: printable ASCII as is, CR and LF shown as \r and \n
 * (a line break follows each \n), everything else as \xNN. Safe for XML and terminals.
 */
export function escapeBytes(buf: Buffer, max = Number.POSITIVE_INFINITY): string {
  let out = '';
  const n = Math.min(buf.length, max);
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === 0x0d) out += '\\r';
    else if (c === 0x0a) out += '\\n\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  if (buf.length > n) out += `… (${buf.length - n} more bytes)`;
  return out;
}

/** One line of text, control characters escaped: for messages and summaries. */
export function escapeLine(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
  // Only control characters are dangerous (terminals, XML); other characters stay readable.
  return cut.replace(/[\x00-\x1f\x7f-\x9f\\]/g, (c) => {
    if (c === '\r') return '\\r';
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\\') return '\\\\';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

const ARROWS: Partial<Record<WireEvent['type'], string>> = {
  send: '>',
  recv: '<',
};

const LABELS: Record<WireEvent['type'], string> = {
  connect: 'connected',
  send: 'sent',
  recv: 'received',
  'fin-recv': 'FIN received (peer closed its side)',
  'fin-sent': 'FIN sent (harness closed its side)',
  rst: 'RST (connection reset)',
  timeout: 'timeout',
  error: 'error',
  note: 'note',
  closed: 'closed',
};

export interface FormatOptions {
  /** bytes shown per send/receive event before eliding */
  maxBytesPerEvent?: number;
  /** events shown before eliding the middle */
  maxEvents?: number;
}

/** The transcript as plain text, one event per block, times in ms. */
export function formatTranscript(events: readonly WireEvent[], opts: FormatOptions = {}): string {
  const maxBytes = opts.maxBytesPerEvent ?? 2048;
  const maxEvents = opts.maxEvents ?? 400;
  let shown: Array<WireEvent | null> = [...events];
  if (shown.length > maxEvents) {
    const head = Math.floor(maxEvents / 2);
    shown = [...events.slice(0, head), null, ...events.slice(events.length - (maxEvents - head))];
  }
  const lines: string[] = [];
  for (const ev of shown) {
    if (!ev) {
      lines.push(`          … ${events.length - maxEvents} events not shown …`);
      continue;
    }
    const t = `${ev.t.toFixed(1).padStart(8)} ms`;
    const who = (ev.conn || '--').padEnd(4);
    const arrow = ARROWS[ev.type];
    if (arrow && ev.bytes) {
      const body = escapeBytes(ev.bytes, maxBytes).replace(/\n$/, '');
      const [first, ...rest] = body.split('\n');
      lines.push(`${t} ${who} ${arrow} ${first}`);
      const pad = ' '.repeat(t.length + who.length + 4);
      for (const r of rest) lines.push(pad + r);
      continue;
    }
    const label = ev.type === 'note' ? '' : `${LABELS[ev.type]}`;
    const text = ev.text ? escapeLine(ev.text, 400) : '';
    lines.push(`${t} ${who} ${label}${label && text ? ': ' : ''}${text}`);
  }
  return lines.join('\n');
}
