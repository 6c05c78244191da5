import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result, WireEvent } from '../harness/model.js';
import { escapeBytes } from '../harness/wire/transcript.js';
import { countOutcomes } from './symbols.js';

/** Bytes kept per transcript event in the JSON report; the true length is always given. */
const MAX_EVENT_BYTES = 64 * 1024;

export interface RunInfo {
  mode: 'server' | 'client';
  target: string;
  startedAt: string;
  wallMs: number;
  strict: boolean;
  timeoutMs: number;
  idleMaxMs: number;
  version: string;
  /** why the run ended early, if it did */
  cutShort?: string;
}

function eventJson(e: WireEvent) {
  return {
    t: Math.round(e.t * 10) / 10,
    conn: e.conn,
    type: e.type,
    ...(e.text !== undefined ? { text: e.text } : {}),
    ...(e.bytes
      ? {
          length: e.bytes.length,
          data: escapeBytes(e.bytes, MAX_EVENT_BYTES),
          ...(e.bytes.length > MAX_EVENT_BYTES ? { truncated: true } : {}),
        }
      : {}),
  };
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
      transcript: r.events.map(eventJson),
    })),
  };
}

export function writeJson(file: string, info: RunInfo, results: Result[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(resultsJson(info, results), null, 2)}\n`);
}
