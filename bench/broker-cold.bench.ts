// npm run bench:broker-cold — where a cold request's time goes: each db_admin function on the request's path,
// timed by the server (track_functions = 'pl'), on a new backend (one request per connection) and on a warm one
// (requests on a kept connection), for shared and per-person roles, embedded PostgreSQL 17.
// The broker's sessions are tracked (a role setting the bench's superuser sets: track_functions is superuser-only);
// the resets between requests run as admin through the master's session, which is not tracked, so they do not
// mix into the figures. Usage: npx tsx bench/broker-cold.bench.ts [iterations]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { directConnector } from '../lib/broker/direct.js';
import { scramSha256VerifierAsync } from '../lib/broker/protocol/scram.js';
import { generatePassword } from '../lib/broker/protocol/password.js';
import { parseSpec } from '../lib/spec/validate.js';
import { applyRoleModel } from '../lib/postgres/engine.js';
import { startEmbeddedServer } from '../test/support/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reference = JSON.parse(readFileSync(path.join(root, 'examples/reference.json'), 'utf8'));
const iterations = Number(process.argv[2] ?? 40);
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface FunctionTimes { calls: number; total: number; self: number }
type Phase = { request: number[]; functions: Map<string, FunctionTimes> };

async function measure(perPerson: boolean): Promise<{ cold: Phase; warm: Phase }> {
  const server = await startEmbeddedServer({ major: 17 });
  try {
    const spec = parseSpec(perPerson ? { ...reference, firefighterLogins: 'per-person' } : reference);
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    const su = new pg.Client({ connectionString: server.superuserUrl(DB) });
    await su.connect();
    await su.query("ALTER ROLE my_pg_password_broker SET track_functions = 'pl'");
    const master = new pg.Client({ connectionString: server.masterUrl(DB) });
    await master.connect();
    await master.query('SET ROLE my_pg_admin');
    const target = { host: server.host, port: server.port, user: 'my_pg_password_broker', password: await server.issueIamToken('my_pg_password_broker'), database: DB, tls: { mode: 'verify-full' as const, ca: server.ca } };
    const connect = directConnector(target);
    const call = perPerson ? 'SELECT * FROM db_admin.issue_firefighter_login($1, $2, 1, $3, $4, $5)' : 'SELECT * FROM db_admin.request_firefighter_password($1, $2, 1, $3, $4, $5, false)';
    const reset = perPerson
      ? async () => { await master.query("UPDATE db_admin.firefighter_login SET expires_at = now() - interval '1 minute' WHERE dropped_at IS NULL"); await master.query('SELECT db_admin.drop_expired_firefighter_logins()'); }
      : async () => { await master.query('SELECT db_admin.expire_firefighter_password($1, $2, $3, $4)', [RO, 'bench', 'BENCH-1', 'reset']); };
    const request = async (client: pg.Client, n: number) => {
      const verifier = await scramSha256VerifierAsync(generatePassword());
      const start = process.hrtime.bigint();
      await client.query(call, [RO, verifier, `bench-${n}`, 'BENCH-1', 'cold breakdown']);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const phase = async (work: (n: number) => Promise<number>, finish: () => Promise<void> = async () => undefined): Promise<Phase> => {
      await su.query('SELECT pg_stat_reset()');
      const times: number[] = [];
      for (let i = 0; i < iterations; i++) {
        times.push(await work(i));
        await reset();
      }
      await finish();
      // A backend reports its function counters when it exits (or at most once a second while idle).
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const { rows } = await su.query<{ funcname: string; calls: string; total_time: number; self_time: number }>(
        "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions WHERE schemaname = 'db_admin'");
      return { request: times, functions: new Map(rows.map((r) => [r.funcname, { calls: Number(r.calls), total: r.total_time, self: r.self_time }])) };
    };
    const cold = await phase(async (n) => {
      const client = await connect(server.host, DB);
      try {
        return await request(client, n);
      } finally {
        await client.end();
      }
    });
    const kept = await connect(server.host, DB);
    await request(kept, -1);
    await reset();
    // The warm-up's counters are reported before the reset: the next query after a second idle sends them.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await kept.query('SELECT 1');
    const warm = await phase((n) => request(kept, n), () => kept.end());
    await master.end();
    await su.end();
    return { cold, warm };
  } finally {
    await server.stop();
  }
}

const fmt = (x: number) => x.toFixed(2).padStart(6);
for (const perPerson of [false, true]) {
  const { cold, warm } = await measure(perPerson);
  console.log(`\n${perPerson ? 'per-person' : 'shared'}: one request, median of ${iterations}: new backend ${fmt(median(cold.request))} ms, warm backend ${fmt(median(warm.request))} ms (client clock)`);
  console.log('db_admin function (mean per call, ms)  new: self  total | warm: self  total | new - warm, self');
  let extra = 0;
  for (const [name, c] of [...cold.functions].sort((a, b) => b[1].total - a[1].total)) {
    const w = warm.functions.get(name);
    const per = (t: number, n: number) => (n > 0 ? t / n : NaN);
    const diff = per(c.self, c.calls) - (w ? per(w.self, w.calls) : 0);
    extra += diff;
    console.log(`${name.padEnd(38)} ${fmt(per(c.self, c.calls))} ${fmt(per(c.total, c.calls))} | ${fmt(w ? per(w.self, w.calls) : NaN)} ${fmt(w ? per(w.total, w.calls) : NaN)} | ${fmt(diff)}`);
  }
  console.log(`${'sum of the differences'.padEnd(38)} ${' '.repeat(27)} | ${fmt(extra)}`);
}
