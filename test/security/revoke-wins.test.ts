// A revoke always wins (issue 17, item 3): a holder whose login leaves an `ALTER ROLE CURRENT_USER PASSWORD` (or
// `... IN DATABASE ... SET`) open holds a row lock on its own pg_authid (pg_db_role_setting) row. revoke,
// revoke --all, a takeover with endSessions and the sweep end the holder's sessions before they write that row,
// so the holder's open transaction is aborted instead of making them wait out the broker's 5 s lock timeout.
// The embedded server runs with rds.restrict_password_commands off (stock PostgreSQL has no such parameter): a
// login may change its own password, as on a cluster you bring or with --direct on any PostgreSQL.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConfig, directConnector, parseDirectUrl } from '../../lib/broker/direct.js';
import { createBrokerService, type AuditLogger } from '../../lib/broker/service.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { query, queryAs, connectWith } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec, reference } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const LEAD = 'arn:aws:iam::123456789012:user/carol';
type Answer = Record<string, any>;

function suite(mode: 'shared' | 'per-person', spec: RoleModelSpec) {
  describe.each(testedMajors())(`a revoke always wins (${mode}) on PostgreSQL %i`, (major) => {
    let server: EmbeddedServer;
    let url: string;
    const open: pg.Client[] = [];
    const logger: AuditLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

    async function serviceAs(who: string) {
      const target = await parseDirectUrl(url, {});
      const connect = directConnector(target);
      const config = await directConfig(target, connect);
      return createBrokerService({ config, connect, sslmode: target.tls.mode, logger, identity: { trusted: who } });
    }
    async function login(user: string, password: string): Promise<pg.Client> {
      const c = await connectWith(server, user, password, DB);
      open.push(c);
      return c;
    }
    /** The holder's session leaves a write to its own catalog row open, its timeouts off. */
    async function holdOpen(c: pg.Client, statements: string[]) {
      await c.query('SET idle_in_transaction_session_timeout = 0; SET statement_timeout = 0');
      await c.query('BEGIN READ WRITE');
      for (const s of statements) await c.query(s);
    }
    const alive = (c: pg.Client) => c.query('SELECT 1').then(() => true, () => false);
    const validUntil = async (role: string) =>
      (await query<{ until: Date | null }>(server.masterUrl(), 'SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1', [role]))[0]?.until ?? null;
    const roleExists = async (role: string) => (await query(server.masterUrl(), 'SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length === 1;
    const timed = async <T>(work: Promise<T>) => {
      const started = Date.now();
      const value = await work;
      return { value, ms: Date.now() - started };
    };
    /** Issues `access` to `who` and logs in with it; per-person rw is approved by the lead first. */
    async function holding(who: string, access: 'ro' | 'rw', incidentId: string): Promise<{ user: string; client: pg.Client }> {
      const service = await serviceAs(who);
      let answer = await service({ action: 'request', role: access, incidentId, reason: 'hold it' }) as Answer;
      if (answer.code === 'APPROVAL_PENDING') {
        await (await serviceAs(LEAD))({ action: 'approve', requestId: String(answer.details.requestId), reason: 'ok' });
        answer = await service({ action: 'request', role: access, incidentId, reason: 'hold it' }) as Answer;
      }
      expect(answer).toMatchObject({ ok: true });
      return { user: answer.username, client: await login(answer.username, answer.password) };
    }

    beforeAll(async () => {
      server = await startEmbeddedServer({ major });
      await applyRoleModel(spec, { connectionString: server.masterUrl() });
      url = server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB);
      // What these tests need of the server: a login may change its own password.
      expect((await query<{ v: string | null }>(server.masterUrl(), "SELECT current_setting('rds.restrict_password_commands', true) AS v"))[0]?.v ?? 'off').not.toMatch(/^(1|on)$/);
    });
    afterAll(async () => {
      await Promise.all(open.map((c) => c.end().catch(() => undefined)));
      await server?.stop();
    });

    it('revoke ends the holder\'s session whose open ALTER ROLE CURRENT_USER PASSWORD holds its row, then expires it', async () => {
      const held = await holding(ALICE, 'ro', 'INC-R1');
      await holdOpen(held.client, ["ALTER ROLE CURRENT_USER PASSWORD 'the-holder-keeps-it-1'"]);
      const { value, ms } = await timed((await serviceAs(ALICE))({ action: 'revoke', role: 'ro', incidentId: 'INC-R1', reason: 'done' }));
      // Old: UNAVAILABLE after the 5 s lock timeout; nothing expired, the session lived on.
      expect(value).toMatchObject({ ok: true, action: 'revoke', sessionsEnded: 1 });
      expect(ms).toBeLessThan(4_000);
      expect(await alive(held.client)).toBe(false);
      if (mode === 'shared') expect((await validUntil(RO))?.getTime()).toBe(0);
      else expect(await roleExists(held.user)).toBe(false);
      await expect(login(held.user, 'the-holder-keeps-it-1')).rejects.toThrow();
    });

    it('after a revoke, a new request on the same incident gets what is left of the incident\'s minutes, not a fresh 2 hours', async () => {
      const service = await serviceAs(ALICE);
      expect(await service({ action: 'request', role: 'ro', incidentId: 'INC-C1', reason: 'first' })).toMatchObject({ ok: true });
      // The incident started 3 hours ago (its cap is the spec's 240 minutes).
      const backdate = mode === 'shared'
        ? `UPDATE db_admin.firefighter_audit SET at = at - interval '3 hours' WHERE incident_id = 'INC-C1'`
        : `UPDATE db_admin.firefighter_login SET issued_at = issued_at - interval '3 hours' WHERE incident_id = 'INC-C1'`;
      await query(server.superuserUrl(DB), backdate);
      expect(await service({ action: 'revoke', role: 'ro', incidentId: 'INC-C1', reason: 'stepping away' })).toMatchObject({ ok: true });
      const again = await service({ action: 'request', role: 'ro', incidentId: 'INC-C1', reason: 'back', hours: 2 }) as Answer;
      // Old: ok with a fresh 2 hours (the incident's 4 hours would have become 5).
      expect(again).toMatchObject({ ok: true });
      const left = Date.parse(again.expiresAt) - Date.now();
      expect(left).toBeGreaterThan(55 * 60_000);
      expect(left).toBeLessThan(61 * 60_000);
      expect(await service({ action: 'revoke', role: 'ro', incidentId: 'INC-C1', reason: 'done' })).toMatchObject({ ok: true });
      await query(server.superuserUrl(DB), backdate.replace('3 hours', '2 hours'));
      // Old: ok, another fresh 2 hours.
      expect(await service({ action: 'request', role: 'ro', incidentId: 'INC-C1', reason: 'again' }))
        .toMatchObject({ ok: false, message: expect.stringMatching(/^incident INC-C1 has used its 240 minutes of my_pg_firefighter_ro since /) });
    });

    it('the sweep needs no proof and is harmless for any invoker: it ends only what has expired, and changes nothing else', async () => {
      const held = await holding(ALICE, 'ro', 'INC-W1');
      const target = await parseDirectUrl(url, {});
      const connect = directConnector(target);
      // A caller whose identity proof is always refused: every other action is refused; the sweep still runs.
      const anyone = createBrokerService({ config: await directConfig(target, connect), connect, sslmode: target.tls.mode, logger,
        identity: { verify: async () => { throw new Error('no proof accepted'); } } });
      expect(await anyone({ action: 'status' })).toMatchObject({ ok: false });
      const audit = () => query<{ n: number }>(server.superuserUrl(DB),
        'SELECT (SELECT count(*) FROM db_admin.firefighter_audit)::int + (SELECT count(*) FROM db_admin.firefighter_login_audit)::int AS n');
      const before = await audit();
      expect(await anyone({ action: 'sweep' })).toMatchObject({ ok: true, action: 'sweep', sessionsEnded: 0 });
      expect(await alive(held.client)).toBe(true);
      expect(await audit()).toEqual(before);
      expect(await (await serviceAs(ALICE))({ action: 'revoke', role: 'ro', incidentId: 'INC-W1', reason: 'done' })).toMatchObject({ ok: true });
    });

    if (mode === 'per-person') {
      it('revoke --all by someone else ends every holder\'s sessions, an open password change included', async () => {
        const a = await holding(ALICE, 'ro', 'INC-A1');
        const b = await holding(BOB, 'ro', 'INC-A2');
        await holdOpen(a.client, ["ALTER ROLE CURRENT_USER PASSWORD 'the-holder-keeps-it-2'"]);
        const { value, ms } = await timed((await serviceAs(LEAD))({ action: 'revoke', role: 'ro', incidentId: 'INC-A9', reason: 'all out', all: true }));
        // Old: UNAVAILABLE after 5 s, no login expired, no session ended (bob's neither).
        expect(value).toMatchObject({ ok: true, action: 'revoke', sessionsEnded: 2 });
        expect((value as Answer).logins).toEqual(expect.arrayContaining([
          expect.objectContaining({ login: a.user, dropped: true, sessionsEnded: 1 }), expect.objectContaining({ login: b.user, dropped: true, sessionsEnded: 1 }),
        ]));
        expect(ms).toBeLessThan(4_000);
        expect([await alive(a.client), await alive(b.client)]).toEqual([false, false]);
        expect([await roleExists(a.user), await roleExists(b.user)]).toEqual([false, false]);
      });

      it('the sweep drops an expired login whose session holds its row in an open transaction', async () => {
        const a = await holding(ALICE, 'ro', 'INC-S1');
        // Expired by the clock (as the superuser), then the still-open session starts its own change.
        await query(server.superuserUrl(DB), `UPDATE db_admin.firefighter_login SET expires_at = now() - interval '1 minute' WHERE login = $1`, [a.user]);
        await query(server.superuserUrl(), `ALTER ROLE "${a.user}" VALID UNTIL '2000-01-01'`);
        await holdOpen(a.client, ["ALTER ROLE CURRENT_USER PASSWORD 'the-holder-keeps-it-3'"]);
        const { value, ms } = await timed((await serviceAs(BOB))({ action: 'sweep' }));
        expect(value).toMatchObject({ ok: true, action: 'sweep', logins: [expect.objectContaining({ login: a.user, dropped: true, sessionsEnded: 1 })] });
        expect(ms).toBeLessThan(4_000);
        expect(await alive(a.client)).toBe(false);
        expect(await roleExists(a.user)).toBe(false);
      });
    }

    if (mode === 'shared') {
      it('a takeover with endSessions ends the holder\'s session holding its password row, then issues', async () => {
        const held = await holding(ALICE, 'rw', 'INC-T1');
        await holdOpen(held.client, ["ALTER ROLE CURRENT_USER PASSWORD 'the-holder-keeps-it-4'"]);
        const { value, ms } = await timed((await serviceAs(BOB))({ action: 'request', role: 'rw', incidentId: 'INC-T2', reason: 'take it', takeover: true, endSessions: true }));
        // Old: UNAVAILABLE after the 5 s lock timeout; alice kept the role and her session.
        expect(value).toMatchObject({ ok: true, takeover: true, previousHolder: ALICE, previousSessionsEnded: 1 });
        expect(ms).toBeLessThan(4_000);
        expect(await alive(held.client)).toBe(false);
        await expect(login(RW, 'the-holder-keeps-it-4')).rejects.toThrow();
        expect(await alive(await login(RW, (value as Answer).password))).toBe(true);
        await (await serviceAs(BOB))({ action: 'revoke', role: 'rw', incidentId: 'INC-T2', reason: 'done' });
      });

      it('a takeover with endSessions ends the holder\'s session holding its settings row, then asserts the guardrails', async () => {
        const held = await holding(ALICE, 'rw', 'INC-T3');
        // One committed change (so the guardrails must be written again) and one left open on the same row.
        await held.client.query(`ALTER ROLE CURRENT_USER IN DATABASE "${DB}" SET statement_timeout = 0`);
        await holdOpen(held.client, [`ALTER ROLE CURRENT_USER IN DATABASE "${DB}" SET lock_timeout = 0`]);
        const { value, ms } = await timed((await serviceAs(BOB))({ action: 'request', role: 'rw', incidentId: 'INC-T4', reason: 'take it', takeover: true, endSessions: true }));
        // Old: UNAVAILABLE after the 5 s lock timeout (the guardrails were asserted before the sessions ended).
        expect(value).toMatchObject({ ok: true, takeover: true, previousHolder: ALICE, previousSessionsEnded: 1 });
        expect(ms).toBeLessThan(4_000);
        expect(await alive(held.client)).toBe(false);
        const settings = await queryAs<{ setconfig: string[] }>(server.masterUrl(DB), 'my_pg_admin',
          `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = $1::regrole AND d.datname = $2`, [RW, DB]);
        expect(settings[0]?.setconfig).toEqual(expect.arrayContaining(['statement_timeout=5min', 'lock_timeout=5s']));
        await (await serviceAs(BOB))({ action: 'revoke', role: 'rw', incidentId: 'INC-T4', reason: 'done' });
      });
    }
  });
}

suite('shared', parseSpec(reference));
suite('per-person', perPersonSpec);
