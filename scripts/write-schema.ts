// npm run schema: writes schema/rolemodel.schema.json from lib/spec/spec-shape.ts (test/unit/spec-schema.test.ts
// fails when the file is stale).
import { writeFileSync } from 'node:fs';
import { specJsonSchema } from '../lib/spec/spec-schema.js';

const file = new URL('../schema/rolemodel.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(specJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
