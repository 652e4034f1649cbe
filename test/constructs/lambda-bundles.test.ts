// The shipped Lambda bundles (scripts/bundle-lambdas.mjs): index.mjs plus the chunks it imports on first use. A
// broker cold start must not load the clients only some invocations need (lambda/lazy-client.ts), and the
// bundle must still load on its own, chunks included, in a fresh Node process.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBundles, REPO } from './support.js';

const dir = (name: string) => path.join(REPO, 'dist', 'lambda-bundles', name);
const chunks = (name: string) => readdirSync(path.join(dir(name), 'chunks')).map((f) => readFileSync(path.join(dir(name), 'chunks', f), 'utf8'));

describe('Lambda bundles', () => {
  beforeAll(() => ensureBundles());

  it('the broker entry holds neither the RDS nor the Secrets Manager client; its chunks do', () => {
    const entry = readFileSync(path.join(dir('broker-handler'), 'index.mjs'), 'utf8');
    // Operation names only those clients carry (the broker itself never calls them).
    for (const operation of ['CreateDBClusterEndpoint', 'RotateSecret']) {
      expect(entry).not.toContain(operation);
      expect(chunks('broker-handler').some((c) => c.includes(operation))).toBe(true);
    }
  });

  it.each(['broker-handler', 'rolemodel-handler'])('%s loads in a fresh node and exports its handler', (name) => {
    const file = path.join(dir(name), 'index.mjs');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); process.stdout.write(typeof m.handler)`], { encoding: 'utf8' });
    expect(out).toBe('function');
  });
});
