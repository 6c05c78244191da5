// All scenarios, checked once at load: unique ids, known areas, covers present.

import { AREA_KEYS, type Area, type Role, type Scenario, type ScenarioInfo } from '../harness/model.js';
import { CLIENT_SCENARIOS } from './client/index.js';
import { SERVER_SCENARIOS } from './server/index.js';

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function validateScenarios(list: ReadonlyArray<Scenario<unknown>>): void {
  const seen = new Set<string>();
  for (const s of list) {
    if (!ID.test(s.id)) throw new Error(`scenario id ${JSON.stringify(s.id)} is not kebab-case`);
    if (seen.has(s.id)) throw new Error(`duplicate scenario id ${s.id}`);
    seen.add(s.id);
    if (!AREA_KEYS.includes(s.area)) throw new Error(`scenario ${s.id} has unknown area ${s.area}`);
    if (s.covers.length === 0) throw new Error(`scenario ${s.id} covers no requirement`);
  }
}

const ALL: ReadonlyArray<Scenario<unknown>> = [
  ...(SERVER_SCENARIOS as ReadonlyArray<Scenario<unknown>>),
  ...(CLIENT_SCENARIOS as ReadonlyArray<Scenario<unknown>>),
];
validateScenarios(ALL);

export interface Selection {
  role?: Role;
  areas?: Area[];
  grep?: RegExp;
  /** leave out scenarios whose id or title matches */
  exclude?: RegExp;
}

export function allScenarios(): ReadonlyArray<Scenario<unknown>> {
  return ALL;
}

export function selectScenarios(sel: Selection): Array<Scenario<unknown>> {
  const areaOrder = (a: Area) => AREA_KEYS.indexOf(a);
  return ALL.filter(
    (s) =>
      (!sel.role || s.role === sel.role) &&
      (!sel.areas || sel.areas.includes(s.area)) &&
      (!sel.grep || sel.grep.test(s.id) || sel.grep.test(s.title)) &&
      !(sel.exclude && (sel.exclude.test(s.id) || sel.exclude.test(s.title))),
  ).sort((a, b) => areaOrder(a.area) - areaOrder(b.area));
}

export function serverScenarios(sel: Omit<Selection, 'role'> = {}) {
  return selectScenarios({ ...sel, role: 'server' }) as unknown as typeof SERVER_SCENARIOS;
}

export type { ScenarioInfo };

export function clientScenarios(sel: Omit<Selection, 'role'> = {}) {
  return selectScenarios({ ...sel, role: 'client' }) as unknown as typeof CLIENT_SCENARIOS;
}
