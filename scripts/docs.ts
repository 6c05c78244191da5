// Regenerates the generated documentation: npm run docs
//   docs/coverage.md  every requirement with the scenarios that cover it

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverage, coverageMarkdown } from '../harness/coverage.js';
import { allScenarios } from '../harness/registry.js';

const docs = join(import.meta.dirname, '..', 'docs');
mkdirSync(docs, { recursive: true });
writeFileSync(join(docs, 'coverage.md'), coverageMarkdown(coverage(allScenarios()), 'npm run docs'));
console.log('docs/coverage.md written');
