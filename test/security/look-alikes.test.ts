// Only what the broker issued is exempt (issue 17, item 4). A member of a firefighter group counts as a per-person
// login when db_admin recorded it (db_admin.firefighter_login) and admin granted the membership, never by its
// name: a NOLOGIN look-alike `<group>_<6 hex>` with a legacy login in it, or an IAM look-alike whose VALID UNTIL
// has passed (IAM ignores it), is an unmanaged member that verify names and apply revokes. And a login that owns
// something is still dropped once that is dealt with: its large objects go to the database owner at the sweep;
// anything else verify names, with how to release it.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directConfig, directConnector, parseDirectUrl } from '../../lib/broker/direct.js';
import { createBrokerService } from '../../lib/broker/service.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { query, connectWith } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec as spec } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const RW = 'my_pg_firefighter_rw';
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const CAROL = 'arn:aws:iam::123456789012:user/carol';
type Answer = Record<string, any>;

describe.each(testedMajors())('per-person logins are known by db_admin\'s record on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let url: string;
  const open: pg.Client[] = [];
  const conn = () => ({ connectionString: server.masterUrl() });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  async function alice(who = ALICE) {
    const target = await parseDirectUrl(url, {});
    const connect = directConnector(target);
    return createBrokerService({ config: await directConfig(target, connect), connect, sslmode: target.tls.mode, logger: quiet, identity: { trusted: who } });
  }
  async function login(user: string, password: string): Promise<pg.Client> {
    const c = await connectWith(server, user, password, DB);
    open.push(c);
    return c;
  }
  const membersOf = async (group: string) => (await query<{ m: string }>(server.masterUrl(),
    'SELECT m.member::regrole::text AS m FROM pg_auth_members m WHERE m.roleid = $1::regrole ORDER BY 1', [group])).map((r) => r.m);
  const unmanaged = async () => (await verifyRoleModel(spec, conn())).findings.filter((f) => f.code === 'membership-unmanaged').map((f) => f.subject).sort();

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    url = server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  it('look-alikes named like per-person logins are unmanaged members: verify names them, apply revokes them', async () => {
    const issued = await (await alice())({ action: 'request', role: 'ro', incidentId: 'INC-L1', reason: 'a real one' }) as Answer;
    expect(issued).toMatchObject({ ok: true });
    // Made by the master, as anyone with CREATEROLE could: a NOLOGIN group with a legacy login in it, and an IAM
    // login whose VALID UNTIL has passed (IAM authentication does not look at it).
    await query(server.masterUrl(), `CREATE ROLE ${RW}_abcdef NOLOGIN; GRANT ${RW} TO ${RW}_abcdef;
      CREATE ROLE legacy_dba LOGIN PASSWORD 'legacy-password'; GRANT ${RW}_abcdef TO legacy_dba;
      CREATE ROLE ${RW}_123abc LOGIN VALID UNTIL '1970-01-01'; GRANT rds_iam TO ${RW}_123abc; GRANT ${RW} TO ${RW}_123abc`);
    // Old: [] (both exempt by their names, so verify said no drift and apply kept them).
    expect(await unmanaged()).toEqual([`${RW}_123abc`, `${RW}_abcdef`]);
    await applyRoleModel(spec, conn());
    expect(await membersOf(RW)).not.toEqual(expect.arrayContaining([`${RW}_abcdef`]));
    expect(await membersOf(RW)).not.toEqual(expect.arrayContaining([`${RW}_123abc`]));
    expect(await membersOf('my_pg_firefighter_ro')).toEqual(expect.arrayContaining([issued.username]));
    expect(await unmanaged()).toEqual([]);
    expect(await (await alice())({ action: 'revoke', role: 'ro', incidentId: 'INC-L1', reason: 'done' })).toMatchObject({ ok: true });
  });

  it('a login that made a large object is dropped at its revoke; the large object goes to the database owner', async () => {
    const issued = await (await alice(BOB))({ action: 'request', role: 'ro', incidentId: 'INC-L2', reason: 'notes' }) as Answer;
    const session = await login(issued.username, issued.password);
    // A read-only guardrail a session may turn off; lo_create needs no privilege.
    await session.query('SET default_transaction_read_only = off');
    const lo = (await session.query<{ oid: number }>("SELECT lo_from_bytea(0, 'incident notes') AS oid")).rows[0]?.oid;
    const revoked = await (await alice(BOB))({ action: 'revoke', role: 'ro', incidentId: 'INC-L2', reason: 'done' }) as Answer;
    // Old: dropped false on this and every later sweep, and verify silent.
    expect(revoked).toMatchObject({ ok: true, logins: [{ login: issued.username, dropped: true, sessionsEnded: 1 }] });
    expect(await query(server.masterUrl(), 'SELECT 1 FROM pg_roles WHERE rolname = $1', [issued.username])).toEqual([]);
    expect(await query(server.masterUrl(DB), 'SELECT lomowner::regrole::text AS owner FROM pg_largeobject_metadata WHERE oid = $1', [lo])).toEqual([{ owner: 'my_pg_owner' }]);
    const audit = await query<{ reason: string }>(server.superuserUrl(DB), `SELECT reason FROM db_admin.firefighter_login_audit WHERE login = $1 AND action = 'drop'`, [issued.username]);
    expect(audit[0]?.reason).toContain('its 1 large object(s) now belong to the database owner');
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => f.code)).not.toContain('firefighter-login-undropped');
  });

  it('a login that owns a table stays after its revoke, and verify says what it owns and how to release it', async () => {
    const issued = await (await alice(CAROL))({ action: 'request', role: 'ro', incidentId: 'INC-L3', reason: 'table' }) as Answer;
    await query(server.superuserUrl(DB), `CREATE SCHEMA scratch; CREATE TABLE scratch.kept (i int); ALTER TABLE scratch.kept OWNER TO "${issued.username}"`);
    const revoked = await (await alice(CAROL))({ action: 'revoke', role: 'ro', incidentId: 'INC-L3', reason: 'done' }) as Answer;
    expect(revoked).toMatchObject({ ok: true, logins: [{ login: issued.username, dropped: false }] });
    const found = (await verifyRoleModel(spec, conn())).findings.filter((f) => f.code === 'firefighter-login-undropped');
    // Old: nothing (revoke and every sweep said dropped: false; verify was silent).
    expect(found).toEqual([expect.objectContaining({ subject: issued.username, database: DB })]);
    expect(found[0]?.message).toMatch(new RegExp(`^per-person login ${issued.username} of my_pg_firefighter_ro expired at \\S+ but the sweep cannot drop it: it owns table scratch\\.kept in "${DB}"`));
    expect(found[0]?.message).toContain(`GRANT "${issued.username}" TO "my_pg_admin"${major >= 16 ? ' WITH INHERIT TRUE' : ''}; ALTER ... OWNER TO "my_pg_owner" for what is to be kept; DROP OWNED BY "${issued.username}" for the rest`);
    // Done as it says, the next sweep drops it.
    const admin = new pg.Client({ connectionString: server.masterUrl(DB) });
    await admin.connect();
    try {
      await admin.query('SET ROLE my_pg_admin');
      await admin.query(`GRANT "${issued.username}" TO my_pg_admin${major >= 16 ? ' WITH INHERIT TRUE' : ''}`);
      await admin.query(`DROP OWNED BY "${issued.username}"`);
    } finally {
      await admin.end();
    }
    expect(await (await alice())({ action: 'sweep' })).toMatchObject({ ok: true, logins: [{ login: issued.username, dropped: true }] });
    await query(server.superuserUrl(DB), 'DROP SCHEMA scratch');
  });
});
