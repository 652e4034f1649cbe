// Lived-in databases: a legacy login made a member of firefighter_rw holds read-write for good, without the
// broker, its approval or its audit; one in the owner role runs DDL; a team role in app gives app's privileges to
// all its members. verify names each such membership, plan and apply warn before revoking it, and apply revokes
// it. Left alone: per-person logins db_admin issued, and administrators (CREATEROLE), who could grant
// themselves these roles anyway.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scramSha256Verifier } from '../../lib/core/scram.js';
import { applyRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
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
    expect(findings.filter((f) => f.code === 'membership-unmanaged').map((f) => f.message).sort()).toEqual([
      'unmanaged role bob is a member of my_pg_firefighter_rw (granted by postgres), which gives it firefighter read-write without the broker; apply revokes it (to give a person or team access, name them in an extra role)',
      'unmanaged role bob is a member of my_pg_owner (granted by postgres), which gives it ownership of every object (DDL); apply revokes it (to give a person or team access, name them in an extra role)',
      'unmanaged role team is a member of my_pg_app (granted by postgres), which gives it the app\'s reads and writes; apply revokes it (to give a person or team access, name them in an extra role)',
    ]);
    expect(findings.map((f) => f.code)).toEqual(['membership-unmanaged', 'membership-unmanaged', 'membership-unmanaged']);
  });

  it('plan warns before anything changes; apply revokes them; verify is then clean', async () => {
    const { warnings } = await planWithWarnings(spec, conn());
    expect(warnings.filter((w) => w.code === 'unmanaged-role-membership').map((w) => w.subject).sort()).toEqual(['bob', 'bob', 'team']);
    const applied = await applyRoleModel(spec, conn());
    expect(applied.warnings.filter((w) => w.code === 'unmanaged-role-membership')).toHaveLength(3);
    expect(await members()).toEqual(['helper in my_pg_app', `${personLogin} in ${RO}`]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    const bob = new pg.Client({ connectionString: server.url('bob', 'pw-bob', DB) });
    await expect(bob.connect()).rejects.toThrow(/permission denied for database/);
  });
});
