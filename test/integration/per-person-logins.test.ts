// Per-person firefighter logins (spec "firefighterLogins": "per-person"), through the db_admin functions as
// the password broker, the engine applying as the Aurora-like master: a login per person and incident with
// the group's guardrails, several responders at once, reissue, extend within the incident's total, revoke
// (own or all), the sweep dropping expired logins after ending their sessions, approvals for read-write,
// the per-role maximum under 20 concurrent requests, the history, and shared mode left as it was.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_ADMIN_ERRORS } from '../../lib/model/db-admin.js';
import { generatePassword } from '../../lib/broker/protocol/password.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { applyRoleModel, planRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, loginAs, loginPassword, query, queryAs, connectWith } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec, reference } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const ALICE = 'arn:aws:sts::123456789012:assumed-role/oncall/alice';
const BOB = 'arn:aws:sts::123456789012:assumed-role/oncall/bob';
const CAROL = 'arn:aws:sts::123456789012:assumed-role/lead/carol';
const ISSUE = 'SELECT outcome, login, expires_at, request_id FROM db_admin.issue_firefighter_login($1, $2, $3, $4, $5, $6)';

interface Issued { outcome: string; login: string | null; expires_at: Date; request_id: string | null }

describe.each(testedMajors())('per-person firefighter logins on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let broker: pg.Client;
  const open: pg.Client[] = [];

  async function issue(role: string, by: string, incident: string, hours = 2, client = broker): Promise<Issued & { password: string }> {
    const password = generatePassword();
    const { rows } = await client.query<Issued>(ISSUE, [role, scramSha256Verifier(password), hours, by, incident, 'orders stuck']);
    return { ...rows[0]!, password };
  }
  async function login(user: string, password: string): Promise<pg.Client> {
    const c = await connectWith(server, user, password, DB);
    open.push(c);
    return c;
  }
  /** As admin, committed: what an operator (or the passing of time) would change. */
  async function asAdmin(sql: string, params: unknown[] = []): Promise<void> {
    const client = new pg.Client({ connectionString: server.masterUrl(DB) });
    await client.connect();
    try {
      await client.query('SET ROLE my_pg_admin');
      await client.query(sql, params);
    } finally {
      await client.end();
    }
  }
  const audit = () => queryAs<{ action: string; login: string | null; requested_by: string; incident_id: string; request_id: string | null; sessions_ended: number | null }>(server.masterUrl(DB), 'my_pg_admin',
    'SELECT action, login, requested_by, incident_id, request_id, sessions_ended FROM db_admin.firefighter_login_audit ORDER BY id');
  const sweep = async () => {
    const ended = (await broker.query<{ login: string; ended: number }>('SELECT login, ended FROM db_admin.end_expired_login_sessions()')).rows;
    return (await broker.query<{ login: string; dropped: boolean; sessions_ended: number }>('SELECT login, dropped, sessions_ended FROM db_admin.drop_expired_firefighter_logins($1, $2)',
      [ended.map((e) => e.login), ended.map((e) => e.ended)])).rows;
  };
  const roleExists = async (name: string) => (await query(server.masterUrl(), 'SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length === 1;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(perPersonSpec, { connectionString: server.masterUrl() });
    broker = await loginAs(server, 'my_pg_password_broker', DB);
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`SET ROLE my_pg_owner; CREATE TABLE "my-pg-db-schema".orders (id int PRIMARY KEY, status text); INSERT INTO "my-pg-db-schema".orders VALUES (1, 'created')`);
    await migrator.end();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await broker?.end().catch(() => undefined);
    await server?.stop();
  });

  it('applies the firefighter roles as NOLOGIN groups, admin holding what it needs, and verifies clean', async () => {
    const roles = await query<{ rolname: string; rolcanlogin: boolean }>(server.masterUrl(), `SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('${RO}', '${RW}') ORDER BY 1`);
    expect(roles).toEqual([{ rolname: RO, rolcanlogin: false }, { rolname: RW, rolcanlogin: false }]);
    const admin = await query<{ rolcreaterole: boolean }>(server.masterUrl(), `SELECT rolcreaterole FROM pg_roles WHERE rolname = 'my_pg_admin'`);
    expect(admin).toEqual([{ rolcreaterole: true }]);
    if (major >= 16) {
      const grants = await query(server.masterUrl(), `SELECT g.rolname AS role, m.admin_option FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
        WHERE u.rolname = 'my_pg_admin' AND g.rolname IN ('${RO}', '${RW}') ORDER BY 1`);
      expect(grants).toEqual([{ role: RO, admin_option: true }, { role: RW, admin_option: true }]);
    }
    const policies = await broker.query('SELECT role, access, max_logins, connection_limit, approval FROM db_admin.firefighter_login_policies()');
    expect(policies.rows).toEqual([
      { role: RO, access: 'ro', max_logins: 25, connection_limit: 5, approval: false },
      { role: RW, access: 'rw', max_logins: 5, connection_limit: 3, approval: true },
    ]);
    expect((await verifyRoleModel(perPersonSpec, { connectionString: server.masterUrl() })).findings).toEqual([]);
    expect(await planRoleModel(perPersonSpec, { connectionString: server.masterUrl() })).toEqual([]);
  });

  it('issues a login of its own per person and incident: the group\'s privileges and guardrails, expiry and connection limit, audited', async () => {
    const before = Date.now();
    const a = await issue(RO, ALICE, 'INC-1', 1);
    expect(a).toMatchObject({ outcome: 'issued', login: expect.stringMatching(/^my_pg_firefighter_ro_[0-9a-f]{6}$/), request_id: null });
    expect(a.expires_at.getTime() - before).toBeLessThanOrEqual(60 * 60_000 + 1_000);
    const [role] = await query<{ rolvaliduntil: Date; rolconnlimit: number; rolcanlogin: boolean }>(server.masterUrl(), 'SELECT rolvaliduntil, rolconnlimit, rolcanlogin FROM pg_roles WHERE rolname = $1', [a.login]);
    expect(role).toEqual({ rolvaliduntil: a.expires_at, rolconnlimit: 5, rolcanlogin: true });
    const c = await login(a.login!, a.password);
    expect((await c.query('SELECT session_user AS who, current_setting($1) AS st, current_setting($2) AS sp', ['statement_timeout', 'search_path'])).rows)
      .toEqual([{ who: a.login, st: '5min', sp: '"my-pg-db-schema", public' }]);
    expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 1 }]);
    // The group's default_transaction_read_only guardrail was copied too.
    expect(await attempt(c, `UPDATE orders SET status = 'x'`)).toBe('cannot execute UPDATE in a read-only transaction');
    if (major >= 16) expect(await attempt(c, `SET ROLE ${RO}`)).toMatch(/permission denied/);
    expect((await audit()).at(-1)).toEqual({ action: 'issue', login: a.login, requested_by: ALICE, incident_id: 'INC-1', request_id: null, sessions_ended: null });
  });

  it('serves several responders at once; the holder asking again for the same incident gets a new password (reissue)', async () => {
    const [first] = (await broker.query<{ login: string }>(`SELECT login FROM db_admin.firefighter_logins() WHERE requested_by = $1`, [ALICE])).rows;
    const b = await issue(RO, BOB, 'INC-1');
    expect(b.outcome).toBe('issued');
    expect(b.login).not.toBe(first?.login);
    const again = await issue(RO, ALICE, 'INC-1');
    expect(again).toMatchObject({ outcome: 'reissued', login: first?.login });
    await login(again.login!, again.password);
    await login(b.login!, b.password);
    const rows = (await broker.query('SELECT requested_by, active, sessions FROM db_admin.firefighter_logins() ORDER BY requested_by')).rows;
    expect(rows).toEqual([
      { requested_by: ALICE, active: true, sessions: 2 },
      { requested_by: BOB, active: true, sessions: 1 },
    ]);
    expect((await audit()).map((r) => r.action)).toEqual(['issue', 'issue', 'reissue']);
    // The logins (and admin's ADMIN OPTION on them, 16+) are not drift.
    expect((await verifyRoleModel(perPersonSpec, { connectionString: server.masterUrl() })).findings).toEqual([]);
  });

  it('extends the holder\'s login up to 2 hours from now, refusing beyond the incident\'s total', async () => {
    const [mine] = (await broker.query<{ login: string; expires_at: Date }>(`SELECT login, expires_at FROM db_admin.firefighter_logins() WHERE requested_by = $1`, [ALICE])).rows;
    const { rows } = await broker.query<{ login: string; expires_at: Date }>('SELECT * FROM db_admin.extend_firefighter_login($1, 2, $2, $3, $4)', [RO, ALICE, 'INC-1', 'still on it']);
    expect(rows[0]?.login).toBe(mine?.login);
    expect(rows[0]!.expires_at.getTime()).toBeGreaterThan(mine!.expires_at.getTime() + 59 * 60_000);
    // Asking for no more than it already has changes nothing.
    const same = await broker.query<{ expires_at: Date }>('SELECT * FROM db_admin.extend_firefighter_login($1, 1, $2, $3, $4)', [RO, ALICE, 'INC-1', 'no-op']);
    expect(same.rows[0]?.expires_at).toEqual(rows[0]?.expires_at);
    // The incident started 3 hours ago and the login runs 1 more: its 4 hours are used.
    await asAdmin('UPDATE db_admin.firefighter_login SET issued_at = issued_at - interval \'3 hours\', expires_at = clock_timestamp() + interval \'1 hour\' WHERE login = $1', [mine?.login]);
    await expect(broker.query('SELECT * FROM db_admin.extend_firefighter_login($1, 2, $2, $3, $4)', [RO, ALICE, 'INC-1', 'more'])).rejects
      .toMatchObject({ code: DB_ADMIN_ERRORS.incidentTotalUsed, message: expect.stringMatching(/^incident INC-1 has used its 240 minutes of my_pg_firefighter_ro since /) });
    await expect(broker.query('SELECT * FROM db_admin.extend_firefighter_login($1, 2, $2, $3, $4)', [RO, CAROL, 'INC-1', 'more'])).rejects
      .toMatchObject({ code: DB_ADMIN_ERRORS.noActiveLogin });
  });

  it('revoke expires the caller\'s logins only; the sweep ends their sessions everywhere it runs and drops them', async () => {
    const before = (await broker.query<{ login: string; requested_by: string }>('SELECT login, requested_by FROM db_admin.firefighter_logins()')).rows;
    const alices = before.find((r) => r.requested_by === ALICE)!.login;
    const bobs = before.find((r) => r.requested_by === BOB)!.login;
    const revoked = await broker.query('SELECT login, holder FROM db_admin.revoke_firefighter_logins($1, $2, $3, $4, false)', [RO, ALICE, 'INC-1', 'done']);
    expect(revoked.rows).toEqual([{ login: alices, holder: ALICE }]);
    // Her sessions on the writer ended at the revoke itself, before her login expired (issue 17, item 3).
    expect(await sweep()).toEqual([{ login: alices, dropped: true, sessions_ended: 0 }]);
    expect(await roleExists(alices)).toBe(false);
    expect(await roleExists(bobs)).toBe(true);
    const bobsSession = open.find((c) => (c as unknown as { user: string }).user === bobs)!;
    expect(await attempt(bobsSession, 'SELECT 1')).toBe('ok');
    expect((await audit()).slice(-2).map((r) => [r.action, r.login, r.sessions_ended])).toEqual([['revoke', alices, 2], ['drop', alices, 0]]);
  });

  it('the sweep ends the sessions of a login that expired on its own and drops it; revoke --all ends everyone\'s, audited', async () => {
    const d = await issue(RO, CAROL, 'INC-2');
    const session = await login(d.login!, d.password);
    await asAdmin('UPDATE db_admin.firefighter_login SET expires_at = clock_timestamp() - interval \'1 second\' WHERE login = $1', [d.login]);
    expect(await sweep()).toEqual([{ login: d.login, dropped: true, sessions_ended: 1 }]);
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    const e = await issue(RO, CAROL, 'INC-2');
    const all = await broker.query<{ holder: string }>('SELECT holder FROM db_admin.revoke_firefighter_logins($1, $2, $3, $4, true)', [RO, CAROL, 'INC-2', 'stand down']);
    expect(all.rows.map((r) => r.holder).sort()).toEqual([CAROL, BOB]);
    expect((await sweep()).map((r) => r.dropped)).toEqual([true, true]);
    expect(await roleExists(e.login!)).toBe(false);
    const revokes = await queryAs<{ requested_by: string; incident_id: string; reason: string }>(server.masterUrl(DB), 'my_pg_admin',
      `SELECT requested_by, incident_id, reason FROM db_admin.firefighter_login_audit WHERE action = 'revoke' AND reason LIKE 'stand down%' ORDER BY incident_id`);
    expect(revokes).toEqual([
      { requested_by: CAROL, incident_id: 'INC-1', reason: `stand down (all logins, for incident INC-2; held by ${BOB})` },
      { requested_by: CAROL, incident_id: 'INC-2', reason: 'stand down' },
    ]);
  });

  it('20 concurrent requests give 20 distinct logins; beyond the role\'s maximum the rest are refused clearly', async () => {
    const password = await loginPassword(server, 'my_pg_password_broker');
    const clients = await Promise.all(Array.from({ length: 20 }, async () => {
      const c = new pg.Client({ connectionString: server.url('my_pg_password_broker', password, DB) });
      await c.connect();
      return c;
    }));
    try {
      const ro = await Promise.all(clients.map((c, i) => issue(RO, `${ALICE}-${i}`, 'INC-3', 2, c)));
      expect(new Set(ro.map((r) => r.login)).size).toBe(20);
      // rw needs an approval here; approve five people's requests, then all twenty ask at once.
      const pending = await Promise.all(clients.map((c, i) => issue(RW, `${BOB}-${i}`, 'INC-3', 2, c)));
      expect(pending.every((p) => p.outcome === 'pending')).toBe(true);
      for (const p of pending) await broker.query('SELECT * FROM db_admin.decide_firefighter_approval($1, $2, true, $3)', [p.request_id, CAROL, 'ok']);
      const rw = await Promise.allSettled(clients.map((c, i) => issue(RW, `${BOB}-${i}`, 'INC-3', 2, c)));
      const issued = rw.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = rw.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code: string; message: string }] : []));
      expect(issued).toHaveLength(5);
      expect(refused).toHaveLength(15);
      expect(refused[0]).toMatchObject({ code: DB_ADMIN_ERRORS.tooManyLogins, message: 'my_pg_firefighter_rw already has 5 active login(s), the most the spec allows' });
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    await broker.query('SELECT * FROM db_admin.revoke_firefighter_logins($1, $2, $3, $4, true)', [RO, CAROL, 'INC-3', 'cleanup']);
    await broker.query('SELECT * FROM db_admin.revoke_firefighter_logins($1, $2, $3, $4, true)', [RW, CAROL, 'INC-3', 'cleanup']);
    expect((await sweep()).every((r) => r.dropped)).toBe(true);
  });

  it('read-write waits for another person\'s approval, enforced in db_admin: pending, self-approval refused, approved, used once, lapsed', async () => {
    const first = await issue(RW, ALICE, 'INC-4');
    expect(first).toMatchObject({ outcome: 'pending', login: null, request_id: expect.stringMatching(/^\d+$/) });
    expect(await issue(RW, ALICE, 'INC-4')).toMatchObject({ outcome: 'pending', request_id: first.request_id });
    const decide = (id: unknown, by: string, approve: boolean) => broker.query('SELECT request_id, decision FROM db_admin.decide_firefighter_approval($1, $2, $3, $4)', [id, by, approve, 'checked the ticket']);
    await expect(decide(first.request_id, ALICE, true)).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.selfApproval });
    await expect(decide('999999', BOB, true)).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.noSuchApprovalRequest });
    expect((await decide(first.request_id, BOB, true)).rows).toEqual([{ request_id: first.request_id, decision: 'approved' }]);
    await expect(decide(first.request_id, CAROL, false)).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.approvalClosed });
    const granted = await issue(RW, ALICE, 'INC-4');
    expect(granted).toMatchObject({ outcome: 'issued', request_id: first.request_id });
    const c = await login(granted.login!, granted.password);
    expect(await attempt(c, `UPDATE "my-pg-db-schema".orders SET status = 'fixed'`)).toBe('ok');
    // Another incident needs its own approval; one left to lapse cannot be approved.
    const other = await issue(RW, ALICE, 'INC-5');
    expect(other.outcome).toBe('pending');
    await asAdmin('UPDATE db_admin.firefighter_approval SET expires_at = clock_timestamp() - interval \'1 second\' WHERE id = $1', [other.request_id]);
    await expect(decide(other.request_id, BOB, true)).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.approvalClosed, message: expect.stringMatching(/lapsed at/) });
    const denied = await issue(RW, ALICE, 'INC-6');
    expect((await decide(denied.request_id, BOB, false)).rows).toEqual([{ request_id: denied.request_id, decision: 'denied' }]);
    expect((await issue(RW, ALICE, 'INC-6')).outcome).toBe('pending');
    const steps = (await audit()).filter((r) => r.incident_id === 'INC-4').map((r) => [r.action, r.requested_by]);
    expect(steps).toEqual([['approval-request', ALICE], ['approve', BOB], ['issue', ALICE]]);
  });

  it('the history holds the incident\'s timeline and no verifier', async () => {
    const { rows } = await broker.query<{ action: string; actor: string; login: string | null }>('SELECT * FROM db_admin.firefighter_history($1, NULL, NULL)', ['INC-1']);
    expect(rows.map((r) => r.action)).toEqual(['issue', 'issue', 'reissue', 'extend', 'revoke', 'drop', 'revoke', 'drop']);
    const all = await broker.query('SELECT * FROM db_admin.firefighter_history(NULL, now() - interval \'1 hour\', 5000)');
    expect(JSON.stringify(all.rows)).not.toMatch(/SCRAM-SHA-256/);
    // Nothing else is readable by the broker.
    expect(await attempt(broker, 'SELECT * FROM db_admin.firefighter_login')).toMatch(/permission denied/);
  });

  it('refuses bad input with nothing changed: unmanaged role, plaintext password, hours', async () => {
    const count = async () => (await audit()).length;
    const n = await count();
    await expect(broker.query(ISSUE, ['my_pg_app', scramSha256Verifier('x'.repeat(20)), 2, ALICE, 'INC-9', 'r'])).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.roleNotAllowed });
    await expect(broker.query(ISSUE, [RO, 'plaintext-password', 2, ALICE, 'INC-9', 'r'])).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.badVerifier });
    await expect(broker.query(ISSUE, [RO, scramSha256Verifier('x'.repeat(20)), 3, ALICE, 'INC-9', 'r'])).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.badHours });
    expect(await count()).toBe(n);
  });

  it('shared mode keeps set_firefighter_password and refuses per-person logins', async () => {
    await applyRoleModel(reference, { connectionString: server.masterUrl() });
    const roles = await query<{ rolcanlogin: boolean }>(server.masterUrl(), `SELECT rolcanlogin FROM pg_roles WHERE rolname = '${RO}'`);
    expect(roles).toEqual([{ rolcanlogin: true }]);
    await expect(issue(RO, ALICE, 'INC-7')).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.notPerPerson });
    const password = generatePassword();
    await broker.query('SELECT db_admin.set_firefighter_password($1, $2, 1, $3, $4, $5, false)', [RO, scramSha256Verifier(password), ALICE, 'INC-7', 'r']);
    const c = await login(RO, password);
    expect(await attempt(c, 'SELECT 1')).toBe('ok');
    await applyRoleModel(perPersonSpec, { connectionString: server.masterUrl() });
  });
});
