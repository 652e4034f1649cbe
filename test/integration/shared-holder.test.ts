// The holder's workflow on shared firefighter roles (issue 12, item 4), on a real server with the engine applying
// as the Aurora-like master: the holder's re-request is a reissue (a new password, expiry kept, audited), extend
// moves the expiry within the incident's total (firefighterMinutesPerIncident), and a takeover names the previous
// holder in its event and, with endSessions, ends their sessions. set_firefighter_password itself is unchanged.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { DB_ADMIN_ERRORS } from '../../lib/model/db-admin.js';
import { generatePassword } from '../../lib/broker/protocol/password.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { directConfig, directConnector, parseDirectUrl } from '../../lib/broker/direct.js';
import type { BrokerEvent } from '../../lib/broker/events.js';
import { createBrokerService, type AuditLogger } from '../../lib/broker/service.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, query, queryAs, connectWith } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { reference } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
// IAM users: each a person (lib/broker/protocol/person.ts); two sessions of one role would be one.
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const spec = parseSpec(reference);

describe.each(testedMajors())('the shared holder\'s workflow on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let url: string;
  let token: string;
  const open: pg.Client[] = [];
  const events: BrokerEvent[] = [];
  const lines: string[] = [];
  const logger: AuditLogger = { info: (m, a) => lines.push(JSON.stringify([m, a])), warn: (m, a) => lines.push(JSON.stringify([m, a])), error: (m, a) => lines.push(JSON.stringify([m, a])) };
  const audit = (incident: string) => queryAs(server.masterUrl(DB), 'my_pg_admin',
    'SELECT action, role, requested_by, previous_holder, sessions_ended FROM db_admin.firefighter_audit WHERE incident_id = $1 ORDER BY id', [incident]);

  // beforeEndSessions: runs just before the broker ends the role's sessions (the window after the takeover).
  async function serviceAs(who: string, beforeEndSessions?: () => Promise<void>) {
    const target = await parseDirectUrl(url, {});
    const direct = directConnector(target);
    const connect = !beforeEndSessions ? direct : async (host: string, database: string) => {
      const client = await direct(host, database);
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as { query: unknown }).query = async (...args: unknown[]) => {
        if (String(args[0]).includes('end_firefighter_sessions')) await beforeEndSessions();
        return query(...args);
      };
      return client;
    };
    const config = await directConfig(target, connect);
    return createBrokerService({ config, connect, sslmode: target.tls.mode, logger, identity: { trusted: who }, publish: async (e) => void events.push(e) });
  }
  async function cli(...args: string[]) {
    const stdout: string[] = [];
    const code = await runFirefighter([...args, '--direct', '--database-url', url], { stdout: (t) => stdout.push(t), stderr: (t) => stdout.push(t), env: { TZ: 'UTC' } });
    return { code, stdout: stdout.join('\n') };
  }
  async function login(user: string, password: string): Promise<pg.Client> {
    const c = await connectWith(server, user, password, DB);
    open.push(c);
    return c;
  }
  const canLogin = (user: string, password: string) => login(user, password).then(() => true, () => false);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    token = await server.issueIamToken('my_pg_password_broker');
    url = server.url('my_pg_password_broker', token, DB);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  it('the holder asking again on the same incident gets a new password, the expiry kept, audited as reissue', async () => {
    const alice = await serviceAs(ALICE);
    const first = await alice({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'orders stuck', hours: 1 }) as Record<string, any>;
    expect(first).toMatchObject({ ok: true, outcome: 'issued', takeover: false });
    const again = await alice({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'lost the password', hours: 2 }) as Record<string, any>;
    // Old code: ROLE_HELD, naming alice herself.
    expect(again).toMatchObject({ ok: true, outcome: 'reissued', takeover: false, username: RO, expiresAt: first.expiresAt });
    expect(again.password).not.toBe(first.password);
    expect(await canLogin(RO, again.password)).toBe(true);
    expect(await canLogin(RO, first.password)).toBe(false);
    expect(await audit('INC-1')).toEqual([
      { action: 'issue', role: RO, requested_by: ALICE, previous_holder: null, sessions_ended: null },
      { action: 'reissue', role: RO, requested_by: ALICE, previous_holder: null, sessions_ended: null },
    ]);
    expect(events.at(-1)).toMatchObject({ detailType: 'firefighter reissued', detail: { caller: ALICE, role: RO, incidentId: 'INC-1', expiresAt: first.expiresAt } });
    // Another incident is another holding: still refused, as is anyone else without takeover. The holder is told
    // it is theirs (old: "held by <alice> ...; ask the holder"), anyone else whom to ask.
    expect(await alice({ action: 'request', role: 'ro', incidentId: 'INC-2', reason: 'other' })).toMatchObject({ ok: false, code: 'ROLE_HELD',
      message: `you already hold ${RO} for incident INC-1 until ${first.expiresAt.replace('.000Z', 'Z')}; ask again with --incident "INC-1" for a new password on it, or end it with \`firefighter revoke ro --incident "INC-1"\` and ask again` });
    expect(await (await serviceAs(BOB))({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'me too' })).toMatchObject({ ok: false, code: 'ROLE_HELD',
      message: `${RO} is held by ${ALICE} for incident INC-1 until ${first.expiresAt.replace('.000Z', 'Z')}; ask the holder, or request again with takeover (audited)` });
  });

  it('set_firefighter_password keeps its documented behaviour: the holder is refused as ROLE_HELD', async () => {
    const broker = await login('my_pg_password_broker', token);
    const error = await broker.query('SELECT db_admin.set_firefighter_password($1, $2, 1, $3, $4, $5, false)',
      [RO, scramSha256Verifier(generatePassword()), ALICE, 'INC-1', 'direct call']).then(() => undefined, (e: pg.DatabaseError) => e);
    expect(error?.code).toBe(DB_ADMIN_ERRORS.roleHeld);
    await broker.end();
  });

  it('extend moves the holder\'s expiry up to 2 hours from now, for the holder only; the CLI does it in --direct mode', async () => {
    const alice = await serviceAs(ALICE);
    const before = Date.now();
    const extended = await alice({ action: 'extend', role: 'ro', incidentId: 'INC-1', hours: 2 });
    // Old code: INVALID_INPUT "extend needs per-person logins".
    expect(extended).toMatchObject({ ok: true, action: 'extend', role: RO, login: RO });
    const expires = Date.parse((extended as { expiresAt: string }).expiresAt);
    expect(expires - before).toBeGreaterThan(119 * 60_000);
    expect(expires - before).toBeLessThanOrEqual(120 * 60_000 + 1_000);
    const valid = await query<{ until: Date }>(server.masterUrl(), 'SELECT rolvaliduntil AS until FROM pg_roles WHERE rolname = $1', [RO]);
    expect(valid[0]?.until.getTime()).toBe(expires);
    expect(events.at(-1)).toMatchObject({ detailType: 'firefighter extended', detail: { caller: ALICE, login: RO, expiresAt: new Date(expires).toISOString() } });
    expect(await (await serviceAs(BOB))({ action: 'extend', role: 'ro', incidentId: 'INC-1' })).toMatchObject({ ok: false, code: 'REFUSED', message: expect.stringContaining(`${BOB} does not hold ${RO} for incident INC-1`) });
    expect(await alice({ action: 'extend', role: 'rw', incidentId: 'INC-1' })).toMatchObject({ ok: false, code: 'REFUSED' });

    const viaCli = await cli('request', 'rw', '--incident', 'INC-3', '--reason', 'fix', '--hours', '1');
    expect(viaCli.code).toBe(0);
    const more = await cli('extend', 'rw', '--incident', 'INC-3', '--hours', '2');
    expect([more.code, more.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^${RW} now valid until \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\)$`))]);
    const history = await cli('history', '--incident', 'INC-3');
    const [rows = '', where = ''] = history.stdout.split('\n\n');
    expect(rows.split('\n').map((l) => l.split(/\s{2,}/)[1])).toEqual(['issue', 'extend']);
    expect(where).toMatch(new RegExp(`^statements: in the PostgreSQL server log of 127\\.0\\.0\\.1 .* is ${RW}, from `));
  });

  it('extend stays within the incident\'s total (firefighterMinutesPerIncident), refused clearly beyond it', async () => {
    await applyRoleModel(parseSpec({ ...reference, firefighterMinutesPerIncident: 60 }), { connectionString: server.masterUrl() });
    try {
      // INC-3 was issued for 1 hour and extended: its 60 minutes are used. Old code: no total at all.
      // In the same second as the last extension, "already valid for as long as asked" answers first.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const refused = await cli('extend', 'rw', '--incident', 'INC-3', '--json');
      expect(refused.code).toBe(2);
      expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: 'LIMIT_REACHED', message: expect.stringMatching(/^incident INC-3 has used its 60 minutes of my_pg_firefighter_rw since /) });
    } finally {
      await applyRoleModel(spec, { connectionString: server.masterUrl() });
    }
  });

  it('a takeover names the previous holder in its event, and with endSessions ends their sessions, audited', async () => {
    const alice = await serviceAs(ALICE);
    const bob = await serviceAs(BOB);
    const issued = await alice({ action: 'request', role: 'rw', incidentId: 'INC-4', reason: 'fix', takeover: true }) as Record<string, any>;
    const session = await login(RW, issued.password);
    // A takeover without endSessions leaves the previous holder's session alone (the old behaviour).
    const kept = await bob({ action: 'request', role: 'rw', incidentId: 'INC-5', reason: 'alice is away', takeover: true }) as Record<string, any>;
    expect(kept).toMatchObject({ ok: true, takeover: true, previousHolder: ALICE, previousIncidentId: 'INC-4' });
    expect(kept.previousSessionsEnded).toBeUndefined();
    expect(await attempt(session, 'SELECT 1')).toBe('ok');
    expect(events.at(-1)).toMatchObject({ detailType: 'firefighter takeover', detail: { caller: BOB, previousHolder: ALICE, previousIncidentId: 'INC-4', role: RW } });

    const bobs = await login(RW, kept.password);
    events.length = 0;
    const taken = await alice({ action: 'request', role: 'rw', incidentId: 'INC-6', reason: 'bob handed over', takeover: true, endSessions: true }) as Record<string, any>;
    // Old code: INVALID_INPUT, endSessions is not accepted by request.
    expect(taken).toMatchObject({ ok: true, takeover: true, previousHolder: BOB, previousSessionsEnded: 2 });
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/);
    expect(await attempt(bobs, 'SELECT 1')).toMatch(/terminat|connection/);
    expect(events).toEqual([expect.objectContaining({ detailType: 'firefighter takeover', detail: expect.objectContaining({ caller: ALICE, previousHolder: BOB, sessionsEnded: 2 }) })]);
    expect(await audit('INC-6')).toEqual([
      { action: 'takeover', role: RW, requested_by: ALICE, previous_holder: BOB, sessions_ended: null },
      { action: 'end-sessions', role: RW, requested_by: ALICE, previous_holder: BOB, sessions_ended: 2 },
    ]);
    expect(await canLogin(RW, taken.password)).toBe(true);
    expect(JSON.stringify([events, lines])).not.toContain(taken.password);
    // Reissues, extensions and the ended sessions' row are the broker's own: verify sees no password drift.
    expect((await verifyRoleModel(spec, { connectionString: server.masterUrl() })).findings).toEqual([]);
  });

  it('settings the previous holder changes after the takeover, before its sessions end, are reset for the new holder', async () => {
    const settings = () => query<{ s: string[] }>(server.masterUrl(),
      'SELECT s.setconfig AS s FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = $1::regrole AND d.datname = $2', [RO, DB]);
    const roleWide = () => query(server.masterUrl(), 'SELECT 1 FROM pg_db_role_setting WHERE setrole = $1::regrole AND setdatabase = 0', [RO]);
    // Ends the sessions earlier tests left open, so that the one below is the only one.
    const issued = await (await serviceAs(ALICE))({ action: 'request', role: 'ro', incidentId: 'INC-8', reason: 'first', takeover: true, endSessions: true }) as Record<string, any>;
    const guardrails = await settings();
    expect(guardrails[0]?.s).toContain('statement_timeout=5min');
    const held = await login(RO, issued.password);
    // The previous holder's session tries to act in the window between the takeover and the end of its sessions
    // on every instance. Since issue 17 (item 3) the takeover ends it on the writer before it writes anything, so
    // there is no such window left there; the guardrails are asserted again afterwards all the same.
    const tried: string[] = [];
    const weaken = async () => {
      tried.push(await attempt(held, 'SET default_transaction_read_only = off'));
      tried.push(await attempt(held, `ALTER ROLE ${RO} IN DATABASE "${DB}" SET statement_timeout = 0`));
      tried.push(await attempt(held, `ALTER ROLE ${RO} SET work_mem = '1GB'`));
    };
    const bob = await serviceAs(BOB, weaken);
    const taken = await bob({ action: 'request', role: 'ro', incidentId: 'INC-9', reason: 'alice is away', takeover: true, endSessions: true }) as Record<string, any>;
    expect(taken).toMatchObject({ ok: true, takeover: true, previousHolder: ALICE, previousSessionsEnded: 1 });
    expect(taken.warning).toBeUndefined();
    expect(tried.some((t) => t === 'ok')).toBe(false);
    // Old code: statement_timeout=0 in the database and work_mem=1GB role-wide, for bob's sessions.
    expect(await settings()).toEqual(guardrails);
    expect(await roleWide()).toEqual([]);
    const session = await login(RO, taken.password);
    expect((await session.query('SELECT current_setting(\'statement_timeout\') AS s, current_setting(\'work_mem\') AS w, current_setting(\'default_transaction_read_only\') AS r')).rows[0])
      .toEqual({ s: '5min', w: '4MB', r: 'on' });
    await session.end();
    expect((await verifyRoleModel(spec, { connectionString: server.masterUrl() })).findings).toEqual([]);
  });

  it('recording the ended sessions again (the broker\'s retry) adds no second audit row', async () => {
    const broker = await login('my_pg_password_broker', token);
    const record = () => broker.query<{ p: string }>('SELECT db_admin.record_takeover_sessions_ended($1, $2, $3, $4) AS p', [RO, BOB, 'INC-9', 0]);
    expect((await record()).rows).toEqual([{ p: ALICE }]);
    expect((await record()).rows).toEqual([{ p: ALICE }]);
    await broker.end();
    // Old code: three end-sessions rows, two of them saying 0 sessions.
    expect(await audit('INC-9')).toEqual([
      { action: 'takeover', role: RO, requested_by: BOB, previous_holder: ALICE, sessions_ended: null },
      { action: 'end-sessions', role: RO, requested_by: BOB, previous_holder: ALICE, sessions_ended: 1 },
    ]);
  });

  it('endSessions without takeover is refused before anything changes; the CLI says so too', async () => {
    expect(await (await serviceAs(BOB))({ action: 'request', role: 'ro', incidentId: 'INC-7', reason: 'x', endSessions: true }))
      .toMatchObject({ ok: false, code: 'INVALID_INPUT', message: expect.stringContaining('endSessions') });
    const out = await cli('request', 'ro', '--incident', 'INC-7', '--reason', 'x', '--end-sessions');
    expect(out).toMatchObject({ code: 2, stdout: expect.stringContaining('--end-sessions belongs to request --takeover') });
  });
});
