// Cross-cutting checks: every response any scenario reads is also checked
// against a few rules that hold everywhere (a silent close after a response,
// a close-delimited body on a kept connection, chunked toward HTTP/1.0, a body
// announced where none may be). What is seen is reported once, under the
// scenario that owns the rule, with the bytes from where it was seen.

import type { Result, WireEvent } from './model.js';
import { outcomeOf } from './outcome.js';

/** The rule keys connections report; scenarios name them in `owns`. */
export type CrossRule = 'PERSIST-02' | 'PERSIST-03' | 'KA10-03' | 'FRAME-12' | 'CHUNK-10';

export interface Sighting {
  rule: CrossRule;
  /** the scenario on whose connection it was seen */
  scenario: string;
  conn: string;
  /** what was seen, in one sentence */
  what: string;
  /** that connection's events up to the sighting */
  events: WireEvent[];
}

export class Sightings {
  private readonly list: Sighting[] = [];

  /** One sighting per rule and scenario is enough evidence. */
  add(s: Sighting): void {
    if (this.list.some((x) => x.rule === s.rule && x.scenario === s.scenario)) return;
    this.list.push(s);
  }

  of(rules: readonly string[], except: string): Sighting[] {
    return this.list.filter((s) => rules.includes(s.rule) && s.scenario !== except);
  }

  get size(): number {
    return this.list.length;
  }
}

/**
 * The owner's result with what other scenarios saw of its rules. A result that
 * already fails keeps its own verdict; the sightings are added as evidence.
 */
export function withSightings(r: Result, sightings: Sighting[], strict: boolean): Result {
  if (sightings.length === 0) return r;
  const first = sightings[0]!;
  const where = [...new Set(sightings.map((s) => s.scenario))];
  const events: WireEvent[] = [...r.events];
  for (const s of sightings) {
    events.push({
      t: 0,
      conn: '',
      type: 'note',
      text: `seen in scenario ${s.scenario} on its connection ${s.conn}: ${s.what}`,
    });
    for (const e of s.events) events.push({ ...e, conn: `${s.scenario}/${e.conn}` });
  }
  if (r.finding.kind === 'violated' || r.finding.kind === 'harnessError') return { ...r, events };
  const finding = {
    kind: 'violated' as const,
    summary: `${first.what} (seen in ${where.length === 1 ? 'scenario' : `${where.length} scenarios, first`} ${first.scenario})`,
    expected: `no scenario sees a breach of ${[...new Set(sightings.map((s) => s.rule))].join(', ')}`,
    seen: sightings.map((s) => `${s.scenario}: ${s.what}`).join('; '),
  };
  return {
    ...r,
    finding,
    outcome: outcomeOf(finding, r.scenario.level, strict),
    level: r.scenario.level,
    events,
  };
}
