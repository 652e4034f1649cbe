#!/usr/bin/env node
/* global process, console -- a Node script; the shared ESLint config declares no Node globals for .mjs */
// The loop for a change that touches PostgreSQL: vitest on one major (17 unless --major or PG_TEST_VERSIONS says
// otherwise). Everything after the options goes to vitest: files, `-t 'name'`, `--changed` (the files a
// change touches, by import graph; `--changed main` since main).
//   npm run test:pg -- test/integration/readers.test.ts
//   npm run test:pg -- --major 15,16 --changed main
// With nothing after the options, the integration project (test/integration, test/security) runs. All majors:
// npm test.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
let majors = process.env.PG_TEST_VERSIONS ?? '17';
const rest = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--major' || arg.startsWith('--major=')) {
    const value = arg === '--major' ? args[++i] : arg.slice('--major='.length);
    if (!value || !/^(15|16|17)(,(15|16|17))*$/.test(value)) {
      console.error(`--major needs 15, 16 or 17 (or a list like 15,17), got ${JSON.stringify(value ?? '')}`);
      process.exit(2);
    }
    majors = value;
  } else {
    rest.push(arg);
  }
}
const vitest = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', ...(rest.length === 0 ? ['--project', 'integration'] : []), ...rest], {
  stdio: 'inherit',
  env: { ...process.env, PG_TEST_VERSIONS: majors },
});
process.exit(result.status ?? 1);
