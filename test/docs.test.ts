import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { coverage, coverageMarkdown } from '../harness/coverage.js';
import { allScenarios } from '../harness/registry.js';
import { REQUIREMENTS } from '../suites/requirements.js';

describe('generated documentation', () => {
  it('docs/coverage.md is up to date (run: npm run docs)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'coverage.md'), 'utf8');
    expect(committed).to.equal(coverageMarkdown(coverage(allScenarios()), 'npm run docs'));
  });

  it('every scenario covers only known requirement ids of its own role', () => {
    const known = new Map(REQUIREMENTS.map((r) => [r.id, r.role]));
    for (const s of allScenarios())
      for (const id of s.covers) {
        expect(known.has(id), `${s.id} covers unknown ${id}`).to.equal(true);
        expect(['both', s.role], `${s.id} (${s.role}) covers ${id} (${known.get(id)})`).to.include(
          known.get(id),
        );
      }
  });

  it('every server-role requirement is covered or has a stated reason', () => {
    for (const row of coverage(allScenarios(), 'server'))
      expect(
        row.scenarios.length > 0 || (row.reason !== undefined && row.reason !== 'not covered yet'),
        row.requirement.id,
      ).to.equal(true);
  });
});
