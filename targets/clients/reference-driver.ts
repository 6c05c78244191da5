#!/usr/bin/env node
// Driver protocol v1 for the reference client, or one of its faulty variants:
//   node dist/targets/clients/reference-driver.js [--fault <name>]

import { parseArgs } from 'node:util';
import { FAULTY_CLIENTS } from '../faulty/clients/index.js';
import { driverMain, ReferenceClient } from './reference-client.js';

const { values } = parseArgs({ options: { fault: { type: 'string' } } });
const faulty = values.fault ? FAULTY_CLIENTS.find((f) => f.name === values.fault) : undefined;
if (values.fault && !faulty) {
  process.stderr.write(`unknown fault ${values.fault}\n`);
  process.exit(2);
}
await driverMain(faulty ? new faulty.client() : new ReferenceClient());
