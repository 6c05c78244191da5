// The scenario catalogue as plain data: what `keepalive-spec list` prints.

import type { Area, Role, ScenarioInfo } from '../harness/model.js';
import { infoOf } from '../harness/runner.js';
import { selectScenarios } from '../suites/index.js';

export interface ScenarioSelection {
  role?: Role;
  areas?: Area[];
  grep?: RegExp | string;
  exclude?: RegExp | string;
}

const asRegex = (r: RegExp | string | undefined) => (typeof r === 'string' ? new RegExp(r, 'i') : r);

/** Every scenario (or a selection), in report order: id, role, area, level, rfc, covers, title. */
export function listScenarios(sel: ScenarioSelection = {}): ScenarioInfo[] {
  return selectScenarios({
    ...(sel.role ? { role: sel.role } : {}),
    ...(sel.areas ? { areas: sel.areas } : {}),
    ...(sel.grep ? { grep: asRegex(sel.grep) } : {}),
    ...(sel.exclude ? { exclude: asRegex(sel.exclude) } : {}),
  }).map(infoOf);
}
