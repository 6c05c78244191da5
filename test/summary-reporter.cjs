// Mocha's spec reporter, plus one plain line at the end: "N passed, N failed".
// The line is also written to out/test-summary.txt so that .ci/run can end with it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats ?? { passes: 0, failures: 0 };
      const line = `${s.passes} passed, ${s.failures} failed${s.pending ? `, ${s.pending} pending` : ''}`;
      const file = path.join(process.cwd(), 'out', 'test-summary.txt');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${line}\n`);
      process.stdout.write(`\n${line}\n`);
    });
  }
}

module.exports = SummaryReporter;
