// More roles than seven (issue 10.8): extra roles with a privilege profile, as IAM logins or as NOLOGIN team
// groups whose members are existing logins; converged by apply, drift reported both ways by verify (privileges
// and memberships), shown in the access matrix; members named as warnings before anything changes.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planWithWarnings, RoleClaimError, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0];
if (!db0) throw new Error('reference spec has no database');
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';
const spec = parseSpec({
  ...reference,
  databases: [{
    ...db0,
    extraRoles: [
      { name: 'my_pg_reporting', profile: 'read', iam: true, connectionLimit: 4, guardrails: { statementTimeout: '30s', searchPath: ['my-pg-db-schema'] } },
      { name: 'my_pg_worker', profile: 'write', iam: true },
      { name: 'team_ops', profile: 'write-delete', members: ['alice', 'bob', 'dave'] },
    ],
  }],
});

describe.each(testedMajors())('extra roles on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const person = async (user: string) => {
    const c = new pg.Client({ connectionString: server.url(user, `pw-${user}`, DB) });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  const members = async () => (await query<{ m: string }>(server.masterUrl(), `SELECT m.member::regrole::text AS m FROM pg_auth_members m WHERE m.roleid = 'team_ops'::regrole AND m.member <> 'postgres'::regrole ORDER BY 1`)).map((r) => r.m);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE ROLE alice LOGIN PASSWORD 'pw-alice'; CREATE ROLE bob LOGIN PASSWORD 'pw-bob'; CREATE ROLE carol LOGIN PASSWORD 'pw-carol';`);
  });
  afterAll(async () => server?.stop());

  it('plan names each unmanaged role whose membership changes, and a member that does not exist', async () => {
    const { steps, warnings } = await planWithWarnings(spec, conn());
    expect(warnings.filter((w) => w.code !== 'unmanaged-login-loses-access').map((w) => w.message)).toEqual([
      'unmanaged role alice will be granted membership in team_ops: it gains write-delete access to "my-pg-db" through it',
      'unmanaged role bob will be granted membership in team_ops: it gains write-delete access to "my-pg-db" through it',
      'member dave of team_ops does not exist, so apply skips it; create the login first (CREATE ROLE "dave" LOGIN ...), then apply again',
    ]);
    const sql = steps.map((s) => s.sql);
    expect(sql).toContain('CREATE ROLE "my_pg_reporting" LOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 4 PASSWORD NULL');
    expect(sql).toContain('CREATE ROLE "team_ops" NOLOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD NULL');
    expect(sql).toContain('GRANT "team_ops" TO "alice"');
    expect(sql).toContain('COMMENT ON ROLE "team_ops" IS \'cdk-aurora-firefighter:{"cluster":"my-pg","databases":["my-pg-db"]}\'');
    expect(sql.some((s) => /GRANT .*TO .*"dave"/.test(s))).toBe(false);
  });

  it('apply converges; the profiles hold exactly the slots\' privileges; members reach them through the team', async () => {
    const result = await applyRoleModel(spec, conn());
    expect(result.warnings.map((w) => w.subject)).toContain('dave');
    // A table the migration creates later gets the profiles' grants from the default privileges.
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`SET ROLE my_pg_owner; CREATE TABLE ${S}.orders (id serial PRIMARY KEY, status text); INSERT INTO ${S}.orders (status) VALUES ('new'); RESET ROLE`);
    await migrator.end();
    const verify = await verifyRoleModel(spec, conn());
    expect(verify.findings).toEqual([]);
    expect(verify.matrix).toMatch(/my_pg_reporting \(read\)\s+yes\s+yes\s+yes\s+U-\s+S-{6,7}\s+-S-/);
    expect(verify.matrix).toMatch(/my_pg_worker \(write\)\s+yes\s+yes\s+yes\s+U-\s+SIU-{4,5}\s+US-/);
    expect(verify.matrix).toMatch(/team_ops \(write-delete\)\s+no\s+no\s+yes\s+U-\s+SIUD-{3,4}\s+US-/);
    const again = await planWithWarnings(spec, conn());
    expect(again.steps).toEqual([]);
    // alice and bob connect through team_ops now: no lockout warning for them; dave is still named.
    expect(again.warnings.map((w) => `${w.code} ${w.subject}`)).toEqual(['member-missing dave']);
    expect(await members()).toEqual(['alice', 'bob']);

    const alice = await person('alice');
    expect(await attempt(alice, `UPDATE ${S}.orders SET status = 'paid'`)).toBe('ok');
    expect(await attempt(alice, `DELETE FROM ${S}.orders WHERE status = 'gone'`)).toBe('ok');
    expect(await attempt(alice, `TRUNCATE ${S}.orders`)).toMatch(/permission denied for table orders/);
    expect(await attempt(alice, `CREATE TABLE ${S}.mine (x int)`)).toMatch(/permission denied for schema my-pg-db-schema/);
    expect(await attempt(alice, `SELECT db_admin.firefighter_history()`)).toMatch(/permission denied for schema db_admin/);
    await alice.end();
    const worker = await loginAs(server, 'my_pg_worker', DB);
    expect(await attempt(worker, `INSERT INTO ${S}.orders (status) VALUES ('w')`)).toBe('ok');
    expect(await attempt(worker, `DELETE FROM ${S}.orders`)).toMatch(/permission denied for table orders/);
    await worker.end();
    const reporting = await loginAs(server, 'my_pg_reporting', DB);
    expect(await attempt(reporting, `SELECT count(*) FROM orders`)).toBe('ok');
    expect((await reporting.query('SHOW statement_timeout')).rows[0]).toEqual({ statement_timeout: '30s' });
    expect(await attempt(reporting, `UPDATE ${S}.orders SET status = 'x'`)).toMatch(/permission denied for table orders/);
    await reporting.end();
    // carol is no member: PUBLIC lost CONNECT, and she was named as losing it.
    await expect(person('carol')).rejects.toThrow(/permission denied for database/);
  });

  it('verify reports drift both ways, privileges and memberships; apply restores the spec', async () => {
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner;
      GRANT DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${S} TO my_pg_worker;
      REVOKE SELECT ON ALL TABLES IN SCHEMA ${S} FROM my_pg_reporting;
      RESET ROLE;
      GRANT team_ops TO carol; REVOKE team_ops FROM bob;
      ALTER ROLE my_pg_reporting IN DATABASE "my-pg-db" SET statement_timeout = 0;`);
    const { findings } = await verifyRoleModel(spec, conn());
    expect(findings.map((f) => `${f.code} ${f.subject}`).sort()).toEqual([
      'membership-extra carol', 'membership-missing bob', 'role-setting my_pg_reporting', 'tables-privilege-extra my_pg_worker', 'tables-privilege-missing my_pg_reporting',
    ]);
    const { warnings } = await planWithWarnings(spec, conn());
    expect(warnings.map((w) => w.message)).toContain('unmanaged role carol will lose its membership in team_ops (write-delete access to "my-pg-db"): it is not in that role\'s "members"; add it there to keep it');
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await members()).toEqual(['alice', 'bob']);
  });

  it('an existing role the engine did not create is refused unless adopted, then marked', async () => {
    await query(server.masterUrl(), `CREATE ROLE legacy_reports NOLOGIN`);
    const named = (adopt: boolean) => parseSpec({ ...spec, databases: [{ ...spec.databases[0]!, extraRoles: [...(spec.databases[0]!.extraRoles ?? []), { name: 'legacy_reports', profile: 'read', members: ['carol'], ...(adopt ? { adopt } : {}) }] }] });
    await expect(applyRoleModel(named(false), conn())).rejects.toThrow(RoleClaimError);
    await expect(applyRoleModel(named(false), conn())).rejects.toThrow(/role "legacy_reports" \(databases\[0\]\.extraRoles\[3\]\.name\) already exists and was not created by cdk-aurora-firefighter/);
    await applyRoleModel(named(true), conn());
    const [mark] = await query<{ c: string }>(server.masterUrl(), `SELECT shobj_description('legacy_reports'::regrole, 'pg_authid') AS c`);
    expect(mark?.c).toBe('cdk-aurora-firefighter:{"cluster":"my-pg","databases":["my-pg-db"]}');
    const carol = await person('carol');
    expect(await attempt(carol, `SELECT count(*) FROM ${S}.orders`)).toBe('ok');
    expect(await attempt(carol, `UPDATE ${S}.orders SET status = 'x'`)).toMatch(/permission denied for table orders/);
    await carol.end();
  });

  it('a listed member keeps what its group\'s profile gives: neither warning says it loses that through PUBLIC', async () => {
    // PUBLIC may connect, use the schema, read and truncate orders; alice is listed in team_ops but not (yet) a
    // member, bob is both: apply makes alice a member, so she keeps what bob keeps.
    await query(server.masterUrl(), `SET ROLE my_pg_owner; GRANT CONNECT ON DATABASE "${DB}" TO PUBLIC; RESET ROLE; REVOKE team_ops FROM alice`);
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; GRANT USAGE ON SCHEMA ${S} TO PUBLIC; GRANT SELECT, TRUNCATE ON ${S}.orders TO PUBLIC`);
    const { warnings } = await planWithWarnings(spec, conn());
    const about = (who: string) => warnings.filter((w) => w.subject === who).map((w) => `${w.code}: ${w.message}`);
    const truncate = (who: string) => `unmanaged-role-loses-privileges: unmanaged login ${who} will lose TRUNCATE on 1 tables: ${S}.orders in database "${DB}" `
      + `(it has them only through PUBLIC, which apply revokes there); to keep any, grant it to ${who} explicitly (as my_pg_owner) after apply`;
    expect(about('bob')).toEqual([truncate('bob')]);
    expect(about('alice')).toEqual([
      'unmanaged-role-membership: unmanaged role alice will be granted membership in team_ops: it gains write-delete access to "my-pg-db" through it',
      truncate('alice'),
    ]);
    await applyRoleModel(spec, conn());
    const alice = await person('alice');
    expect(await attempt(alice, `SELECT count(*) FROM ${S}.orders`)).toBe('ok');
    expect(await attempt(alice, `TRUNCATE ${S}.orders`)).toMatch(/permission denied for table orders/);
    await alice.end();
  });
});
