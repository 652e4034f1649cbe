// Least privilege in the whole database (issue 10.3): column grants are privileges, and so is anything a managed
// role holds in a schema the spec does not list (public, any other). Verify reports them, apply revokes them,
// and grants to unmanaged roles stay as they were.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel, VerificationError } from '../../lib/postgres/engine.js';
import { attempt, loginAs, query } from '../support/catalog.js';
import { livedInSql } from '../support/lived-in.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const spec = parseSpec(reference);
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const APP = 'my_pg_app';

/** Every grant the drift below adds, and the unmanaged ones that must survive, as PostgreSQL reports them. */
const PROBES = `SELECT
  has_column_privilege('${RO}', '"my-pg-db-schema".orders', 'status', 'UPDATE') AS ro_update_status,
  has_column_privilege('${APP}', '"my-pg-db-schema".orders', 'id', 'REFERENCES') AS app_references_id,
  has_table_privilege('${RO}', 'public.scratch', 'DELETE') AS ro_delete_scratch,
  has_table_privilege('${RO}', 'reporting.daily', 'DELETE') AS ro_delete_daily,
  has_schema_privilege('${RO}', 'reporting', 'USAGE') AS ro_usage_reporting,
  has_sequence_privilege('${RO}', 'reporting.daily_seq', 'UPDATE') AS ro_update_seq,
  EXISTS (SELECT FROM pg_proc p, aclexplode(p.proacl) a WHERE p.oid = 'reporting.refresh()'::regprocedure AND a.grantee = '${RW}'::regrole) AS rw_granted_refresh,
  has_column_privilege('${RW}', 'reporting.daily', 'note', 'UPDATE') AS rw_update_note,
  has_column_privilege('legacy_app', '"my-pg-db-schema".orders', 'status', 'UPDATE') AS legacy_update_status,
  has_table_privilege('legacy_app', 'reporting.daily', 'DELETE') AS legacy_delete_daily,
  has_table_privilege('legacy_app', 'public.scratch', 'DELETE') AS legacy_delete_scratch,
  EXISTS (SELECT FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE a.grantee = '${RO}'::regrole AND d.defaclrole <> 'my_pg_owner'::regrole) AS ro_foreign_default`;

describe.each(testedMajors())('least privilege in the whole database on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(), `CREATE ROLE legacy_app LOGIN PASSWORD 'pw-legacy'`);
    // The master built everything: the application schema, an unlisted schema and a table in public.
    await query(server.masterUrl(DB), `${livedInSql('my-pg-db-schema')}
      CREATE SCHEMA reporting;
      CREATE TABLE reporting.daily (id int, note text);
      CREATE SEQUENCE reporting.daily_seq;
      CREATE FUNCTION reporting.refresh() RETURNS int LANGUAGE sql AS 'SELECT 1';
      CREATE TABLE public.scratch (id int);`);
    await applyRoleModel(spec, conn());
    // Drift, as a DBA in a hurry makes it: in the application schema as its owner, elsewhere as the master.
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner;
      GRANT UPDATE (status) ON "my-pg-db-schema".orders TO ${RO};
      GRANT REFERENCES (id) ON "my-pg-db-schema".orders TO ${APP};
      GRANT UPDATE (status) ON "my-pg-db-schema".orders TO legacy_app;
      GRANT USAGE ON SCHEMA public TO SESSION_USER;
      RESET ROLE;
      GRANT USAGE ON SCHEMA reporting TO ${RO}, ${RW}, legacy_app;
      GRANT DELETE ON public.scratch, reporting.daily TO ${RO}, legacy_app;
      GRANT UPDATE ON SEQUENCE reporting.daily_seq TO ${RO};
      GRANT EXECUTE ON FUNCTION reporting.refresh() TO ${RW};
      GRANT UPDATE (note) ON reporting.daily TO ${RW};
      ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT DELETE ON TABLES TO ${RO};
      SET ROLE my_pg_owner;
      REVOKE USAGE ON SCHEMA public FROM SESSION_USER;`);
  });
  afterAll(async () => server?.stop());

  it('the drift is real: the read-only firefighter updates a row and deletes elsewhere', async () => {
    const ro = await loginAs(server, RO, DB);
    try {
      // Its guardrails make transactions read-only by default; a read-write one is a statement away.
      expect(await attempt(ro, `START TRANSACTION READ WRITE; UPDATE "my-pg-db-schema".orders SET status = 'ff'; COMMIT`)).toBe('ok');
      expect(await attempt(ro, 'START TRANSACTION READ WRITE; DELETE FROM reporting.daily; COMMIT')).toBe('ok');
    } finally {
      await ro.end();
    }
  });

  it('verify names every privilege beyond the model, column grants and unlisted schemas included', async () => {
    const { findings } = await verifyRoleModel(spec, conn());
    expect(findings.map((f) => f.message).sort()).toEqual([
      `future tables created by postgres in "reporting" will grant DELETE to ${RO}; the model gives managed roles nothing through other roles' default privileges`,
      `${APP} has REFERENCES on columns of 1 table(s) in "my-pg-db-schema": "my-pg-db-schema"."orders" ("id")`,
      `${RO} has DELETE on 1 tables in schema "public", which the spec does not list: "public"."scratch"`,
      `${RO} has DELETE on 1 tables in schema "reporting", which the spec does not list: "reporting"."daily"`,
      `${RO} has UPDATE on 1 sequences in schema "reporting", which the spec does not list: "reporting"."daily_seq"`,
      `${RO} has UPDATE on columns of 1 table(s) in "my-pg-db-schema": "my-pg-db-schema"."orders" ("status")`,
      `${RO} has USAGE on schema "reporting", which the spec does not list`,
      `${RW} has EXECUTE on 1 routines in schema "reporting", which the spec does not list: "reporting"."refresh"()`,
      `${RW} has UPDATE on columns of 1 table(s) in schema "reporting", which the spec does not list: "reporting"."daily" ("note")`,
      `${RW} has USAGE on schema "reporting", which the spec does not list`,
    ]);
    expect(findings.find((f) => f.code === 'column-privilege-extra' && f.subject === RO)?.objects).toEqual(['"my-pg-db-schema"."orders" ("status")']);
  });

  it('apply revokes them in a few statements; unmanaged grants stay; verify is clean and a second plan empty', async () => {
    const plan = await planRoleModel(spec, conn());
    // The owner lends the master USAGE on public for the statement, unless the master has it already.
    const [usable] = await query<{ u: boolean }>(server.masterUrl(DB), `SELECT has_schema_privilege('public', 'USAGE') AS u`);
    const lend = (step: [string, string]) => (usable?.u ? [] : [step]);
    expect(plan.map((s) => [s.runAs ?? 'master', s.sql])).toEqual([
      ['my_pg_owner', `REVOKE REFERENCES ON TABLE "my-pg-db-schema"."orders" FROM "${APP}";\nREVOKE UPDATE ON TABLE "my-pg-db-schema"."orders" FROM "${RO}"`],
      ...lend(['my_pg_owner', 'GRANT USAGE ON SCHEMA public TO SESSION_USER']),
      ['master', [
        `REVOKE UPDATE ON TABLE "reporting"."daily" FROM "${RW}"`,
        `REVOKE DELETE ON TABLE "public"."scratch", "reporting"."daily" FROM "${RO}"`,
        `REVOKE EXECUTE ON ROUTINE "reporting"."refresh"() FROM "${RW}"`,
        `REVOKE USAGE ON SCHEMA "reporting" FROM "${RO}"`,
        `REVOKE USAGE ON SCHEMA "reporting" FROM "${RW}"`,
        `REVOKE UPDATE ON SEQUENCE "reporting"."daily_seq" FROM "${RO}"`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" IN SCHEMA "reporting" REVOKE ALL ON TABLES FROM "${RO}"`,
      ].join(';\n')],
      ...lend(['my_pg_owner', 'REVOKE USAGE ON SCHEMA public FROM SESSION_USER']),
    ]);
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await planRoleModel(spec, conn())).toEqual([]);
    // Read as the bootstrap superuser: the master no longer sees into the application schema or public.
    expect(await query(server.superuserUrl(DB), PROBES)).toEqual([{
      ro_update_status: false, app_references_id: false, ro_delete_scratch: false, ro_delete_daily: false, ro_usage_reporting: false,
      ro_update_seq: false, rw_granted_refresh: false, rw_update_note: false,
      legacy_update_status: true, legacy_delete_daily: true, legacy_delete_scratch: true, ro_foreign_default: false,
    }]);
    const ro = await loginAs(server, RO, DB);
    try {
      expect(await attempt(ro, `START TRANSACTION READ WRITE; UPDATE "my-pg-db-schema".orders SET status = 'ff'`)).toMatch(/permission denied for table orders/);
      await ro.query('ROLLBACK');
      expect((await ro.query(`SELECT count(*)::int AS n FROM "my-pg-db-schema".orders`)).rows).toEqual([{ n: 1 }]);
    } finally {
      await ro.end();
    }
    // EXECUTE through PUBLIC (unlisted schemas keep what PUBLIC has) is out of reach without USAGE on the schema.
    const rw = await loginAs(server, RW, DB);
    try {
      expect(await attempt(rw, 'SELECT reporting.refresh()')).toMatch(/permission denied for schema reporting/);
    } finally {
      await rw.end();
    }
  });

  it('an object a managed role owns in an unlisted schema keeps its owner\'s privileges: its own ACL entry is no grant', async () => {
    // The migrator made a table in an unlisted schema while it had CREATE there (set up as the bootstrap
    // superuser, the shortest way to that state), and shared it with a legacy login.
    await query(server.superuserUrl(DB), `CREATE TABLE reporting.handover (id int);
      ALTER TABLE reporting.handover OWNER TO my_pg_migrator;
      GRANT SELECT ON reporting.handover TO legacy_app`);
    // Before: "my_pg_migrator has ... on 1 tables in schema \"reporting\"", and a REVOKE ALL from the owner itself.
    // That it owns the table outside the listed schemas is a finding of its own, with a manual step
    // (test/integration/owned-outside-model.test.ts), so apply revokes nothing and ends with it.
    expect((await verifyRoleModel(spec, conn())).findings.filter((f) => JSON.stringify(f).includes('handover')).map((f) => f.code)).toEqual(['owned-outside-model']);
    const error = await applyRoleModel(spec, conn()).catch((e: unknown) => e);
    expect((error as VerificationError).findings.map((f) => f.code)).toEqual(['owned-outside-model']);
    expect(await query(server.superuserUrl(DB), `SELECT has_table_privilege('my_pg_migrator', 'reporting.handover', 'SELECT') AS s`)).toEqual([{ s: true }]);
    await query(server.superuserUrl(DB), 'DROP TABLE reporting.handover');
  });

  it('a grant by a role the master may SET ROLE to is revoked as that role, the same privilege from other grantors too', async () => {
    // A legacy role the master made owns a table in an unlisted schema and shared it: with RO, and with grant
    // option with the master and another legacy role, who each granted it to RO again. Three grants of SELECT.
    // (The schema made as the bootstrap superuser: the master no longer owns the database.)
    await query(server.masterUrl(DB), 'CREATE ROLE legacy_granter; CREATE ROLE legacy_other; GRANT legacy_granter, legacy_other TO CURRENT_USER');
    await query(server.superuserUrl(DB), 'CREATE SCHEMA legacy AUTHORIZATION legacy_granter');
    await query(server.masterUrl(DB), `SET ROLE legacy_granter;
      GRANT USAGE ON SCHEMA legacy TO legacy_other;
      CREATE TABLE legacy.kept (id int);
      GRANT SELECT ON legacy.kept TO ${RO};
      GRANT SELECT ON legacy.kept TO postgres, legacy_other WITH GRANT OPTION;
      RESET ROLE;
      GRANT SELECT ON legacy.kept TO ${RO};
      SET ROLE legacy_other; GRANT SELECT ON legacy.kept TO ${RO}; RESET ROLE;`);
    const grantors = () => query<{ grantor: string }>(server.superuserUrl(DB), `SELECT a.grantor::regrole::text AS grantor
      FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'legacy.kept'::regclass AND a.grantee = '${RO}'::regrole ORDER BY 1`);
    expect(await grantors()).toEqual([{ grantor: 'legacy_granter' }, { grantor: 'legacy_other' }, { grantor: 'postgres' }]);
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => f.message))
      .toEqual([`${RO} has SELECT on 1 tables in schema "legacy", which the spec does not list: "legacy"."kept"`]);
    const revoke = `REVOKE SELECT ON TABLE "legacy"."kept" FROM "${RO}"`;
    expect((await planRoleModel(spec, conn())).map((s) => [s.runAs ?? 'master', s.sql, s.manual === true]).sort())
      .toEqual([['legacy_granter', revoke, false], ['legacy_other', revoke, false], ['master', revoke, false]]);
    await applyRoleModel(spec, conn());
    // Old code: one REVOKE ALL as the master, where PostgreSQL picked the owner it inherits as the grantor: the
    // master's and legacy_other's grants stayed, and verify kept reporting them after every apply.
    expect(await grantors()).toEqual([]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await query(server.superuserUrl(DB), `SELECT has_table_privilege('${RO}', 'legacy.kept', 'SELECT') AS s`)).toEqual([{ s: false }]);
  });
});
