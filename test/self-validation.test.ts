// Every scenario is proven both ways: it passes on the reference target and
// fails on a faulty target built to break exactly its rule (DESIGN.md). A
// scenario without such a faulty target fails this test.

import { expect } from 'chai';
import type { Result, Role, ScenarioInfo } from '../harness/model.js';
import { clientScenarios, serverScenarios } from '../harness/registry.js';
import { FAULTY_CLIENTS } from '../targets/faulty/clients/index.js';
import { FAULTY_SERVERS } from '../targets/faulty/servers/index.js';
import { runAgainst, runClientAgainst, why } from './helpers.js';

interface Faulty {
  name: string;
  breaks: string[];
}

function prove(
  role: Role,
  scenarios: Array<ScenarioInfo & { transport?: string }>,
  faults: Faulty[],
  run: typeof runAgainst,
) {
  describe(`self-validation of the ${role} scenarios`, function () {
    this.timeout(180_000);
    let reference: Map<string, Result>;
    const faulty = new Map<string, Map<string, Result>>();

    let overTls: Map<string, Result> | undefined;

    before(async () => {
      // A few faulty targets at a time: they share this process's event loop with the harness,
      // and timing-sensitive checks need it responsive.
      const queue = [...faults];
      const worker = async () => {
        for (let f = queue.shift(); f; f = queue.shift())
          faulty.set(f.name, await run(`faulty:${f.name}`, f.breaks));
      };
      // Server scenarios also run over TLS: the TLS rules need it, and every other rule must hold there too.
      const tlsRun = role === 'server' ? run('reference-tls').then((r) => (overTls = r)) : undefined;
      [reference] = await Promise.all([run('reference'), tlsRun]);
      await Promise.all(Array.from({ length: 6 }, worker));
    });

    it('every faulty target names only known scenarios', () => {
      const ids = new Set(scenarios.map((s) => s.id));
      for (const f of faults)
        for (const id of f.breaks)
          expect(ids.has(id), `faulty:${f.name} breaks unknown ${id}`).to.equal(true);
    });

    for (const s of scenarios) {
      describe(s.id, () => {
        it('passes on the reference (strict)', () => {
          const r =
            (s as { transport?: string }).transport === 'tls' ? overTls?.get(s.id) : reference.get(s.id);
          expect(['pass', 'info'], why(r)).to.include(r?.outcome);
        });

        if (role === 'server')
          it('passes on the reference over TLS too (strict)', () => {
            const r = overTls?.get(s.id);
            expect(['pass', 'info'], why(r)).to.include(r?.outcome);
          });

        it('fails on a faulty target built to break its rule (strict)', () => {
          const catchers = faults.filter((f) => f.breaks.includes(s.id));
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
  });
}

prove('server', serverScenarios(), FAULTY_SERVERS, runAgainst);
prove('client', clientScenarios(), FAULTY_CLIENTS, runClientAgainst);
