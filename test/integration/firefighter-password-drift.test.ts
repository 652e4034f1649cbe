// Firefighter passwords come only from the broker (issue 10, item 4): a password the master sets by hand is
// drift that verify reports, apply expires (ending the role's sessions), and `firefighter status` names.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { attempt, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec } from '../support/per-person-spec.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const HAND_SET = 'hand-set-by-the-master';

describe.each(testedMajors())('firefighter passwords set outside the broker on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let dir: string;
  let url: string;
  const conn = () => ({ connectionString: server.masterUrl() });
  const messages = async () => (await verifyRoleModel(spec, conn())).findings.map((f) => f.message).join('\n');

  async function cli(...args: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runFirefighter([...args, '--direct', '--database-url', url], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {}, psql: async () => 0 });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  async function loginWith(role: string, password: string): Promise<pg.Client> {
    const client = new pg.Client({ host: server.host, port: server.port, user: role, password, database: DB, ssl: { ca: server.ca }, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ff-pw-drift-'));
    server = await startEmbeddedServer({ major });
    writeFileSync(path.join(dir, 'ca.pem'), server.ca);
    await applyRoleModel(spec, conn());
    const token = await server.issueIamToken('my_pg_password_broker');
    url = `postgres://my_pg_password_broker:${encodeURIComponent(token)}@127.0.0.1:${server.port}/${DB}?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(dir, 'ca.pem'))}`;
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh model has its firefighter roles born expired, and no drift', async () => {
    const rows = await query<{ rolname: string; until: string }>(server.masterUrl(), "SELECT rolname, to_char(rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS until FROM pg_roles WHERE rolname IN ($1, $2) ORDER BY 1", [RO, RW]);
    expect(rows).toEqual([{ rolname: RO, until: '1970-01-01' }, { rolname: RW, until: '1970-01-01' }]);
    expect(await messages()).toBe('');
  });

  it('a password the broker issued is no drift, and status shows it held', async () => {
    const out = await cli('request', 'ro', '--incident', 'INC-1', '--reason', 'look at orders', '--hours', '1');
    expect(out.code).toBe(0);
    expect(await messages()).toBe('');
    expect((await cli('status')).stdout).toMatch(new RegExp(`${RO} \\(ro\\): held by .* for INC-1 until`));
    // A takeover (audited with the previous holder's sessions ended after it) is the broker's too.
    expect((await cli('request', 'ro', '--incident', 'INC-1b', '--reason', 'holder away', '--hours', '1', '--takeover')).code).toBe(0);
    expect(await messages()).toBe('');
    expect((await cli('revoke', 'ro', '--incident', 'INC-1b')).code).toBe(0);
    expect(await messages()).toBe('');
  });

  it("ALTER ROLE ... PASSWORD 'x' VALID UNTIL 'infinity' by the master: drift, status says so, apply expires it and ends the session", async () => {
    await query(server.masterUrl(), `ALTER ROLE ${RW} PASSWORD '${HAND_SET}' VALID UNTIL 'infinity'`);
    const session = await loginWith(RW, HAND_SET);
    const verify = await verifyRoleModel(spec, conn());
    expect(verify.findings).toContainEqual(expect.objectContaining({ code: 'firefighter-password', database: DB, subject: RW }));
    expect(verify.findings.map((f) => f.message).join('\n')).toMatch(`${RW}: password set outside the broker: its password never expires (VALID UNTIL 'infinity')`);
    expect(JSON.stringify(verify)).not.toContain(HAND_SET);
    const status = await cli('status');
    expect(status.stdout).toMatch(`${RW} (rw): password set outside the broker (run rolemodel apply to expire it), 1 session(s)`);
    expect(status.stdout).not.toMatch(`${RW} (rw): free`);

    const applied = await applyRoleModel(spec, conn());
    expect(applied.steps.map((s) => s.sql)).toEqual(expect.arrayContaining([expect.stringContaining(`db_admin.expire_firefighter_password('${RW}'`), expect.stringContaining(`db_admin.end_firefighter_sessions('${RW}')`)]));
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    await expect(loginWith(RW, HAND_SET)).rejects.toThrow(/password authentication failed/);
    expect(await messages()).toBe('');
    expect((await cli('status')).stdout).toMatch(`${RW} (rw): free, 0 session(s)`);
  });

  it('a validity more than 2 hours away, or within them but not the broker\'s, is drift', async () => {
    await query(server.masterUrl(), `ALTER ROLE ${RO} PASSWORD '${HAND_SET}' VALID UNTIL '${new Date(Date.now() + 3 * 3_600_000).toISOString()}'`);
    expect(await messages()).toMatch(new RegExp(`${RO}: password set outside the broker: its password is valid until \\S+, more than the broker's 2 hours away`));
    await query(server.masterUrl(), `ALTER ROLE ${RO} VALID UNTIL '${new Date(Date.now() + 3_600_000).toISOString()}'`);
    expect(await messages()).toMatch(new RegExp(`${RO}: password set outside the broker: its password is valid until \\S+, and the broker's audit has no issue with that expiry`));
    expect((await cli('status')).stdout).toMatch(`${RO} (ro): password set outside the broker`);
    await applyRoleModel(spec, conn());
    await expect(loginWith(RO, HAND_SET)).rejects.toThrow(/password authentication failed/);
    expect(await messages()).toBe('');
  });

  it('an expiry copied from an earlier broker issue that has since been revoked is still drift', async () => {
    const out = await cli('request', 'ro', '--incident', 'INC-2', '--reason', 'copy the expiry', '--hours', '1', '--json');
    const expiresAt = (JSON.parse(out.stdout) as { expiresAt: string }).expiresAt;
    expect((await cli('revoke', 'ro', '--incident', 'INC-2')).code).toBe(0);
    await query(server.masterUrl(), `ALTER ROLE ${RO} PASSWORD '${HAND_SET}' VALID UNTIL '${expiresAt}'`);
    expect(await messages()).toMatch(`${RO}: password set outside the broker`);
    await applyRoleModel(spec, conn());
    expect(await messages()).toBe('');
  });
});

describe.each(testedMajors())('per-person logins with a password set outside the broker on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const messages = async () => (await verifyRoleModel(perPersonSpec, conn())).findings.map((f) => f.message).join('\n');

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(perPersonSpec, conn());
  });
  afterAll(async () => server?.stop());

  it('a login the broker issued is no drift; the same login with a hand-set password is, until apply expires it', async () => {
    const broker = await loginAs(server, 'my_pg_password_broker', DB);
    const [issued] = (await broker.query<{ login: string }>('SELECT login FROM db_admin.issue_firefighter_login($1, $2, 1, $3, $4, $5)',
      [RO, scramSha256Verifier('from-the-broker-1234'), 'alice', 'INC-9', 'per-person drift'])).rows;
    await broker.end();
    const login = issued?.login ?? '';
    expect(login).toMatch(/^my_pg_firefighter_ro_[0-9a-f]{6}$/);
    expect(await messages()).toBe('');
    // The master as admin (the login's creator, which alone holds ADMIN OPTION on it on 16+), by hand.
    await query(server.masterUrl(DB), `SET ROLE my_pg_admin; ALTER ROLE ${login} PASSWORD '${HAND_SET}' VALID UNTIL 'infinity'`);
    expect(await messages()).toMatch(`per-person login ${login} of ${RO}: password set outside the broker: its password never expires`);
    const client = new pg.Client({ connectionString: server.url(login, HAND_SET, DB) });
    await client.connect();
    await client.end();
    await applyRoleModel(perPersonSpec, conn());
    await expect(query(server.url(login, HAND_SET, DB), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    expect(await messages()).toBe('');
  });
});
