// Every scenario is proven both ways: it passes on the reference target and
// fails on a faulty target built to break exactly its rule (DESIGN.md).

import { expect } from 'chai';
import type { Result } from '../harness/model.js';
import { serverScenarios } from '../harness/registry.js';
import { FAULTY_SERVERS } from '../targets/faulty/servers/index.js';
import { runAgainst, why } from './helpers.js';

const scenarios = serverScenarios();

describe('self-validation of the server scenarios', function () {
  this.timeout(120_000);
  let reference: Map<string, Result>;
  const faulty = new Map<string, Map<string, Result>>();

  before(async () => {
    const runs = FAULTY_SERVERS.map(async (f) =>
      faulty.set(f.name, await runAgainst(`faulty:${f.name}`, f.breaks)),
    );
    [reference] = await Promise.all([runAgainst('reference'), ...runs]);
  });

  for (const s of scenarios) {
    describe(s.id, () => {
      it('passes on the reference target (strict)', () => {
        const r = reference.get(s.id);
        expect(['pass', 'info'], why(r)).to.include(r?.outcome);
      });

      it('fails on a faulty target built to break its rule (strict)', () => {
        const catchers = FAULTY_SERVERS.filter((f) => f.breaks.includes(s.id));
        expect(
          catchers.map((f) => f.name),
          `no faulty target lists ${s.id} in breaks`,
        ).to.not.be.empty;
        for (const f of catchers) {
          const r = faulty.get(f.name)?.get(s.id);
          expect(r?.outcome, `faulty:${f.name}: ${why(r)}`).to.equal('fail');
        }
      });
    });
  }

  it('every faulty target names only known scenarios', () => {
    const ids = new Set(scenarios.map((s) => s.id));
    for (const f of FAULTY_SERVERS)
      for (const id of f.breaks) expect(ids.has(id), `faulty:${f.name} breaks unknown ${id}`).to.equal(true);
  });
});
