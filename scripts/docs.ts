// Regenerates the generated documentation: npm run docs
//   suites/requirements.ts  the requirement catalogue as data, from docs/requirements.md
//   docs/coverage.md        every requirement with the scenarios that cover it

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractRequirements } from './extract-requirements.js';

// First the catalogue, so that the coverage below is computed from the corrected rules.
const n = extractRequirements();
console.log(`${n} requirements written to suites/requirements.ts`);

// Imported only now: they load suites/requirements.ts, which was just rewritten.
const { coverage, coverageMarkdown } = await import('../suites/coverage.js');
const { allScenarios } = await import('../suites/index.js');

const docs = join(import.meta.dirname, '..', 'docs');
mkdirSync(docs, { recursive: true });
writeFileSync(join(docs, 'coverage.md'), coverageMarkdown(coverage(allScenarios()), 'npm run docs'));
console.log('docs/coverage.md written');
