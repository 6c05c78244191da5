// A transcript cut to fit a console: the head (how the scenario began) and the
// events near the end that decide the verdict (what was received, how the
// connection ended), with the repetitive middle replaced by "… N lines cut …".
// A 50-request pipeline would otherwise show its requests and hide the 400 and
// the RST at the end.

import type { WireEvent } from '../harness/model.js';
import { formatTranscript } from '../harness/wire/transcript.js';

/** What the peer did and how connections ended: kept near the end before anything else. */
const DECISIVE: ReadonlySet<WireEvent['type']> = new Set([
  'recv',
  'fin-recv',
  'rst',
  'timeout',
  'error',
  'note',
  'closed',
]);

/** Lines one event may take (a long write or read keeps its first and last lines). */
const EVENT_LINES = 12;

const count = (n: number) => `${n} line${n === 1 ? '' : 's'}`;
/** Where the transcript itself was cut. */
const GAP = (n: number) => `          … ${count(n)} cut (--verbose, --json or --html show all) …`;

/** One event's lines, its own middle cut when it is long. */
function eventLines(ev: WireEvent): string[] {
  const lines = formatTranscript([ev]).split('\n');
  if (lines.length <= EVENT_LINES) return lines;
  const half = Math.floor((EVENT_LINES - 1) / 2);
  const indent = /^\s*/.exec(lines[1] ?? '')?.[0] ?? '';
  const cut = lines.length - 2 * half;
  return [...lines.slice(0, half), `${indent}… ${count(cut)} of this event cut …`, ...lines.slice(-half)];
}

/** The first events that fit in `budget` lines. */
function pickHead(blocks: string[][], budget: number): Set<number> {
  const keep = new Set<number>();
  for (let i = 0; i < blocks.length && blocks[i]!.length <= budget; i++) {
    keep.add(i);
    budget -= blocks[i]!.length;
  }
  return keep;
}

/**
 * Events from the end that fit in `budget` lines, after `from`. A block that does not
 * fit is passed over when it is only what the harness sent, so the decisive events
 * before it can still be shown; a decisive one that does not fit ends the search.
 */
function pickTail(
  events: readonly WireEvent[],
  blocks: string[][],
  from: number,
  budget: number,
): Set<number> {
  const keep = new Set<number>();
  let inGap = false;
  for (let i = blocks.length - 1; i >= from; i--) {
    const size = blocks[i]!.length;
    if (size <= budget) {
      keep.add(i);
      budget -= size;
      inGap = false;
    } else if (!DECISIVE.has(events[i]!.type) && budget > 1) {
      if (!inGap) budget--; // the marker line of the gap
      inGap = true;
    } else break;
  }
  return keep;
}

/** The transcript in at most about `maxLines` lines: head and tail kept, the middle cut. */
export function condenseTranscript(events: readonly WireEvent[], maxLines: number): string {
  const blocks = events.map(eventLines);
  const total = blocks.reduce((n, b) => n + b.length, 0);
  if (total <= maxLines) return blocks.flat().join('\n');
  const head = pickHead(blocks, Math.floor(maxLines / 4));
  const tail = pickTail(events, blocks, head.size, maxLines - sizeOf(blocks, head) - 1);
  const out: string[] = [];
  let cut = 0;
  for (const [i, block] of blocks.entries()) {
    if (!head.has(i) && !tail.has(i)) {
      cut += block.length;
      continue;
    }
    if (cut > 0) out.push(GAP(cut));
    cut = 0;
    out.push(...block);
  }
  if (cut > 0) out.push(GAP(cut));
  return out.join('\n');
}

function sizeOf(blocks: string[][], picked: Set<number>): number {
  let n = 0;
  for (const i of picked) n += blocks[i]!.length;
  return n;
}
