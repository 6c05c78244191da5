// Developer tool: prove scenarios both ways, fast.
//   npx tsx scripts/prove.ts [scenario-id-regex] [--client | --proxy] [--verbose] [--collateral]
// Runs the matching scenarios against the reference (strict) and each faulty
// target that claims them, and prints one line per (target, scenario).
// --client proves client scenarios with the reference client and the faulty
// client drivers (compiled: run `npm run build` first); --proxy proves proxy
// scenarios with the reference proxy and the faulty proxies.
// --collateral also runs the whole suite against those faulty targets and lists
// scenarios they fail that they do not claim (a fault should break its rule only).

import type { Result } from '../harness/model.js';
import { evidence } from '../reports/text.js';
import { clientScenarios, proxyScenarios, serverScenarios } from '../suites/index.js';
import { FAULTY_CLIENTS } from '../targets/faulty/clients/index.js';
import { FAULTY_PROXIES } from '../targets/faulty/proxies/index.js';
import { FAULTY_SERVERS } from '../targets/faulty/servers/index.js';
import { runAgainst, runClientAgainst, runProxyAgainst } from '../test/helpers.js';

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const client = args.includes('--client');
const proxy = args.includes('--proxy');
const pattern = new RegExp(args.find((a) => !a.startsWith('--')) ?? '.', 'i');
const ids = (client ? clientScenarios() : proxy ? proxyScenarios() : serverScenarios())
  .filter((s) => pattern.test(s.id) || pattern.test(s.area))
  .map((s) => s.id);
const run = (target: string, only?: string[]): Promise<Map<string, Result>> =>
  client ? runClientAgainst(target, only) : proxy ? runProxyAgainst(target, only) : runAgainst(target, only);
const started = Date.now();
/** What a faulty target claims: scenarios that fail on it, and (rules with no level to fail at) scenarios that report it as info. */
const measures = (f: { measures?: string[] }): string[] => f.measures ?? [];
const claims = (f: { breaks: string[]; measures?: string[] }): string[] => [...f.breaks, ...measures(f)];
const faulty = (client ? FAULTY_CLIENTS : proxy ? FAULTY_PROXIES : FAULTY_SERVERS).filter((f) =>
  claims(f).some((id) => ids.includes(id)),
);
const tlsIds = new Set(
  serverScenarios()
    .filter((s) => s.transport === 'tls')
    .map((s) => s.id),
);
const [ref, refTls, ...runs] = await Promise.all([
  run(proxy ? 'reference-proxy' : 'reference', ids),
  client || proxy
    ? Promise.resolve(new Map<string, Result>())
    : run(
        'reference-tls',
        ids.filter((id) => tlsIds.has(id)),
      ),
  ...faulty.map((f) =>
    run(
      `faulty:${f.name}`,
      claims(f).filter((id) => ids.includes(id)),
    ),
  ),
]);
let bad = 0;
for (const id of ids) {
  const r = (tlsIds.has(id) ? refTls : ref)!.get(id)!;
  const ok = r.outcome === 'pass' || r.outcome === 'info';
  if (!ok) bad++;
  console.log(
    `${ok ? 'ok ' : 'BAD'} reference            ${id}: ${r.outcome} ${JSON.stringify(r.finding).slice(0, 160)}`,
  );
  if (verbose || !ok) console.log(evidence(r));
  const catchers = faulty.filter((f) => claims(f).includes(id));
  if (catchers.length === 0) {
    bad++;
    console.log(`BAD (no faulty target)  ${id}`);
  }
  for (const f of catchers) {
    const fr = runs[faulty.indexOf(f)]!.get(id)!;
    // A fault listed in `measures` is proven by an info outcome that reports it (expected vs seen).
    const caught = f.breaks.includes(id)
      ? fr.outcome === 'fail'
      : fr.outcome === 'info' && fr.finding.kind === 'violated' && r.finding.kind !== 'violated';
    if (!caught) bad++;
    console.log(
      `${caught ? 'ok ' : 'BAD'} faulty:${f.name.padEnd(12)} ${id}: ${fr.outcome} ${JSON.stringify(fr.finding).slice(0, 160)}`,
    );
    if (verbose || !caught) console.log(evidence(fr));
  }
}
if (args.includes('--collateral')) {
  // One faulty target at a time: a whole suite per target in parallel would overload the machine.
  for (const f of faulty) {
    const all = await run(`faulty:${f.name}`);
    for (const [id, r] of all) {
      if (claims(f).includes(id) || r.outcome === 'pass' || r.outcome === 'info' || r.outcome === 'skip')
        continue;
      console.log(
        `collateral faulty:${f.name} also ${r.outcome}s ${id} (${r.scenario.area}): ${JSON.stringify(r.finding).slice(0, 200)}`,
      );
    }
  }
}
console.log(`${ids.length} scenarios, ${bad} problems, ${Date.now() - started} ms`);
process.exitCode = bad ? 1 : 0;
