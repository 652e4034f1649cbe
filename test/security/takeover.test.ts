// No silent takeover (issue 8, item 4): the engine marks the roles it creates, refuses a spec name that
// matches a role it did not create unless the spec adopts it, shows what adopting changes, never revokes
// rds_*/pg_* memberships by itself, refuses two specs claiming one role, and retires only its own roles in
// its own databases. Everything runs as the Aurora-like master; the superuser only sets the stage.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMark } from '../../lib/model/role-mark.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, renderPlan, verifyRoleModel } from '../../lib/postgres/engine.js';
import { retireDatabaseRoles } from '../../lib/postgres/retire.js';
import { attempt, catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'));
const DB = 'my-pg-db';

/** A second team's spec on the same cluster: its own database and roles, optionally sharing some names. */
function teamB(overrides: (s: Record<string, any>) => void = () => undefined): RoleModelSpec {
  const s = structuredClone(reference);
  s.databases[0].name = 'team-b-db';
  s.databases[0].schemas = ['team-b-schema'];
  for (const slot of ['migrator', 'app', 'firefighterRo', 'firefighterRw'] as const) {
    s.databases[0].roles[slot].name = s.databases[0].roles[slot].name.replace('my_pg_', 'team_b_');
    if (s.databases[0].roles[slot].guardrails?.searchPath) s.databases[0].roles[slot].guardrails.searchPath = ['team-b-schema', 'public'];
  }
  s.databases[0].roles.owner.name = 'team_b_owner';
  s.admin.name = 'team_b_admin';
  s.passwordBroker.name = 'team_b_password_broker';
  overrides(s);
  return parseSpec(s);
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe.each(testedMajors())('no silent takeover on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const su = (sql: string, db?: string) => query(server.superuserUrl(db), sql);
  const roleState = async (role: string) => (await query<{ login: boolean; members: string[]; comment: string | null }>(server.masterUrl(),
    `SELECT r.rolcanlogin AS login, shobj_description(r.oid, 'pg_authid') AS comment,
            ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) AS members
       FROM pg_roles r WHERE rolname = $1`, [role]))[0];

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
  });
  afterAll(async () => server?.stop());

  it('refuses a spec naming an existing role it did not create, in plan, verify and apply, changing nothing', async () => {
    // Someone's existing login (made with the master, as on Aurora), with rds_superuser and a group of its own.
    await query(server.masterUrl(), 'CREATE ROLE reporting_group NOLOGIN; CREATE ROLE my_pg_app LOGIN CREATEDB; GRANT reporting_group TO my_pg_app');
    await su('GRANT rds_superuser TO my_pg_app');
    const before = await catalogSnapshot(server, []);
    const spec = parseSpec(reference);
    for (const run of [applyRoleModel, planRoleModel, verifyRoleModel]) {
      const message = await refusal(run(spec, conn()));
      expect(message).toContain('role "my_pg_app" (databases[0].roles.app.name) already exists and was not created by cdk-aurora-firefighter');
      expect(message).toContain('set "adopt": true on that role');
    }
    expect(await catalogSnapshot(server, [])).toEqual(before);
    expect(await roleState('my_pg_app')).toEqual({ login: true, comment: null, members: ['rds_superuser', 'reporting_group'] });
  });

  it('adopting shows every attribute and membership it changes in plan, and never revokes rds_superuser by itself', async () => {
    const s = structuredClone(reference);
    s.databases[0].roles.app.adopt = true;
    const spec = parseSpec(s);
    const plan = renderPlan(await planRoleModel(spec, conn()));
    expect(plan).toContain('-- adopt my_pg_app (app role, not created by cdk-aurora-firefighter); it changes: createdb is true, expected false; connection limit is -1, expected 100; grant membership in rds_iam; keeps membership in rds_superuser (reported until a human revokes it; never revoked by apply); revoke membership in reporting_group');
    expect(plan).toContain('-- (apply does not run this; run it yourself if you mean it) REVOKE "rds_superuser" FROM "my_pg_app";');
    expect(plan).toMatch(/-- adopt my_pg_app: membership not in the spec \(granted by \w+\)\nREVOKE "reporting_group" FROM "my_pg_app";/);

    // apply does all of it except the rds_superuser revoke, then fails verification naming it.
    const message = await refusal(applyRoleModel(spec, conn()));
    expect(message).toContain('my_pg_app is a member of rds_superuser, which the spec does not grant; the engine never revokes rds_* or pg_* memberships: if it must go, run REVOKE "rds_superuser" FROM "my_pg_app"');
    expect((await roleState('my_pg_app'))?.members).toEqual(['rds_iam', 'rds_superuser']);

    // The human decides; then the adopted role converges and carries the mark.
    await su('REVOKE rds_superuser FROM my_pg_app');
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect((await roleState('my_pg_app'))?.comment).toBe(renderMark({ cluster: 'my-pg', databases: [DB] }));
    // Adopted once, the flag is harmless; without it the marked role is simply ours.
    expect((await verifyRoleModel(parseSpec(reference), conn())).findings).toEqual([]);
  });

  it('marks every role it creates, and a managed login cannot unmark itself', async () => {
    const marks = await query<{ rolname: string; comment: string }>(server.masterUrl(),
      "SELECT rolname, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname LIKE 'my\\_pg\\_%' ORDER BY 1");
    expect(marks).toEqual([
      { rolname: 'my_pg_admin', comment: renderMark({ cluster: 'my-pg', databases: [DB] }) },
      ...['my_pg_app', 'my_pg_firefighter_ro', 'my_pg_firefighter_rw', 'my_pg_migrator', 'my_pg_owner'].map((r) => ({ rolname: r, comment: renderMark({ cluster: 'my-pg', databases: [DB] }) })),
      { rolname: 'my_pg_password_broker', comment: renderMark({ cluster: 'my-pg', databases: [DB] }) },
    ].sort((a, b) => a.rolname.localeCompare(b.rolname)));
    const holder = await loginAs(server, 'my_pg_firefighter_rw', DB);
    try {
      expect(await attempt(holder, 'COMMENT ON ROLE my_pg_firefighter_rw IS NULL')).toMatch(/permission denied|must have CREATEROLE|must have admin option/);
    } finally {
      await holder.end();
    }
  });

  it('refuses a second spec that claims the first one\'s admin and broker, naming both specs', async () => {
    const before = await catalogSnapshot(server, [DB]);
    const shared = teamB((s) => {
      s.admin.name = 'my_pg_admin';
      s.passwordBroker.name = 'my_pg_password_broker';
    });
    const message = await refusal(applyRoleModel(shared, conn()));
    expect(message).toContain('role "my_pg_admin" (admin.name) belongs to the role model of cluster "my-pg" for database "my-pg-db", but this spec is the role model of cluster "my-pg" for database "team-b-db"');
    expect(message).toContain('role "my_pg_password_broker" (passwordBroker.name) belongs to the role model of cluster "my-pg" for database "my-pg-db"');
    expect(await catalogSnapshot(server, [DB])).toEqual(before);
    // Adopting does not help: adopt takes only roles nobody marked.
    const adopting = teamB((s) => {
      s.admin = { name: 'my_pg_admin', adopt: true };
    });
    expect(await refusal(planRoleModel(adopting, conn()))).toContain('role "my_pg_admin" (admin.name) belongs to the role model of cluster "my-pg" for database "my-pg-db"');
    // A spec for another cluster naming a database role of this one is refused as well.
    const otherCluster = structuredClone(reference);
    otherCluster.cluster = 'other-cluster';
    expect(await refusal(verifyRoleModel(parseSpec(otherCluster), conn()))).toContain('role "my_pg_owner" (databases[0].roles.owner.name) belongs to the role model of cluster "my-pg" for database "my-pg-db", but this spec is the role model of cluster "other-cluster"');
  });

  it('lets a spec add a database and keep its admin and broker', async () => {
    const grown = structuredClone(reference);
    grown.databases.push(structuredClone(teamB().databases[0]));
    const spec = parseSpec(grown);
    await applyRoleModel(spec, conn());
    expect((await roleState('my_pg_admin'))?.comment).toBe(renderMark({ cluster: 'my-pg', databases: [DB, 'team-b-db'] }));
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('retire touches only its own marked roles, and nothing outside the spec\'s databases', async () => {
    const spec = parseSpec(reference);
    // my_pg_app also owns a table in a database this spec does not manage.
    await su('CREATE DATABASE unrelated');
    await su('GRANT CREATE ON SCHEMA public TO my_pg_app', 'unrelated');
    await su('SET ROLE my_pg_app; CREATE TABLE public.app_elsewhere (id int)', 'unrelated');
    // my_pg_firefighter_ro lost its mark: from retire's point of view somebody else's role with that name.
    await su('COMMENT ON ROLE my_pg_firefighter_ro IS NULL');
    const result = await retireDatabaseRoles(spec, DB, conn(), { dropDatabase: false });
    expect(result.rolesDropped.sort()).toEqual(['my_pg_firefighter_rw', 'my_pg_migrator', 'my_pg_owner']);
    expect(result.rolesKept).toEqual([
      { role: 'my_pg_firefighter_ro', reason: 'cdk-aurora-firefighter did not create it (its comment carries no mark); drop it yourself if it should go' },
      { role: 'my_pg_app', reason: 'it owns or holds privileges outside this spec\'s databases (objects in database "unrelated"); reassign or revoke them, then drop the role yourself' },
    ]);
    expect(result.cleanedDatabases).not.toContain('unrelated');
    const owner = await query<{ owner: string }>(server.superuserUrl('unrelated'), "SELECT relowner::regrole::text AS owner FROM pg_class WHERE relname = 'app_elsewhere'");
    expect(owner).toEqual([{ owner: 'my_pg_app' }]);
    // The unmarked role was not touched at all; the one used elsewhere can no longer log in.
    expect((await roleState('my_pg_firefighter_ro'))?.login).toBe(true);
    expect((await roleState('my_pg_app'))?.login).toBe(false);
    void major;
  });
});
