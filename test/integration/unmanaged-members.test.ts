// Lived-in databases: a legacy login made a member of firefighter_rw holds read-write for good, without the
// broker, its approval or its audit; one in the owner role runs DDL; a team role in app gives app's privileges to
// all its members. verify names each such membership, plan and apply warn before revoking it, and apply revokes
// it. Left alone: per-person logins db_admin issued, the master, and on 15 any CREATEROLE role (it could grant
// itself these roles anyway; on 16+ it cannot, so it is named). On 16+ a membership belongs to its grantor:
// apply revokes in a grantor's name only when it holds that grantor's privileges, and otherwise says who must.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { applyRoleModel, planWithWarnings, verifyRoleModel, VerificationError } from '../../lib/postgres/engine.js';
import { attempt, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec as spec } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';

describe.each(testedMajors())('unmanaged members of managed roles on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let personLogin = '';
  const conn = () => ({ connectionString: server.masterUrl() });
  const members = async () => (await query<{ g: string; m: string }>(server.masterUrl(), `SELECT m.roleid::regrole::text AS g, m.member::regrole::text AS m FROM pg_auth_members m
    WHERE m.member::regrole::text IN ('bob', 'team', 'helper') OR starts_with(m.member::regrole::text, 'my_pg_firefighter_ro_')`)).map((r) => `${r.m} in ${r.g}`).sort();

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    // As the broker would (committed), through the admin the master may become.
    const admin = new pg.Client({ connectionString: server.masterUrl(DB) });
    await admin.connect();
    try {
      await admin.query('SET ROLE my_pg_admin');
      const issued = await admin.query<{ login: string }>('SELECT login FROM db_admin.issue_firefighter_login($1, $2, 1, $3, $4, $5)',
        [RO, scramSha256Verifier('a-per-person-password-for-tests-000001'), 'arn:aws:iam::123456789012:user/alice', 'INC-1', 'a per-person login is no finding']);
      personLogin = issued.rows[0]?.login ?? '';
    } finally {
      await admin.end();
    }
    await query(server.masterUrl(), `CREATE ROLE bob LOGIN PASSWORD 'pw-bob'; GRANT my_pg_firefighter_rw TO bob; GRANT my_pg_owner TO bob;
      CREATE ROLE team NOLOGIN; GRANT my_pg_app TO team; CREATE ROLE helper NOLOGIN CREATEROLE; GRANT my_pg_app TO helper`);
  });
  afterAll(async () => server?.stop());

  it('the hand-made memberships really give access: bob writes and runs DDL without the broker', async () => {
    const bob = new pg.Client({ connectionString: server.url('bob', 'pw-bob', DB) });
    await bob.connect();
    try {
      expect(await attempt(bob, 'SET ROLE my_pg_owner; CREATE TABLE "my-pg-db-schema".planted (i int); DROP TABLE "my-pg-db-schema".planted; RESET ROLE')).toBe('ok');
    } finally {
      await bob.end();
    }
    expect(await members()).toEqual(['bob in my_pg_firefighter_rw', 'bob in my_pg_owner', 'helper in my_pg_app', `${personLogin} in ${RO}`, 'team in my_pg_app']);
  });

  it('verify names each unmanaged member and what it gives, and nothing else', async () => {
    const { findings } = await verifyRoleModel(spec, conn());
    const tail = 'apply revokes it (to give a person or team access, name them in an extra role)';
    expect(findings.filter((f) => f.code === 'membership-unmanaged').map((f) => f.message).sort()).toEqual([
      `unmanaged role bob is a member of my_pg_firefighter_rw (granted by postgres), which gives it firefighter read-write without the broker; ${tail}`,
      `unmanaged role bob is a member of my_pg_owner (granted by postgres), which gives it ownership of every object (DDL); ${tail}`,
      // A CREATEROLE role that is not the master: on 16+ it cannot grant itself the role back.
      ...(major >= 16 ? [`unmanaged role helper is a member of my_pg_app (granted by postgres), which gives it the app's reads and writes; ${tail}`] : []),
      `unmanaged role team is a member of my_pg_app (granted by postgres), which gives it the app's reads and writes; ${tail}`,
    ]);
    expect(findings.every((f) => f.code === 'membership-unmanaged')).toBe(true);
  });

  it('plan warns before anything changes; apply revokes them; verify is then clean', async () => {
    const { warnings } = await planWithWarnings(spec, conn());
    const flagged = major >= 16 ? ['bob', 'bob', 'helper', 'team'] : ['bob', 'bob', 'team'];
    expect(warnings.filter((w) => w.code === 'unmanaged-role-membership').map((w) => w.subject).sort()).toEqual(flagged);
    const applied = await applyRoleModel(spec, conn());
    expect(applied.warnings.filter((w) => w.code === 'unmanaged-role-membership')).toHaveLength(flagged.length);
    expect(await members()).toEqual([...(major >= 16 ? [] : ['helper in my_pg_app']), `${personLogin} in ${RO}`]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    const bob = new pg.Client({ connectionString: server.url('bob', 'pw-bob', DB) });
    await expect(bob.connect()).rejects.toThrow(/permission denied for database/);
  });

  // 16+ only: per-grantor memberships (on 15 one REVOKE removes a membership whoever granted it).
  it.skipIf(major < 16)('a member with ADMIN OPTION who passed the role on: CASCADE revokes both, the second named before', async () => {
    // dba holds my_pg_owner WITH ADMIN OPTION and granted it to carol; the master holds dba's privileges.
    await query(server.masterUrl(), `CREATE ROLE dba NOLOGIN; CREATE ROLE carol LOGIN; GRANT my_pg_owner TO dba WITH ADMIN OPTION;
      GRANT dba TO postgres WITH INHERIT TRUE, SET TRUE; SET ROLE dba; GRANT my_pg_owner TO carol; RESET ROLE`);
    const { warnings } = await planWithWarnings(spec, conn());
    expect(warnings.map((w) => w.message)).toContain('unmanaged role dba will lose its membership in my_pg_owner (ownership of every object (DDL)), and with it the memberships it granted: carol; to keep access, add it to an extra role\'s "members"');
    await applyRoleModel(spec, conn());
    expect(await query(server.masterUrl(), "SELECT 1 FROM pg_auth_members WHERE roleid = 'my_pg_owner'::regrole AND member IN ('dba'::regrole, 'carol'::regrole)")).toEqual([]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it.skipIf(major < 16)('a membership granted in a name the master cannot use is a step for a human: verify says whose, apply fails naming it', async () => {
    // dba2, an administrator like the master (CREATEROLE, rds_superuser), granted my_pg_app to erin; the master
    // may SET ROLE dba2 but holds none of its privileges.
    await query(server.superuserUrl(), 'CREATE ROLE dba2 NOLOGIN CREATEROLE IN ROLE rds_superuser; GRANT dba2 TO postgres WITH INHERIT FALSE, SET TRUE');
    await query(server.masterUrl(), 'CREATE ROLE erin LOGIN; GRANT my_pg_app TO dba2 WITH ADMIN OPTION; SET ROLE dba2; GRANT my_pg_app TO erin; RESET ROLE');
    const messages = (await verifyRoleModel(spec, conn())).findings.map((f) => f.message);
    expect(messages).toEqual(['unmanaged role erin is a member of my_pg_app (granted by dba2), which gives it the app\'s reads and writes; apply cannot revoke it in dba2\'s name: run REVOKE "my_pg_app" FROM "erin" CASCADE as dba2 (or a role with its privileges) (to give a person or team access, name them in an extra role)']);
    const { steps } = await planWithWarnings(spec, conn());
    expect(steps.find((s) => s.sql === 'REVOKE "my_pg_app" FROM "erin" CASCADE')).toMatchObject({ manual: true });
    await expect(applyRoleModel(spec, conn())).rejects.toBeInstanceOf(VerificationError);
    await query(server.masterUrl(), 'SET ROLE dba2; REVOKE my_pg_app FROM erin CASCADE; RESET ROLE');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it.skipIf(major < 16)('the same rule for a managed role\'s extra membership: granted by dba2, it is dba2\'s to revoke', async () => {
    await query(server.masterUrl(), 'GRANT my_pg_owner TO dba2 WITH ADMIN OPTION; SET ROLE dba2; GRANT my_pg_owner TO my_pg_app; RESET ROLE');
    // (Through the owner, the app also holds the owner's CREATE: reported as well.)
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => f.message)).toContain(
      'my_pg_app is a member of my_pg_owner, which the spec does not grant; granted by dba2, in whose name apply cannot revoke it: run REVOKE "my_pg_owner" FROM "my_pg_app" as dba2');
    const { steps } = await planWithWarnings(spec, conn());
    expect(steps.find((s) => s.sql === 'REVOKE "my_pg_owner" FROM "my_pg_app"')).toMatchObject({ manual: true });
    await query(server.masterUrl(), 'SET ROLE dba2; REVOKE my_pg_owner FROM my_pg_app; RESET ROLE');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });
});
