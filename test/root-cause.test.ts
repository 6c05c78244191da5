// One root cause, one failure: a target that drops pipelined requests fails the
// pipelining scenarios, and the scenarios of other areas, which only use a
// pipelined follow-up to see a framing slip, send it after the response instead
// and judge their own rule.

import { expect } from 'chai';
import { runAgainst } from './helpers.js';

describe('a target that drops pipelined requests', function () {
  this.timeout(120_000);

  it('fails the pipelining scenarios only, and says why the others did not pipeline', async () => {
    const results = await runAgainst('faulty:first-per-read');
    const failing = [...results.values()].filter((r) => r.outcome === 'fail');
    expect(failing.map((r) => r.scenario.id)).to.include('pipe-order-mixed');
    expect(
      failing.filter((r) => r.scenario.area !== 'pipelining').map((r) => r.scenario.id),
      'failures outside the pipelining area',
    ).to.deep.equal([]);
    const cl = results.get('frame-cl-te')!;
    expect(cl.outcome).to.equal('pass');
    expect(cl.events.some((e) => /does not answer pipelined requests/.test(e.text ?? ''))).to.equal(true);
  });
});
