// End to end through the CLI's --direct path on each major, over TLS verified against a local CA: request ->
// log in with the returned password -> the role's privileges -> expiry within 2 hours -> a second request
// refused naming the holder -> takeover, audited -> revoke ends an open session and new logins fail ->
// sweep ends the sessions of an expired role. --connect hands psql the password in its environment only.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, loginAs, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';

describe.each(testedMajors())('firefighter --direct on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let dir: string;
  let ca: string;
  let url: string;
  let brokerToken: string;
  const open: pg.Client[] = [];

  async function cli(...args: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const psqlEnvs: NodeJS.ProcessEnv[] = [];
    const code = await runFirefighter([...args, '--direct', '--database-url', url], {
      stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {},
      psql: async (env) => (psqlEnvs.push(env), 0),
    });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), json: () => JSON.parse(stdout.join('\n')) as Record<string, any>, psqlEnvs };
  }

  async function loginWith(role: string, password: string): Promise<pg.Client> {
    const client = new pg.Client({ host: server.host, port: server.port, user: role, password, database: DB, ssl: { ca }, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    open.push(client);
    return client;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ff-direct-'));
    server = await startEmbeddedServer({ major });
    ca = server.ca;
    writeFileSync(path.join(dir, 'ca.pem'), ca);
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    // The broker is a member of rds_iam: it logs in with an (emulated) IAM token, as on Aurora.
    brokerToken = await server.issueIamToken('my_pg_password_broker');
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`SET ROLE my_pg_owner; CREATE TABLE "my-pg-db-schema".orders (id int PRIMARY KEY, status text); INSERT INTO "my-pg-db-schema".orders VALUES (1, 'created')`);
    await migrator.end();
    url = `postgres://my_pg_password_broker:${encodeURIComponent(brokerToken)}@127.0.0.1:${server.port}/${DB}?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(dir, 'ca.pem'))}`;
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('request -> login -> read-only privileges -> expiry within the hours asked', async () => {
    const before = Date.now();
    const out = await cli('request', 'ro', '--incident', 'INC-1', '--reason', 'orders stuck', '--hours', '1', '--json');
    expect(out.code).toBe(0);
    const res = out.json();
    expect(res).toMatchObject({ ok: true, action: 'request', role: RO, username: RO, database: DB, host: '127.0.0.1', port: server.port, sslmode: 'verify-full', takeover: false });
    expect(res.password).toMatch(/^[A-Za-z0-9]{40}$/);
    const expires = Date.parse(res.expiresAt);
    expect(expires - before).toBeGreaterThan(59 * 60_000);
    expect(expires - before).toBeLessThanOrEqual(3_600_000 + 1_000);
    const ff = await loginWith(RO, res.password);
    expect(await attempt(ff, 'SELECT status FROM "my-pg-db-schema".orders')).toBe('ok');
    expect(await attempt(ff, `UPDATE "my-pg-db-schema".orders SET status = 'x'`)).toBe('cannot execute UPDATE in a read-only transaction');
    expect(out.stderr).toBe('');
  });

  it('a second request by the holder for another incident is refused with exit 2, saying it is theirs until when, and changes nothing', async () => {
    const holders = await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT role, holder, expires_at FROM db_admin.firefighter_role ORDER BY 1');
    const out = await cli('request', 'ro', '--incident', 'INC-2', '--reason', 'me too');
    expect(out.code).toBe(2);
    // Old: "... is held by root@vm (direct) for incident INC-1 until 2026-12-07T01:15:51Z; ask the holder, ...".
    expect(out.stderr).toMatch(new RegExp(`^firefighter: refused \\(ROLE_HELD\\): you already hold ${RO} for incident INC-1 until \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\); ask again with --incident "INC-1" for a new password on it, or end it with \`firefighter revoke ro --incident "INC-1"\` and ask again$`));
    expect(out.stdout).toBe('');
    expect(await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT role, holder, expires_at FROM db_admin.firefighter_role ORDER BY 1')).toEqual(holders);
  });

  it('a URL without sslmode to a TLS-only server gets the fix, not pg_hba\'s raw "no pg_hba.conf entry ... no encryption"', async () => {
    const plain = url.replace(/\?.*$/, '');
    const stderr: string[] = [];
    const code = await runFirefighter(['status', '--direct', '--database-url', plain], { stdout: () => undefined, stderr: (t) => stderr.push(t), env: {} });
    expect([code, stderr]).toEqual([2, [`firefighter: 127.0.0.1:${server.port} accepts TLS connections only, and --database-url asks for none (no sslmode, so disable on a loopback host); add ?sslmode=verify-full&sslrootcert=CA.pem to the URL (or sslmode=require to skip the certificate check on a loopback host)`]]);
  });

  it('a takeover is granted and audited as one; the old password stops working', async () => {
    const out = await cli('request', 'ro', '--incident', 'INC-2', '--reason', 'holder unreachable', '--takeover', '--json');
    expect(out.code).toBe(0);
    expect(out.json()).toMatchObject({ takeover: true, previousHolder: expect.stringMatching(/\(direct\)$/) });
    const audit = await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT action, incident_id, reason FROM db_admin.firefighter_audit ORDER BY id DESC LIMIT 1');
    expect(audit).toEqual([{ action: 'takeover', incident_id: 'INC-2', reason: 'holder unreachable' }]);
    await loginWith(RO, out.json().password);
  });

  it('revoke ends the open session and new logins fail; status shows it free', async () => {
    const req = await cli('request', 'rw', '--incident', 'INC-3', '--reason', 'fix order 1', '--json');
    const password = req.json().password as string;
    const session = await loginWith(RW, password);
    expect(await attempt(session, `UPDATE "my-pg-db-schema".orders SET status = 'cancelled' WHERE id = 1`)).toBe('ok');
    const status = await cli('status', '--json');
    expect(status.json().roles).toContainEqual(expect.objectContaining({ role: RW, active: true, incidentId: 'INC-3', sessions: 1 }));
    const out = await cli('revoke', 'rw', '--incident', 'INC-3');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`^${RW} expired at \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\); 1 session\\(s\\) ended$`));
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    await expect(loginWith(RW, password)).rejects.toThrow(/password authentication failed/);
    const after = await cli('status', '--json');
    expect(after.json().roles).toContainEqual(expect.objectContaining({ role: RW, active: false, sessions: 0 }));
  });

  it('sweep ends the sessions of a role whose password has expired, and only those', async () => {
    const rw = await cli('request', 'rw', '--incident', 'INC-4', '--reason', 'sweep test', '--json');
    const expired = await loginWith(RW, rw.json().password);
    const live = await loginWith(RO, (await cli('request', 'ro', '--incident', 'INC-4', '--reason', 'still valid', '--takeover', '--json')).json().password);
    // What time does by itself: VALID UNTIL passes (done by the master, as an operator could).
    await query(server.masterUrl(), `ALTER ROLE ${RW} VALID UNTIL '2000-01-01'`);
    const { createBrokerService } = await import('../../lib/broker/service.js');
    const { directConfig, directConnector, parseDirectUrl } = await import('../../lib/broker/direct.js');
    const target = await parseDirectUrl(url);
    const connect = directConnector(target);
    const logs: unknown[] = [];
    const log = (m: string, a: Record<string, unknown>) => logs.push({ m, ...a });
    const service = createBrokerService({ config: await directConfig(target, connect), connect, logger: { info: log, warn: log, error: log }, identity: { trusted: 'test' } });
    expect(await service({ action: 'sweep' })).toEqual({ ok: true, action: 'sweep', sessionsEnded: 1, ended: [{ database: DB, host: '127.0.0.1', role: RW, ended: 1, holder: expect.any(String), incidentId: expect.any(String), expiresAt: expect.any(String) }] });
    expect(await attempt(expired, 'SELECT 1')).toMatch(/terminat|connection/i);
    expect(await attempt(live, 'SELECT 1')).toBe('ok');
    expect(logs).toEqual([expect.objectContaining({ m: 'firefighter sweep', outcome: 'swept', sessionsEnded: 1, caller: 'scheduler' })]);
  });

  it('--connect starts psql with the password in its environment, TLS verified, and prints no password', async () => {
    const out = await cli('request', 'rw', '--incident', 'INC-5', '--reason', 'connect', '--takeover', '--connect', '--ca', path.join(dir, 'ca.pem'));
    expect(out.code).toBe(0);
    const env = out.psqlEnvs[0] ?? {};
    expect(env).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: RW, PGDATABASE: DB, PGSSLMODE: 'verify-full', PGSSLROOTCERT: path.join(dir, 'ca.pem') });
    expect(env.PGPASSWORD).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(`${out.stdout}${out.stderr}`).not.toContain(env.PGPASSWORD);
    await loginWith(RW, env.PGPASSWORD ?? '');
  });

  it('a wrong broker password fails with exit 1 and does not echo it', async () => {
    const bad = url.replace(encodeURIComponent(brokerToken), 'wrong-broker-password-000000000000');
    const stderr: string[] = [];
    const code = await runFirefighter(['status', '--direct', '--database-url', bad], { stdout: () => undefined, stderr: (t) => stderr.push(t), env: {} });
    expect(code).toBe(1);
    expect(stderr.join('\n')).toMatch(/password authentication failed for user "my_pg_password_broker"/);
    expect(stderr.join('\n')).not.toContain('wrong-broker-password');
  });
});
