// Every scenario is proven both ways: it passes on the reference target and
// fails on a faulty target built to break exactly its rule (docs/design.md). A
// scenario without such a faulty target fails this test. A scenario whose rule
// has no level to fail at (a permitted choice, a de facto rule: INFO) is proven
// by a faulty target that lists it in `measures`: the scenario must see that
// behaviour and report it as `info`, with what it expected and what it saw.

import { expect } from 'chai';
import type { Result, Role, ScenarioInfo } from '../harness/model.js';
import { clientScenarios, proxyScenarios, serverScenarios } from '../suites/index.js';
import { FAULTY_CLIENTS } from '../targets/faulty/clients/index.js';
import { FAULTY_PROXIES } from '../targets/faulty/proxies/index.js';
import { FAULTY_SERVERS } from '../targets/faulty/servers/index.js';
import { runAgainst, runClientAgainst, runProxyAgainst, why } from './helpers.js';

interface Faulty {
  name: string;
  breaks: string[];
  /** scenarios that see this behaviour but may only report it (INFO) */
  measures?: string[];
}

const claims = (f: Faulty): string[] => [...f.breaks, ...(f.measures ?? [])];

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
          faulty.set(f.name, await run(`faulty:${f.name}`, claims(f)));
      };
      // Server scenarios also run over TLS: the TLS rules need it, and every other rule must hold there too.
      const tlsRun = role === 'server' ? run('reference-tls').then((r) => (overTls = r)) : undefined;
      [reference] = await Promise.all([run(role === 'proxy' ? 'reference-proxy' : 'reference'), tlsRun]);
      await Promise.all(Array.from({ length: 6 }, worker));
    });

    it('every faulty target has a name of its own', () => {
      const names = faults.map((f) => f.name);
      expect(names.filter((n, i) => names.indexOf(n) !== i)).to.deep.equal([]);
    });

    it('every faulty target names only known scenarios', () => {
      const ids = new Set(scenarios.map((s) => s.id));
      for (const f of faults)
        for (const id of claims(f))
          expect(ids.has(id), `faulty:${f.name} breaks or measures unknown ${id}`).to.equal(true);
    });

    for (const s of scenarios) {
      describe(s.id, () => {
        it('passes on the reference (strict)', () => {
          const r =
            (s as { transport?: string }).transport === 'tls' ? overTls?.get(s.id) : reference.get(s.id);
          expect(['pass', 'info'], why(r)).to.include(r?.outcome);
          // Where a faulty target is proven by what it shows, the reference must not show it too.
          if (faults.some((f) => f.measures?.includes(s.id)))
            expect(r?.finding.kind, `the reference shows what the faulty one does: ${why(r)}`).to.not.equal(
              'violated',
            );
        });

        if (role === 'server')
          it('passes on the reference over TLS too (strict)', () => {
            const r = overTls?.get(s.id);
            expect(['pass', 'info'], why(r)).to.include(r?.outcome);
          });

        it('fails on a faulty target built to break its rule (strict)', () => {
          const catchers = faults.filter((f) => f.breaks.includes(s.id));
          const measurers = faults.filter((f) => f.measures?.includes(s.id));
          expect(
            [...catchers, ...measurers].map((f) => f.name),
            `no faulty target lists ${s.id} in breaks (or, for a rule with no level to fail at, in measures)`,
          ).to.not.be.empty;
          for (const f of catchers) {
            const r = faulty.get(f.name)?.get(s.id);
            expect(r?.outcome, `faulty:${f.name}: ${why(r)}`).to.equal('fail');
          }
          for (const f of measurers) {
            const r = faulty.get(f.name)?.get(s.id);
            expect(r?.outcome, `faulty:${f.name}: ${why(r)}`).to.equal('info');
            expect(r?.finding.kind, `faulty:${f.name} is seen and reported: ${why(r)}`).to.equal('violated');
          }
        });
      });
    }
  });
}

prove('server', serverScenarios(), FAULTY_SERVERS, runAgainst);
prove('client', clientScenarios(), FAULTY_CLIENTS, runClientAgainst);
prove('proxy', proxyScenarios(), FAULTY_PROXIES, runProxyAgainst);
