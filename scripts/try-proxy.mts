import { runProxyAgainst, why } from '../test/helpers.js';

for (const t of process.argv.slice(2)) {
  const r = await runProxyAgainst(t);
  for (const [id, x] of r) console.log(t, id, x.outcome, why(x).slice(0, 1500));
}
