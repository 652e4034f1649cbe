// npm run bench:broker — the password broker against embedded PostgreSQL 17 (loopback, TLS verify-full, the broker
// logging in with an emulated IAM token as on Aurora), each request against a floor doing the same work by hand:
//   * warm shared `request` (the connection kept by a warm Lambda container, reused within 30 s without a check,
//     and, as a second row, after 30 s idle, checked with SELECT 1 first; SCRAM verifier on the client;
//     db_admin.request_firefighter_password) vs the warm floor: a fresh verifier, then one round trip on an open
//     connection with `ALTER ROLE ... PASSWORD ... VALID UNTIL` plus the audit row's INSERT (as admin);
//   * cold shared `request` (a new connection, as a cold container) vs the cold floor: the same connector (TLS,
//     an IAM token as the password, the broker's session settings) for a login that may SET ROLE to admin, plus
//     the same round trip; and, for reference, the same with the master's password (SCRAM) login;
//   * per-person `request` (CREATE ROLE, membership, guardrails, audit) warm and cold vs its floor: the same
//     CREATE ROLE, GRANT, ALTER ROLE ... SET and INSERTs by hand; and vs the shared request;
//   * the minified broker Lambda bundle (esbuild, AWS SDK included): size (target < 1 MB) and the time a fresh
//     Node process takes to import it (target < 100 ms).
// Measurements are interleaved (request, floor, request, floor, ...) so machine load hits both alike.
// Usage: npx tsx bench/broker.bench.ts [iterations]. Exit 1 if a request fails (targets are reported, not enforced).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import pg from 'pg';
import { createBrokerService } from '../lib/broker/service.js';
import { keepOneConnection, type BrokerConnector } from '../lib/postgres/broker-connection.js';
import { directConfig, directConnector } from '../lib/broker/direct.js';
import { generatePassword } from '../lib/broker/protocol/password.js';
import { scramSha256VerifierAsync } from '../lib/broker/protocol/scram.js';
import type { RoleModelSpec } from '../lib/spec/spec.js';
import { parseSpec } from '../lib/spec/validate.js';
import { applyRoleModel } from '../lib/postgres/engine.js';
import { startEmbeddedServer, type EmbeddedServer } from '../test/support/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const iterations = Number(process.argv[2] ?? 200);
const reference = JSON.parse(readFileSync(path.join(root, 'examples/reference.json'), 'utf8'));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const ADMIN = 'my_pg_admin';

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const lit = (v: string) => pg.escapeLiteral(v);
const ident = (v: string) => pg.escapeIdentifier(v);

interface Phase { warm: number[]; checked: number[]; warmFloor: number[]; cold: number[]; coldFloor: number[]; masterFloor: number[]; guardedFloor: number[]; ping: number[] }

/** The floor's one round trip: what db_admin does for a request, written out by hand (as admin, who owns the audit). */
async function floorSql(master: pg.Client, perPerson: boolean, n: number): Promise<{ sql: (verifier: string) => string; cleanup: string; guarded: (verifier: string) => string }> {
  const until = new Date(Date.now() + 3_600_000).toISOString();
  const audit = (table: string, login: string) => `INSERT INTO db_admin.${table} (action, role, ${table === 'firefighter_login_audit' ? 'login, ' : ''}requested_by, incident_id, reason, expires_at)
    VALUES ('issue', ${lit(RO)}, ${table === 'firefighter_login_audit' ? `${lit(login)}, ` : ''}'bench-floor', 'BENCH-F', 'floor', ${lit(until)})`;
  // The role's guardrails, which db_admin sets again on every issue (shared) or on each new login (per-person).
  await master.query(`SET ROLE ${ident(ADMIN)}`);
  const g = (await master.query<{ guardrails: Record<string, string[]> | null }>('SELECT guardrails FROM db_admin.firefighter_role WHERE role = $1', [RO])).rows[0]?.guardrails ?? {};
  await master.query('RESET ROLE');
  if (!perPerson) {
    const plain = (v: string) => `ALTER ROLE ${ident(RO)} PASSWORD ${lit(v)} VALID UNTIL ${lit(until)}; ${audit('firefighter_audit', '')}`;
    const reassert = [`ALTER ROLE ${ident(RO)} RESET ALL`, `ALTER ROLE ${ident(RO)} IN DATABASE ${ident(DB)} RESET ALL`,
      ...Object.entries(g).map(([k, vs]) => `ALTER ROLE ${ident(RO)} IN DATABASE ${ident(DB)} SET ${ident(k)} = ${vs.map(lit).join(', ')}`)].join('; ');
    return {
      sql: (v) => `SET ROLE ${ident(ADMIN)}; ${plain(v)}; RESET ROLE`,
      // Informational: the floor plus what set_firefighter_password also does (guardrails, the holder's row).
      guarded: (v) => `SET ROLE ${ident(ADMIN)}; ${reassert}; ${plain(v)}; UPDATE db_admin.firefighter_role SET holder = 'bench-floor' WHERE role = ${lit(RO)}; RESET ROLE`,
      cleanup: '',
    };
  }
  const login = `${RO}_f${String(n).padStart(5, '0')}`;
  const sets = Object.entries(g).map(([k, vs]) => `ALTER ROLE ${ident(login)} IN DATABASE ${ident(DB)} SET ${ident(k)} = ${vs.map(lit).join(', ')}`).join('; ');
  return {
    sql: (v) => `SET ROLE ${ident(ADMIN)}; CREATE ROLE ${ident(login)} LOGIN INHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT 3 PASSWORD ${lit(v)} VALID UNTIL ${lit(until)};
      GRANT ${ident(RO)} TO ${ident(login)} WITH INHERIT TRUE, SET FALSE; ${sets};
      INSERT INTO db_admin.firefighter_login (login, role, requested_by, incident_id, issued_at, expires_at) VALUES (${lit(login)}, ${lit(RO)}, 'bench-floor', 'BENCH-F', now(), ${lit(until)});
      ${audit('firefighter_login_audit', login)}; RESET ROLE`,
    cleanup: `SET ROLE ${ident(ADMIN)}; DELETE FROM db_admin.firefighter_login WHERE login = ${lit(login)}; DROP ROLE ${ident(login)}; RESET ROLE`,
    guarded: () => 'SELECT 1',
  };
}

async function phase(server: EmbeddedServer, spec: RoleModelSpec, perPerson: boolean): Promise<Phase> {
  await applyRoleModel(spec, { connectionString: server.masterUrl() });
  const token = await server.issueIamToken('my_pg_password_broker');
  const tls = { mode: 'verify-full' as const, ca: server.ca };
  const target = { host: server.host, port: server.port, user: 'my_pg_password_broker', password: token, database: DB, tls };
  const connect = directConnector(target);
  // The cold floor's connector: the broker's (TLS, an IAM token checked by the server, session settings) for a
  // login that is an admin member, so it can do the same work by hand. Aurora checks IAM tokens its own way; the
  // test server hashes the token as a password, so the broker's login costs more there than the master's.
  const masterTarget = { ...target, user: new URL(server.masterUrl()).username, password: decodeURIComponent(new URL(server.masterUrl()).password) };
  const floorConnect: BrokerConnector = directConnector(masterTarget);
  const setup = await floorConnect(server.host, DB);
  await setup.query(`CREATE ROLE bench_floor LOGIN; GRANT rds_iam TO bench_floor; GRANT ${ident(ADMIN)} TO bench_floor; GRANT CONNECT ON DATABASE ${ident(DB)} TO bench_floor`);
  await setup.end();
  const iamFloorConnect: BrokerConnector = directConnector({ ...target, user: 'bench_floor', password: await server.issueIamToken('bench_floor') });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const config = await directConfig(target, connect);
  const kept = keepOneConnection(connect);
  // A container whose kept connection sat idle past the check delay (30 s) pays one SELECT 1 before reuse.
  const keptChecked = keepOneConnection(connect, undefined, undefined, 0);
  const warmService = createBrokerService({ config, connect: kept.connect, release: kept.release, sslmode: 'verify-full', logger: quiet, identity: { trusted: 'bench' } });
  const checkedService = createBrokerService({ config, connect: keptChecked.connect, release: keptChecked.release, sslmode: 'verify-full', logger: quiet, identity: { trusted: 'bench' } });
  const coldService = createBrokerService({ config, connect, sslmode: 'verify-full', logger: quiet, identity: { trusted: 'bench' } });
  const master = await floorConnect(server.host, DB);
  const out: Phase = { warm: [], checked: [], warmFloor: [], cold: [], coldFloor: [], masterFloor: [], guardedFloor: [], ping: [] };
  // --all: the guarded floor leaves the role to 'bench-floor', and a revoke ends only the caller's own hold otherwise.
  const reset = { action: 'revoke', role: 'ro', incidentId: 'BENCH-1', reason: 'bench reset', all: true };
  const request = { action: 'request', role: 'ro', incidentId: 'BENCH-1', reason: 'bench', hours: 1 };
  const timed = async (work: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await work();
    return ms(start);
  };
  const ask = (service: typeof warmService) => async () => {
    const response = await service(request);
    if (!response.ok) throw new Error(`request failed: ${response.code} ${response.message}`);
  };
  for (let i = -20; i < iterations; i++) {
    // Resets are not timed: each timed request is an ordinary first request (a new login in per-person mode).
    await warmService(reset);
    const warm = await timed(ask(warmService));
    await checkedService(reset);
    const checked = await timed(ask(checkedService));
    await warmService(reset);
    const cold = await timed(ask(coldService));
    const f1 = await floorSql(master, perPerson, 3 * (i + 20));
    const warmFloor = await timed(async () => master.query(f1.sql(await scramSha256VerifierAsync(generatePassword()))));
    if (f1.cleanup) await master.query(f1.cleanup);
    const coldWith = async (connector: BrokerConnector, n: number) => {
      const f = await floorSql(master, perPerson, n);
      const took = await timed(async () => {
        const pending = scramSha256VerifierAsync(generatePassword());
        const fresh = await connector(server.host, DB);
        try {
          await fresh.query(f.sql(await pending));
        } finally {
          await fresh.end();
        }
      });
      if (f.cleanup) await master.query(f.cleanup);
      return took;
    };
    const coldFloor = await coldWith(iamFloorConnect, 3 * (i + 20) + 1);
    const masterFloor = await coldWith(floorConnect, 3 * (i + 20) + 2);
    const guardedFloor = perPerson ? NaN : await timed(async () => master.query(f1.guarded(await scramSha256VerifierAsync(generatePassword()))));
    // The round trip a warm container spends checking its kept connection before reuse.
    const ping = await timed(() => master.query('SELECT 1'));
    if (i >= 0) {
      out.guardedFloor.push(guardedFloor);
      out.ping.push(ping);
      out.warm.push(warm);
      out.checked.push(checked);
      out.warmFloor.push(warmFloor);
      out.cold.push(cold);
      out.coldFloor.push(coldFloor);
      out.masterFloor.push(masterFloor);
    }
  }
  await warmService(reset);
  await master.end();
  await kept.close();
  await keptChecked.close();
  return out;
}

async function latency(): Promise<{ shared: Phase; perPerson: Phase }> {
  const run = async (spec: RoleModelSpec, perPerson: boolean) => {
    const server = await startEmbeddedServer({ major: 17 });
    try {
      return await phase(server, spec, perPerson);
    } finally {
      await server.stop();
    }
  };
  const shared = await run(parseSpec(reference), false);
  const perPerson = await run(parseSpec({ ...reference, firefighterLogins: 'per-person' }), true);
  return { shared, perPerson };
}

async function bundle(): Promise<{ bytes: number; loadMs: number[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bundle-'));
  try {
    const outfile = path.join(dir, 'index.mjs');
    // The same options as scripts/bundle-lambdas.mjs, which builds the shipped asset.
    await build({
      entryPoints: { index: path.join(root, 'lambda/broker-handler.ts') }, outdir: dir, splitting: true, chunkNames: 'chunks/[name]-[hash]', outExtension: { '.js': '.mjs' },
      bundle: true, minify: true, platform: 'node', target: 'node22', format: 'esm',
      external: ['pg-native'], banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" }, legalComments: 'none', logLevel: 'warning',
    });
    const script = `const t=process.hrtime.bigint();await import(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
    const loadMs = Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })));
    // Everything shipped: index.mjs and the chunks it imports on first use.
    const bytes = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.mjs')).reduce((n, f) => n + statSync(path.join(dir, String(f))).size, 0);
    return { bytes, loadMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const load = loadavg().map((l) => l.toFixed(2)).join(' ');
const lat = await latency();
const b = await bundle();
const med = (xs: number[]) => quantile(xs, 0.5);
const cell = (xs: number[]) => `${med(xs).toFixed(2)} ms / ${quantile(xs, 0.95).toFixed(2)} ms`;
const ratio = (a: number[], f: number[]) => `${(med(a) / med(f)).toFixed(2)}x`;
const rows: [string, string, string][] = [];
for (const [name, p] of [['shared', lat.shared], ['per-person', lat.perPerson]] as const) {
  rows.push(
    [`${name}: warm request, kept connection (median / p95)`, cell(p.warm), `${ratio(p.warm, p.warmFloor)} its floor (target <= 1.3x)`],
    [`${name}: warm request, kept connection idle > 30 s, checked first`, cell(p.checked), `${ratio(p.checked, p.warmFloor)} its floor`],
    [`${name}: warm floor, open connection (median / p95)`, cell(p.warmFloor), ''],
    ...(name === 'shared' ? [[`${name}: warm floor + guardrails re-set, holder row (median)`, cell(p.guardedFloor), `request is ${ratio(p.warm, p.guardedFloor)} of it`] as [string, string, string]] : []),
    ...(name === 'shared' ? [['kept-connection check, SELECT 1 (median / p95)', cell(p.ping), ''] as [string, string, string]] : []),
    [`${name}: cold request, new connection (median / p95)`, cell(p.cold), `${ratio(p.cold, p.coldFloor)} its floor (target <= 1.3x)`],
    [`${name}: cold floor, the broker's connect + the same (median / p95)`, cell(p.coldFloor), ''],
    [`${name}: cold floor with the master's SCRAM login instead`, cell(p.masterFloor), `request is ${ratio(p.cold, p.masterFloor)} of it`],
  );
}
rows.push(
  ['per-person vs shared, warm request (ratio of medians)', ratio(lat.perPerson.warm, lat.shared.warm), ''],
  ['per-person vs shared, cold request (ratio of medians)', ratio(lat.perPerson.cold, lat.shared.cold), ''],
  ['broker bundle (index.mjs and chunks), minified, AWS SDK included', `${(b.bytes / 1024).toFixed(0)} KiB (${b.bytes} bytes)`, 'target < 1 MB'],
  ['bundle load time in a fresh node (median of 7)', `${quantile(b.loadMs, 0.5).toFixed(1)} ms`, 'target < 100 ms'],
);
console.log(`password broker benchmark: PostgreSQL 17 embedded, ${iterations} requests per measure, node ${process.version}, load average at start ${load}\n`);
for (const [name, value, target] of rows) console.log(`${name.padEnd(58)} ${value.padEnd(28)} ${target}`);
