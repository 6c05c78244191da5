import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result, RunInfo, WireEvent } from '../harness/model.js';
import { escapeBytes } from '../harness/wire/transcript.js';
import { countOutcomes } from './symbols.js';

export type { RunInfo };

/**
 * Bytes kept per transcript event, and per scenario, in the JSON report; the true
 * length of every event is always given (a deep pipeline of large bodies would
 * otherwise make the report tens of megabytes of repeated body bytes).
 */
const MAX_EVENT_BYTES = 16 * 1024;
const MAX_SCENARIO_BYTES = 1024 * 1024;

function eventsJson(events: readonly WireEvent[]) {
  let budget = MAX_SCENARIO_BYTES;
  return events.map((e) => {
    const keep = e.bytes ? Math.max(0, Math.min(e.bytes.length, MAX_EVENT_BYTES, budget)) : 0;
    budget -= keep;
    return {
      t: Math.round(e.t * 10) / 10,
      conn: e.conn,
      type: e.type,
      ...(e.text !== undefined ? { text: e.text } : {}),
      ...(e.bytes
        ? {
            length: e.bytes.length,
            data: keep > 0 ? escapeBytes(e.bytes, keep) : '',
            ...(keep < e.bytes.length ? { truncated: true } : {}),
          }
        : {}),
    };
  });
}

export function resultsJson(info: RunInfo, results: Result[]) {
  return {
    tool: 'keepalive-spec',
    ...info,
    counts: countOutcomes(results.map((r) => r.outcome)),
    results: results.map((r) => ({
      ...r.scenario,
      outcome: r.outcome,
      judgedLevel: r.level,
      finding: r.finding,
      startedAt: new Date(r.startedAt).toISOString(),
      durationMs: r.durationMs,
      ...(r.stalledMs ? { harnessStalledMs: r.stalledMs } : {}),
      ...(r.confirmation ? { confirmation: r.confirmation } : {}),
      ...(r.expected ? { expected: r.expected } : {}),
      transcript: eventsJson(r.events),
    })),
  };
}

export function writeJson(file: string, info: RunInfo, results: Result[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(resultsJson(info, results), null, 2)}\n`);
}
