// Every answer is true (issue 17, item 5): when the connection drops after the server committed a change, the
// broker reads the server's record back on a new connection and says what happened, for every action that
// changes something: extend, revoke, a takeover, approve and deny, and a per-person request. A change that never
// reached the server is said not to have happened; when even the read-back fails, "it may have happened".
// The socket is destroyed by a connector wrapper right after the db_admin call returned (the server committed)
// or right before it is sent (it never arrives), so the server and the client disagree as they would in life.
// Old: each of these answered `UNAVAILABLE ... failed: Connection terminated unexpectedly`, whatever happened.
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerService } from '../../lib/broker/service.js';
import type { BrokerConnector } from '../../lib/postgres/broker-connection.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec, reference } from '../support/per-person-spec.js';
import { brokerConfig, captureLogger, connector, prepare } from './support.js';

const DB = 'my-pg-db';
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const CAROL = 'arn:aws:iam::123456789012:user/carol';
type Answer = Record<string, any>;
const LOST = /^.* failed: Connection terminated unexpectedly/;

/**
 * The real connection, except for the statement matching `call`: `after` lets it run on the server, then the
 * socket dies before the answer is read; `before` kills the socket instead of sending it. `thenUnreachable`:
 * every later connection fails, the read-back's included.
 */
function dropping(base: BrokerConnector, call: RegExp, when: 'after' | 'before', thenUnreachable = false): BrokerConnector {
  let dropped = false;
  return async (host, database) => {
    if (dropped && thenUnreachable) throw Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
    const client = await base(host, database);
    const real = client.query.bind(client) as (text: string, params?: unknown[]) => Promise<pg.QueryResult>;
    const die = () => {
      dropped = true;
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      return Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    };
    (client as unknown as { query: typeof real }).query = async (text, params) => {
      if (dropped || !call.test(String(text))) return real(text, params);
      if (when === 'before') throw die();
      await real(text, params);
      throw die();
    };
    return client;
  };
}

function suite(mode: 'shared' | 'per-person', spec: RoleModelSpec) {
  describe.each(testedMajors())(`lost answers are settled (${mode}) on PostgreSQL %i`, (major) => {
    let server: EmbeddedServer;
    let aliceLogin = '';
    const admin = <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => queryAs<T>(server.masterUrl(DB), 'my_pg_admin', sql, params);
    const as = (who: string, connect?: BrokerConnector) => createBrokerService({
      config: brokerConfig(server, spec, { firefighterLogins: mode }), connect: connect ?? connector(server, spec), sslmode: 'verify-full', logger: captureLogger(), identity: { trusted: who },
    });
    const lossy = (call: RegExp, when: 'after' | 'before' = 'after', unreachable = false) => dropping(connector(server, spec), call, when, unreachable);
    const validUntil = async (role: string) => (await query<{ v: Date | null }>(server.masterUrl(), 'SELECT rolvaliduntil AS v FROM pg_roles WHERE rolname = $1', [role]))[0]?.v ?? null;

    beforeAll(async () => {
      server = await startEmbeddedServer({ major });
      await prepare(server, spec);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('extend: the expiry moved, so the answer is the new expiry, with a note saying it was read back', async () => {
      const issued = await as(ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-E', reason: 'look', hours: 1 }) as Answer;
      expect(issued).toMatchObject({ ok: true });
      aliceLogin = issued.username;
      const answer = await as(ALICE, lossy(/extend_firefighter_(password|login)/))({ action: 'extend', role: 'ro', incidentId: 'INC-E', reason: 'more', hours: 2 }) as Answer;
      const until = await validUntil(issued.username);
      expect(until!.getTime()).toBeGreaterThan(Date.parse(issued.expiresAt));
      expect(answer).toMatchObject({ ok: true, action: 'extend', login: issued.username, expiresAt: until!.toISOString(),
        note: `the connection was lost after the server did it (read back on a new connection): ${issued.username} is yours until ${until!.toISOString()}` });
    });

    it('revoke: the password was expired, so the answer is the revoke, its sessions ended everywhere, with a note', async () => {
      // What alice holds since the extend above.
      const answer = await as(ALICE, lossy(/(revoke|expire)_firefighter_(password|logins)/))({ action: 'revoke', role: 'ro', incidentId: 'INC-E', reason: 'done' }) as Answer;
      expect(answer).toMatchObject({ ok: true, action: 'revoke', note: `the connection was lost after the server did it (read back on a new connection): ${aliceLogin} is revoked` });
      if (mode === 'per-person') expect(answer.logins).toEqual([expect.objectContaining({ login: aliceLogin, holder: ALICE, incidentId: 'INC-E', dropped: true })]);
      const until = await validUntil(aliceLogin);
      expect(until === null || until.getTime() <= Date.now()).toBe(true);
    });

    it('a change that never reached the server is said not to have happened, and nothing changed', async () => {
      const before = await admin('SELECT role, holder, incident_id, expires_at FROM db_admin.firefighter_role ORDER BY 1');
      const answer = await as(CAROL, lossy(/(request_firefighter_password|issue_firefighter_login)/, 'before'))({ action: 'request', role: 'ro', incidentId: 'INC-N', reason: 'never sent', hours: 1 }) as Answer;
      expect(answer).toMatchObject({ ok: false, code: 'UNAVAILABLE', refusal: false });
      expect(answer.message).toMatch(LOST);
      expect(answer.message).toMatch(/; the server has no record of the (new password of my_pg_firefighter_ro|login of my_pg_firefighter_ro for INC-N) since it was sent, so nothing changed: check with `firefighter status` and run it again$/);
      expect(await admin('SELECT role, holder, incident_id, expires_at FROM db_admin.firefighter_role ORDER BY 1')).toEqual(before);
      expect(await admin(`SELECT 1 FROM db_admin.firefighter_history('INC-N')`)).toEqual([]);
    });

    it('when the read-back fails too, the answer says it may have happened and how to check', async () => {
      const access = mode === 'shared' ? 'rw' : 'ro';
      expect(await as(CAROL)({ action: 'request', role: access, incidentId: 'INC-M', reason: 'look', hours: 1 })).toMatchObject({ ok: true });
      const answer = await as(CAROL, lossy(/(revoke|expire)_firefighter_(password|logins)/, 'after', true))({ action: 'revoke', role: access, incidentId: 'INC-M', reason: 'done' }) as Answer;
      const what = mode === 'shared' ? 'the revoke of my_pg_firefighter_rw' : 'the revoke of your login of my_pg_firefighter_ro';
      expect(answer).toMatchObject({ ok: false, code: 'UNAVAILABLE', details: { mayHaveHappened: what } });
      expect(answer.message).toMatch(LOST);
      expect(answer.message).toContain(`; ${what} may have happened before that, and reading it back failed too (`);
      expect(answer.message).toMatch(/ETIMEDOUT.*\): check with `firefighter status` before running it again$/);
    });

    if (mode === 'shared') {
      it('a takeover whose answer is lost: the password was set and nobody has it, so the answer says how to end it', async () => {
        expect(await as(BOB)({ action: 'request', role: 'rw', incidentId: 'INC-T0', reason: 'bob works', hours: 1 })).toMatchObject({ ok: true });
        const answer = await as(ALICE, lossy(/request_firefighter_password/))({ action: 'request', role: 'rw', incidentId: 'INC-T', reason: 'carol away', hours: 1, takeover: true }) as Answer;
        const [row] = await admin<{ holder: string; expires_at: Date }>(`SELECT holder, expires_at FROM db_admin.firefighter_role WHERE role = 'my_pg_firefighter_rw'`);
        expect(row?.holder).toBe(ALICE);
        expect(answer).toMatchObject({ ok: false, code: 'FAILURE', details: { passwordActiveUntil: row?.expires_at.toISOString(), revokeWith: 'firefighter revoke rw --incident "INC-T"' } });
      });
    } else {
      it('approve and deny: the decision was recorded, so the answer is the decision, with a note', async () => {
        const ask = async (incidentId: string) => (await as(ALICE)({ action: 'request', role: 'rw', incidentId, reason: 'fix it', hours: 1 }) as Answer).details?.requestId as string;
        for (const [action, decision] of [['approve', 'approved'], ['deny', 'denied']] as const) {
          const requestId = await ask(`INC-${action}`);
          expect(requestId).toMatch(/^\d+$/);
          const answer = await as(BOB, lossy(/decide_firefighter_approval/))({ action, requestId, reason: 'looked at it' }) as Answer;
          expect(answer).toMatchObject({ ok: true, action, requestId, decision, requestedBy: ALICE, incidentId: `INC-${action}`,
            note: `the connection was lost after the server did it (read back on a new connection): request ${requestId} is ${decision}` });
          expect(await admin('SELECT decision, decided_by FROM db_admin.firefighter_approval WHERE id = $1', [requestId])).toEqual([{ decision, decided_by: BOB }]);
        }
      });

      it('a request whose answer is lost: the login got a password nobody has, and the answer says how to end it', async () => {
        const answer = await as(CAROL, lossy(/issue_firefighter_login/))({ action: 'request', role: 'ro', incidentId: 'INC-L', reason: 'look', hours: 1 }) as Answer;
        const [login] = await admin<{ login: string; expires_at: Date }>(`SELECT login, expires_at FROM db_admin.firefighter_login WHERE requested_by = $1 AND incident_id = 'INC-L'`, [CAROL]);
        expect(answer).toMatchObject({ ok: false, code: 'FAILURE', details: { passwordActiveUntil: login?.expires_at.toISOString(), revokeWith: 'firefighter revoke ro --incident "INC-L"' } });
        expect(answer.message).toContain(`; but ${login?.login} got a new password before that, active until ${login?.expires_at.toISOString()}, and nobody received it`);
      });
    }
  });
}

suite('shared', parseSpec(reference));
suite('per-person', perPersonSpec);
