// npm run bench:broker — the password broker against embedded PostgreSQL 17 (loopback, no TLS on either side):
//   * median and p95 of a warm `request` as the deployed Lambda does it (the connection kept by the warm
//     container, SCRAM verifier on the client, db_admin.set_firefighter_password), against the floor: one
//     connection plus one ALTER ROLE ... PASSWORD '<verifier>' by a superuser; and their ratio (target <= 1.3x);
//     also a request that opens a new connection, as a cold container does;
//   * the minified broker Lambda bundle (esbuild, AWS SDK included): size (target < 1 MB) and the time a fresh
//     Node process takes to import it (target < 100 ms).
// Usage: npx tsx bench/broker.bench.ts [iterations]. Exit 1 if a request fails (targets are reported, not enforced).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import pg from 'pg';
import { createBrokerService } from '../lib/broker/service.js';
import { keepOneConnection } from '../lib/postgres/broker-connection.js';
import { directConfig, directConnector } from '../lib/broker/direct.js';
import { scramSha256Verifier } from '../lib/core/scram.js';
import { parseSpec } from '../lib/core/validate.js';
import { applyRoleModel } from '../lib/postgres/engine.js';
import { startEmbeddedServer } from '../test/support/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const iterations = Number(process.argv[2] ?? 200);
const spec = parseSpec(JSON.parse(readFileSync(path.join(root, 'examples/reference.json'), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function latency(): Promise<{ request: number[]; fresh: number[]; floor: number[] }> {
  const server = await startEmbeddedServer({ major: 17 });
  try {
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    const master = new pg.Client({ connectionString: server.masterUrl() });
    await master.connect();
    // The broker is in rds_iam: it logs in with an (emulated) IAM token over TLS, as on Aurora.
    const token = await server.issueIamToken('my_pg_password_broker');
    const target = { host: server.host, port: server.port, user: 'my_pg_password_broker', password: token, database: DB, tls: { mode: 'verify-full' as const, ca: server.ca } };
    const connect = directConnector(target);
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const config = await directConfig(target, connect);
    const kept = keepOneConnection(connect);
    const service = createBrokerService({ config, connect: kept.connect, release: kept.release, sslmode: 'verify-full', logger: quiet, identity: { trusted: 'bench' } });
    const freshService = createBrokerService({ config, connect, sslmode: 'verify-full', logger: quiet, identity: { trusted: 'bench' } });
    const expire = { action: 'revoke', role: 'ro', incidentId: 'BENCH-1', reason: 'bench reset' };
    const request = { action: 'request', role: 'ro', incidentId: 'BENCH-1', reason: 'bench', hours: 1 };
    const verifier = scramSha256Verifier('floor-password-0123456789abcdefghij');
    const out = { request: [] as number[], fresh: [] as number[], floor: [] as number[] };
    for (let i = -20; i < iterations; i++) {
      // The reset is not timed: it frees the role so every timed request is an ordinary first request.
      await service(expire);
      let start = process.hrtime.bigint();
      const response = await service(request);
      const requestMs = ms(start);
      if (!response.ok) throw new Error(`request failed: ${response.code} ${response.message}`);
      await service(expire);
      start = process.hrtime.bigint();
      const freshResponse = await freshService(request);
      const freshMs = ms(start);
      if (!freshResponse.ok) throw new Error(`request failed: ${freshResponse.code} ${freshResponse.message}`);
      start = process.hrtime.bigint();
      const su = new pg.Client({ connectionString: server.superuserUrl(DB) });
      await su.connect();
      await su.query(`ALTER ROLE ${RO} PASSWORD '${verifier}'`);
      await su.end();
      const floorMs = ms(start);
      if (i >= 0) {
        out.request.push(requestMs);
        out.fresh.push(freshMs);
        out.floor.push(floorMs);
      }
    }
    await master.end();
    await kept.close();
    return out;
  } finally {
    await server.stop();
  }
}

async function bundle(): Promise<{ bytes: number; loadMs: number[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bundle-'));
  try {
    const outfile = path.join(dir, 'index.mjs');
    // The same options as scripts/bundle-lambdas.mjs, which builds the shipped asset.
    await build({
      entryPoints: [path.join(root, 'lambda/broker-handler.ts')], outfile, bundle: true, minify: true, platform: 'node', target: 'node22', format: 'esm',
      external: ['pg-native'], banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" }, legalComments: 'none', logLevel: 'warning',
    });
    const script = `const t=process.hrtime.bigint();await import(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
    const loadMs = Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })));
    return { bytes: statSync(outfile).size, loadMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lat = await latency();
const b = await bundle();
const reqMedian = quantile(lat.request, 0.5);
const floorMedian = quantile(lat.floor, 0.5);
const rows = [
  ['warm request, kept connection (median / p95)', `${reqMedian.toFixed(2)} ms / ${quantile(lat.request, 0.95).toFixed(2)} ms`, ''],
  ['request on a new connection, cold container (median / p95)', `${quantile(lat.fresh, 0.5).toFixed(2)} ms / ${quantile(lat.fresh, 0.95).toFixed(2)} ms`, `${(quantile(lat.fresh, 0.5) / floorMedian).toFixed(2)}x the floor`],
  ['floor: connect + ALTER ROLE by a superuser (median / p95)', `${floorMedian.toFixed(2)} ms / ${quantile(lat.floor, 0.95).toFixed(2)} ms`, ''],
  ['ratio of medians', `${(reqMedian / floorMedian).toFixed(2)}x`, 'target <= 1.3x'],
  ['broker bundle, minified, AWS SDK included', `${(b.bytes / 1024).toFixed(0)} KiB (${b.bytes} bytes)`, 'target < 1 MB'],
  ['bundle load time in a fresh node (median of 7)', `${quantile(b.loadMs, 0.5).toFixed(1)} ms`, 'target < 100 ms'],
];
console.log(`password broker benchmark: PostgreSQL 17 embedded, ${iterations} requests, node ${process.version}\n`);
for (const [name, value, target] of rows) console.log(`${(name ?? '').padEnd(58)} ${(value ?? '').padEnd(28)} ${target}`);
