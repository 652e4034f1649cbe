// The db_admin password functions, called as the password broker on a real server: the happy path,
// one holder under concurrency, hostile inputs refused with their SQLSTATE and nothing changed, and a
// server log (log_statement=all) that never sees the plaintext.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_ADMIN_ERRORS } from '../../lib/model/db-admin.js';
import { generatePassword } from '../../lib/broker/protocol/password.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, loginAs, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const SET = 'SELECT db_admin.set_firefighter_password($1, $2, $3, $4, $5, $6, $7) AS expires_at';

interface Call { role: unknown; password: unknown; hours: unknown; by?: unknown; incident?: unknown; reason?: unknown; takeover?: unknown }

describe.each(testedMajors())('db_admin functions on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let broker: pg.Client;
  const or = (c: Call, key: keyof Call, fallback: unknown) => (key in c ? c[key] : fallback);
  const set = (c: Call) => broker.query<{ expires_at: Date }>(SET, [c.role, c.password, c.hours, or(c, 'by', 'arn:aws:iam::123456789012:user/alice'), or(c, 'incident', 'INC-1'), or(c, 'reason', 'db is on fire'), or(c, 'takeover', false)]);
  const expire = (role: string) => broker.query('SELECT db_admin.expire_firefighter_password($1, $2, $3, $4) AS at', [role, 'arn:aws:iam::123456789012:user/alice', 'INC-1', 'done']);
  const state = async () => ({
    roles: await query(server.masterUrl(), `SELECT rolname, rolvaliduntil FROM pg_roles WHERE rolname LIKE 'my_pg_%' ORDER BY 1`),
    audit: await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT count(*)::int AS n FROM db_admin.firefighter_audit'),
    holders: await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT role, holder, expires_at FROM db_admin.firefighter_role ORDER BY 1'),
  });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major, settings: { log_statement: 'all', log_min_error_statement: 'debug5' } });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    broker = await loginAs(server, 'my_pg_password_broker', DB);
  });
  afterAll(async () => {
    await broker?.end().catch(() => undefined);
    await server?.stop();
  });

  it('issues a password valid for the hours asked, computed on the server, audited in the same transaction', async () => {
    const password = generatePassword();
    const before = Date.now();
    const { rows } = await set({ role: RO, password: scramSha256Verifier(password), hours: 1 });
    const expires = rows[0]?.expires_at.getTime() ?? 0;
    expect(expires - before).toBeGreaterThan(59 * 60_000);
    expect(expires - before).toBeLessThanOrEqual(60 * 60_000 + 1_000);
    const ff = new pg.Client({ connectionString: server.url(RO, password, DB) });
    await ff.connect();
    expect(await attempt(ff, 'SELECT 1')).toBe('ok');
    expect(await attempt(ff, 'CREATE TEMP TABLE t (i int)')).toBe('cannot execute CREATE TABLE in a read-only transaction');
    await ff.end();
    const audit = await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT action, role, requested_by, incident_id, reason, expires_at FROM db_admin.firefighter_audit ORDER BY id DESC LIMIT 1');
    expect(audit).toEqual([{ action: 'issue', role: RO, requested_by: 'arn:aws:iam::123456789012:user/alice', incident_id: 'INC-1', reason: 'db is on fire', expires_at: rows[0]?.expires_at }]);
    const status = await broker.query('SELECT role, holder, incident_id, active FROM db_admin.firefighter_status()');
    expect(status.rows).toEqual([
      { role: RO, holder: 'arn:aws:iam::123456789012:user/alice', incident_id: 'INC-1', active: true },
      { role: RW, holder: null, incident_id: null, active: false },
    ]);
  });

  it('refuses a second holder, naming the holder and expiry; a takeover is allowed and audited', async () => {
    const second = set({ role: RO, password: scramSha256Verifier(generatePassword()), hours: 2, by: 'arn:aws:iam::123456789012:user/bob' });
    await expect(second).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.roleHeld, message: expect.stringMatching(/^my_pg_firefighter_ro is held by arn:aws:iam::123456789012:user\/alice for incident INC-1 until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    await set({ role: RO, password: scramSha256Verifier(generatePassword()), hours: 2, by: 'arn:aws:iam::123456789012:user/bob', takeover: true });
    const audit = await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT action, requested_by, previous_holder FROM db_admin.firefighter_audit ORDER BY id DESC LIMIT 1');
    expect(audit).toEqual([{ action: 'takeover', requested_by: 'arn:aws:iam::123456789012:user/bob', previous_holder: 'arn:aws:iam::123456789012:user/alice' }]);
  });

  it('expire ends the sessions on its instance first and blocks new logins at once; end_firefighter_sessions ends the rest and counts them', async () => {
    const password = generatePassword();
    await set({ role: RW, password: scramSha256Verifier(password), hours: 2 });
    const connect = async () => {
      const c = new pg.Client({ connectionString: server.url(RW, password, DB) });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };
    const open = await connect();
    // On the writer the sessions end before the password expires (issue 17, item 3: a holder's open transaction
    // cannot make the expiry wait); the broker ends those on the other instances with end_firefighter_sessions.
    const expired = await broker.query('SELECT expired_at, sessions_ended FROM db_admin.expire_firefighter_password($1, $2, $3, $4)', [RW, 'arn:aws:iam::123456789012:user/alice', 'INC-1', 'done']);
    expect(expired.rows).toEqual([{ expired_at: expect.any(Date), sessions_ended: 1 }]);
    await expect(connect()).rejects.toThrow(/password authentication failed/);
    expect(await attempt(open, 'SELECT 1')).toMatch(/terminat|connection error/);
    await set({ role: RW, password: scramSha256Verifier(password), hours: 2 });
    const reader = await connect();
    const ended = await broker.query('SELECT db_admin.end_firefighter_sessions($1) AS n', [RW]);
    expect(ended.rows).toEqual([{ n: 1 }]);
    expect(await attempt(reader, 'SELECT 1')).toMatch(/terminat|connection error/);
    const again = await broker.query('SELECT db_admin.end_firefighter_sessions($1) AS n', [RW]);
    expect(again.rows).toEqual([{ n: 0 }]);
    await expire(RW);
  });

  it('ten concurrent requests over the broker\'s three connections end with exactly one holder', async () => {
    await expire(RW);
    // The broker role's connection limit is 3 (one is already open); that limit is part of the model.
    const extra = [await loginAs(server, 'my_pg_password_broker', DB), await loginAs(server, 'my_pg_password_broker', DB)];
    const clients = [broker, ...extra];
    try {
      // Concurrent across the three connections, one after another on each (pg 9 refuses a query on a busy client).
      const results = (await Promise.all(clients.map(async (client, k) => {
        const settled: PromiseSettledResult<unknown>[] = [];
        for (let i = k; i < 10; i += clients.length) {
          settled.push(...await Promise.allSettled([client.query(SET, [RW, scramSha256Verifier(generatePassword()), 1, `user-${i}`, 'INC-2', 'race', false])]));
        }
        return settled;
      }))).flat();
      expect(results).toHaveLength(10);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe(DB_ADMIN_ERRORS.roleHeld);
    } finally {
      await Promise.all(extra.map((c) => c.end()));
    }
  });

  const verifier = scramSha256Verifier('a-perfectly-good-password-for-tests-0001');
  const [, iterSalt = '', keys = ''] = verifier.split('$');
  const hostile: [string, Call, string][] = [
    ['another managed role', { role: 'my_pg_app', password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['the admin role', { role: 'my_pg_admin', password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['the master', { role: 'postgres', password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['the superuser', { role: 'rdsadmin', password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['injection in the role', { role: `${RO}" PASSWORD 'x'; --`, password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['a quoted role name', { role: `"${RO}"`, password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['a NULL role', { role: null, password: verifier, hours: 1 }, DB_ADMIN_ERRORS.roleNotAllowed],
    ['a plaintext password', { role: RO, password: 'this-is-a-plaintext-password-of-40-chars!', hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['an md5 hash', { role: RO, password: 'md5' + 'a'.repeat(32), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a short verifier', { role: RO, password: verifier.slice(0, 60), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['1000 iterations', { role: RO, password: verifier.replace('$4096:', '$1000:'), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['an 8-byte salt', { role: RO, password: `SCRAM-SHA-256$4096:${Buffer.alloc(8, 1).toString('base64')}$${keys}`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a truncated key', { role: RO, password: `SCRAM-SHA-256$${iterSalt}$${keys.slice(0, -4)}`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['injection after the verifier', { role: RO, password: `${verifier}' SUPERUSER --`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a NULL password', { role: RO, password: null, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    // The edges of the rule (at least 4096 iterations, a 16-byte salt, 32-byte keys), each one past it.
    ['4095 iterations', { role: RO, password: verifier.replace('$4096:', '$4095:'), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['an 8-digit iteration count', { role: RO, password: verifier.replace('$4096:', '$10000000:'), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['an iteration count past integer', { role: RO, password: verifier.replace('$4096:', '$409600000000:'), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a 15-byte salt', { role: RO, password: `SCRAM-SHA-256$4096:${Buffer.alloc(15, 1).toString('base64')}$${keys}`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a salt without its padding', { role: RO, password: `SCRAM-SHA-256$4096:${Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '')}$${keys}`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a salt with three padding characters', { role: RO, password: `SCRAM-SHA-256$4096:${Buffer.alloc(16, 1).toString('base64')}=$${keys}`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a 67-byte salt', { role: RO, password: `SCRAM-SHA-256$4096:${Buffer.alloc(67, 1).toString('base64')}$${keys}`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a key without its padding', { role: RO, password: verifier.replace('=:', 'A:'), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a key one character too long', { role: RO, password: verifier.replace(/=$/, 'A='), hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['a trailing newline', { role: RO, password: `${verifier}\n`, hours: 1 }, DB_ADMIN_ERRORS.badVerifier],
    ['0 hours', { role: RO, password: verifier, hours: 0 }, DB_ADMIN_ERRORS.badHours],
    ['3 hours', { role: RO, password: verifier, hours: 3 }, DB_ADMIN_ERRORS.badHours],
    ['-1 hours', { role: RO, password: verifier, hours: -1 }, DB_ADMIN_ERRORS.badHours],
    ['NULL hours', { role: RO, password: verifier, hours: null }, DB_ADMIN_ERRORS.badHours],
    ['a NULL requester', { role: RO, password: verifier, hours: 1, by: null }, DB_ADMIN_ERRORS.badAuditField],
    ['a blank incident', { role: RO, password: verifier, hours: 1, incident: '   ' }, DB_ADMIN_ERRORS.badAuditField],
    ['a huge reason', { role: RO, password: verifier, hours: 1, reason: 'x'.repeat(100_000) }, DB_ADMIN_ERRORS.badAuditField],
    ['a newline in the incident', { role: RO, password: verifier, hours: 1, incident: 'INC-1\nforged log line' }, DB_ADMIN_ERRORS.badAuditField],
  ];

  it.each(hostile)('refuses %s with its SQLSTATE, changing nothing', async (_name, call, code) => {
    await expire(RO);
    const before = await state();
    const error = await set(call).then(() => undefined, (e: pg.DatabaseError) => e);
    expect(error?.code).toBe(code);
    if (typeof call.password === 'string') expect(JSON.stringify({ ...error, message: error?.message })).not.toContain(call.password);
    expect(await state()).toEqual(before);
  });

  it.each([
    ['4096 iterations written with leading zeros', verifier.replace('$4096:', '$0004096:')],
    ['9999999 iterations', verifier.replace('$4096:', '$9999999:')],
    ['a 32-byte salt', `SCRAM-SHA-256$4096:${Buffer.alloc(32, 7).toString('base64')}$${keys}`],
    ['a 66-byte salt (88 characters, the most)', `SCRAM-SHA-256$4096:${Buffer.alloc(66, 7).toString('base64')}$${keys}`],
  ])('accepts %s', async (_name, password) => {
    await expire(RO);
    await expect(set({ role: RO, password, hours: 1 })).resolves.toMatchObject({ rowCount: 1 });
    await expire(RO);
  });

  it.each([
    ['2.5 hours', 2.5, '22P02'],
    ['"2" as text with junk', '2 hours', '22P02'],
  ])('the hours parameter is an integer: %s is refused by the type', async (_n, hours, code) => {
    await expect(set({ role: RO, password: verifier, hours })).rejects.toMatchObject({ code });
  });

  it('the broker can do nothing else in db_admin', async () => {
    expect(await attempt(broker, 'SELECT db_admin.lock_firefighter_role($$my_pg_firefighter_ro$$)')).toBe('permission denied for function lock_firefighter_role');
    expect(await attempt(broker, 'INSERT INTO db_admin.firefighter_role VALUES ($$my_pg_app$$, $$rw$$)')).toBe('permission denied for table firefighter_role');
    expect(await attempt(broker, 'DELETE FROM db_admin.firefighter_audit')).toBe('permission denied for table firefighter_audit');
    expect(await attempt(broker, 'CREATE FUNCTION db_admin.x() RETURNS int LANGUAGE sql AS $$SELECT 1$$')).toBe('permission denied for schema db_admin');
  });

  it('the server log never contains the plaintext, even with log_statement=all', async () => {
    await expire(RO);
    const password = generatePassword();
    const v = scramSha256Verifier(password);
    await set({ role: RO, password: v, hours: 1 });
    await set({ role: RO, password: v, hours: 1 }).catch(() => undefined); // a refusal is logged too
    const ff = new pg.Client({ connectionString: server.url(RO, password, DB) });
    await ff.connect();
    await ff.end();
    const log = server.readLog();
    expect(log).toContain('db_admin.set_firefighter_password'); // logging really was on
    expect(log).not.toContain(password);
  });
});
