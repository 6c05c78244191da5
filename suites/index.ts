// All scenarios, checked once at load: unique ids, known areas, covers present;
// and the selection by role, area, grep and exclude, in report order.

import { AREA_KEYS, type Area, type Role, type ScenarioInfo } from '../harness/model.js';
import { CLIENT_SCENARIOS } from './client/index.js';
import { PROXY_SCENARIOS } from './proxy/index.js';
import { SERVER_SCENARIOS } from './server/index.js';

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function validateScenarios(list: readonly ScenarioInfo[]): void {
  const seen = new Set<string>();
  for (const s of list) {
    if (!ID.test(s.id)) throw new Error(`scenario id ${JSON.stringify(s.id)} is not kebab-case`);
    if (seen.has(s.id)) throw new Error(`duplicate scenario id ${s.id}`);
    seen.add(s.id);
    if (!AREA_KEYS.includes(s.area)) throw new Error(`scenario ${s.id} has unknown area ${s.area}`);
    if (s.covers.length === 0) throw new Error(`scenario ${s.id} covers no requirement`);
    if ((s.role === 'proxy') !== s.id.startsWith('proxy-'))
      throw new Error(`scenario ${s.id}: proxy scenario ids, and only they, start with proxy-`);
  }
}

const ALL: readonly ScenarioInfo[] = [...SERVER_SCENARIOS, ...CLIENT_SCENARIOS, ...PROXY_SCENARIOS];
validateScenarios(ALL);

export interface Selection {
  role?: Role;
  areas?: Area[];
  grep?: RegExp;
  /** leave out scenarios whose id or title matches */
  exclude?: RegExp;
}

function pick<S extends ScenarioInfo>(list: readonly S[], sel: Selection): S[] {
  const areaOrder = (a: Area) => AREA_KEYS.indexOf(a);
  const matches = (re: RegExp, s: S) => re.test(s.id) || re.test(s.title);
  return list
    .filter(
      (s) =>
        (!sel.role || s.role === sel.role) &&
        (!sel.areas || sel.areas.includes(s.area)) &&
        (!sel.grep || matches(sel.grep, s)) &&
        !(sel.exclude && matches(sel.exclude, s)),
    )
    .sort((a, b) => areaOrder(a.area) - areaOrder(b.area));
}

export function allScenarios(): readonly ScenarioInfo[] {
  return ALL;
}

export function selectScenarios(sel: Selection): ScenarioInfo[] {
  return pick(ALL, sel);
}

export function serverScenarios(sel: Omit<Selection, 'role'> = {}) {
  return pick(SERVER_SCENARIOS, sel);
}

export function clientScenarios(sel: Omit<Selection, 'role'> = {}) {
  return pick(CLIENT_SCENARIOS, sel);
}

export function proxyScenarios(sel: Omit<Selection, 'role'> = {}) {
  return pick(PROXY_SCENARIOS, sel);
}
