// Grant options held by managed roles: the model grants none. A DBA's `GRANT ... WITH GRANT OPTION` lets the app
// pass a privilege on (to an unmanaged login, to PUBLIC) while every privilege count looks right. Verify reports
// each option, apply revokes it with CASCADE (naming the grants that go with it) and keeps the privilege itself.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { livedInSql } from '../support/lived-in.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const spec = parseSpec(reference);
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';
const APP = 'my_pg_app';
const RO = 'my_pg_firefighter_ro';
const MANAGED = ['my_pg_owner', 'my_pg_admin', 'my_pg_migrator', APP, RO, 'my_pg_firefighter_rw', 'my_pg_password_broker'];

/** Every option a managed role holds in the database, read from the ACLs themselves. */
const HELD = `SELECT o FROM (
    SELECT 'database ' || a.privilege_type || ' ' || a.grantee::regrole AS o FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() AND a.is_grantable
    UNION ALL SELECT 'schema ' || n.nspname || ' ' || a.privilege_type || ' ' || a.grantee::regrole FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.is_grantable AND a.grantee <> n.nspowner
    UNION ALL SELECT 'relation ' || c.oid::regclass || ' ' || a.privilege_type || ' ' || a.grantee::regrole FROM pg_class c, aclexplode(c.relacl) a WHERE a.is_grantable AND a.grantee <> c.relowner
    UNION ALL SELECT 'column ' || c.oid::regclass || '.' || t.attname || ' ' || a.privilege_type || ' ' || a.grantee::regrole FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a WHERE a.is_grantable
    UNION ALL SELECT 'routine ' || p.oid::regprocedure || ' ' || a.privilege_type || ' ' || a.grantee::regrole FROM pg_proc p, aclexplode(p.proacl) a WHERE a.is_grantable AND a.grantee <> p.proowner
    UNION ALL SELECT 'default ' || d.defaclrole::regrole || ' ' || a.privilege_type || ' ' || a.grantee::regrole FROM pg_default_acl d, aclexplode(d.defaclacl) a WHERE a.is_grantable
  ) x WHERE split_part(o, ' ', 4) = ANY ($1) OR split_part(o, ' ', 3) = ANY ($1) ORDER BY o`;

const PROBES = `SELECT
  has_table_privilege('legacy_login', '${S}.orders', 'SELECT') AS legacy_orders,
  has_schema_privilege('legacy_login', 'my-pg-db-schema', 'USAGE') AS legacy_usage,
  has_database_privilege('legacy_login', '${DB}', 'CONNECT') AS legacy_connect,
  has_function_privilege('legacy_login', '${S}.order_count()', 'EXECUTE') AS legacy_execute,
  has_table_privilege('legacy_login', 'reporting.daily', 'SELECT') AS legacy_daily,
  has_table_privilege('${APP}', '${S}.orders', 'SELECT') AS app_orders,
  has_schema_privilege('${APP}', 'my-pg-db-schema', 'USAGE') AS app_usage,
  has_database_privilege('${APP}', '${DB}', 'CONNECT') AS app_connect,
  has_function_privilege('${APP}', '${S}.order_count()', 'EXECUTE') AS app_execute,
  has_sequence_privilege('${APP}', '${S}.free_seq', 'USAGE') AS app_seq,
  has_column_privilege('${RO}', '${S}.orders', 'status', 'SELECT') AS ro_status,
  has_table_privilege('${APP}', 'reporting.daily', 'SELECT') AS app_daily`;

describe.each(testedMajors())('grant options held by managed roles on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(), `CREATE ROLE legacy_login LOGIN PASSWORD 'pw-legacy'; CREATE ROLE legacy_two LOGIN PASSWORD 'pw-legacy-two'`);
    await query(server.masterUrl(DB), `${livedInSql('my-pg-db-schema')}
      CREATE SCHEMA reporting;
      CREATE TABLE reporting.daily (id int);`);
    await applyRoleModel(spec, conn());
    // A DBA in a hurry, as the owner in the application schema and as the master elsewhere.
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner;
      GRANT SELECT ON ${S}.orders TO ${APP} WITH GRANT OPTION;
      GRANT USAGE ON SCHEMA ${S} TO ${APP} WITH GRANT OPTION;
      GRANT EXECUTE ON FUNCTION ${S}.order_count() TO ${APP} WITH GRANT OPTION;
      GRANT USAGE ON SEQUENCE ${S}.free_seq TO ${APP} WITH GRANT OPTION;
      GRANT CONNECT ON DATABASE "${DB}" TO ${APP} WITH GRANT OPTION;
      GRANT SELECT (status) ON ${S}.orders TO ${RO} WITH GRANT OPTION;
      ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT SELECT ON TABLES TO ${APP} WITH GRANT OPTION;
      RESET ROLE;
      GRANT USAGE ON SCHEMA reporting TO ${APP} WITH GRANT OPTION;
      GRANT SELECT ON reporting.daily TO ${APP} WITH GRANT OPTION;`);
    // The app uses its options: an unmanaged login gets what the model never gave it.
    const app = await loginAs(server, APP, DB);
    try {
      await app.query(`GRANT SELECT ON ${S}.orders TO legacy_login;
        GRANT USAGE ON SCHEMA ${S} TO legacy_login;
        GRANT CONNECT ON DATABASE "${DB}" TO legacy_login;
        GRANT EXECUTE ON FUNCTION ${S}.order_count() TO legacy_login;
        GRANT SELECT ON reporting.daily TO legacy_login`);
    } finally {
      await app.end();
    }
  });
  afterAll(async () => server?.stop());

  it('the hole is real: the unmanaged login reads orders through the app\'s options', async () => {
    expect((await query<{ o: string }>(server.superuserUrl(DB), HELD, [MANAGED])).map((r) => r.o)).toEqual([
      `column ${S}.orders.status SELECT ${RO}`, `database CONNECT ${APP}`, `default my_pg_owner SELECT ${APP}`,
      `relation ${S}.free_seq USAGE ${APP}`, `relation ${S}.orders SELECT ${APP}`, `relation reporting.daily SELECT ${APP}`,
      `routine ${S}.order_count() EXECUTE ${APP}`, `schema my-pg-db-schema USAGE ${APP}`, `schema reporting USAGE ${APP}`,
    ]);
    expect(await query(server.superuserUrl(DB), PROBES)).toEqual([{
      legacy_orders: true, legacy_usage: true, legacy_connect: true, legacy_execute: true, legacy_daily: true,
      app_orders: true, app_usage: true, app_connect: true, app_execute: true, app_seq: true, ro_status: true, app_daily: true,
    }]);
  });

  it('verify names every option, with the grants made from it, and changes nothing', async () => {
    const before = await catalogSnapshot(server, [DB]);
    const { findings } = await verifyRoleModel(spec, conn());
    expect(await catalogSnapshot(server, [DB])).toEqual(before);
    const options = findings.filter((f) => f.code === 'grant-option');
    expect(options.map((f) => f.message).sort()).toEqual([
      `future tables created by my_pg_owner in "my-pg-db-schema" will give ${APP} SELECT WITH GRANT OPTION`,
      `${APP} holds CONNECT WITH GRANT OPTION on 1 object(s) in "${DB}" and may pass it on to anyone: DATABASE "${DB}"; grants made from it, which revoking the option takes along: legacy_login CONNECT on DATABASE "${DB}" (granted by ${APP})`,
      `${APP} holds EXECUTE WITH GRANT OPTION on 1 object(s) in "${DB}" and may pass it on to anyone: ROUTINE ${S}."order_count"(); grants made from it, which revoking the option takes along: legacy_login EXECUTE on ROUTINE ${S}."order_count"() (granted by ${APP})`,
      `${APP} holds SELECT WITH GRANT OPTION on 2 object(s) in "${DB}" and may pass it on to anyone: TABLE ${S}."orders", TABLE "reporting"."daily"; grants made from it, which revoking the option takes along: legacy_login SELECT on TABLE ${S}."orders" (granted by ${APP}), legacy_login SELECT on TABLE "reporting"."daily" (granted by ${APP})`,
      `${APP} holds USAGE WITH GRANT OPTION on 3 object(s) in "${DB}" and may pass it on to anyone: SCHEMA ${S}, SCHEMA "reporting", SEQUENCE ${S}."free_seq"; grants made from it, which revoking the option takes along: legacy_login USAGE on SCHEMA ${S} (granted by ${APP})`,
      `${RO} holds SELECT WITH GRANT OPTION on 1 object(s) in "${DB}" and may pass it on to anyone: TABLE ${S}."orders" ("status")`,
    ]);
  });

  it('apply revokes the options with CASCADE, says what went with them, and keeps the privileges', async () => {
    const { steps, warnings } = await planWithWarnings(spec, conn());
    const cascade = [`legacy_login will lose 5 grant(s) in "${DB}" made from grant options the model does not give (REVOKE GRANT OPTION ... CASCADE): `
      + `CONNECT on DATABASE "${DB}" (granted by ${APP}), EXECUTE on ROUTINE ${S}."order_count"() (granted by ${APP}), SELECT on TABLE ${S}."orders" (granted by ${APP}), `
      + `SELECT on TABLE "reporting"."daily" (granted by ${APP}), USAGE on SCHEMA ${S} (granted by ${APP})`];
    expect(warnings.filter((w) => w.code === 'grant-option-cascade').map((w) => w.message)).toEqual(cascade);
    const revoking = steps.filter((s) => s.sql.includes('GRANT OPTION'));
    expect(revoking.map((s) => s.sql).join('\n')).toContain(`REVOKE GRANT OPTION FOR SELECT ON TABLE ${S}."orders" FROM "${APP}" CASCADE`);
    const reasons = revoking.map((s) => s.reason).join('\n');
    for (const lost of [`legacy_login SELECT on TABLE ${S}."orders"`, `legacy_login USAGE on SCHEMA ${S}`, `legacy_login CONNECT on DATABASE "${DB}"`,
      `legacy_login EXECUTE on ROUTINE ${S}."order_count"()`, 'legacy_login SELECT on TABLE "reporting"."daily"']) expect(reasons).toContain(lost);

    const applied = await applyRoleModel(spec, conn());
    expect(applied.warnings.filter((w) => w.code === 'grant-option-cascade').map((w) => w.message)).toEqual(cascade);
    expect(applied.steps.filter((s) => s.sql.includes('GRANT OPTION')).map((s) => s.reason).join('\n')).toContain(`legacy_login SELECT on TABLE ${S}."orders"`);
    expect(await query(server.superuserUrl(DB), HELD, [MANAGED])).toEqual([]);
    // The options and everything granted from them are gone; what the model gives stays (reporting: the
    // whole-database check takes the app's SELECT there, outside the listed schema).
    expect(await query(server.superuserUrl(DB), PROBES)).toEqual([{
      legacy_orders: false, legacy_usage: false, legacy_connect: false, legacy_execute: false, legacy_daily: false,
      app_orders: true, app_usage: true, app_connect: true, app_execute: true, app_seq: true, ro_status: true, app_daily: false,
    }]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect((await applyRoleModel(spec, conn())).steps).toEqual([]);
  });

  it('CASCADE follows options passed on, and a managed role gets back from the owner what the model gives it', async () => {
    // The read-only firefighter's SELECT on orders now comes from the app alone; an unmanaged login got CONNECT
    // with the option and passed it on.
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner;
      REVOKE SELECT ON ${S}.orders FROM ${RO};
      GRANT SELECT ON ${S}.orders TO ${APP} WITH GRANT OPTION;
      GRANT CONNECT ON DATABASE "${DB}" TO ${APP} WITH GRANT OPTION;`);
    const app = await loginAs(server, APP, DB);
    try {
      await app.query(`GRANT SELECT ON ${S}.orders TO ${RO}; GRANT CONNECT ON DATABASE "${DB}" TO legacy_login WITH GRANT OPTION`);
    } finally {
      await app.end();
    }
    // What legacy_login did with its option (set up as the bootstrap superuser: the master may not SET ROLE to it).
    await query(server.superuserUrl(DB), `SET ROLE legacy_login; GRANT CONNECT ON DATABASE "${DB}" TO legacy_two`);
    const grantedBy = `SELECT coalesce(string_agg(a.grantor::regrole::text, ',' ORDER BY 1), '') AS g FROM pg_class c, aclexplode(c.relacl) a
      WHERE c.oid = '${S}.orders'::regclass AND a.grantee = '${RO}'::regrole AND a.privilege_type = 'SELECT'`;
    expect(await query(server.superuserUrl(DB), grantedBy)).toEqual([{ g: APP }]);

    const { steps, warnings } = await planWithWarnings(spec, conn());
    expect(warnings.filter((w) => w.code === 'grant-option-cascade').map((w) => w.subject)).toEqual(['legacy_login', 'legacy_two']);
    const reasons = steps.map((s) => s.reason).join('\n');
    expect(reasons).toContain(`${RO} SELECT on TABLE ${S}."orders" (granted by ${APP})`);
    expect(reasons).toContain(`legacy_login CONNECT on DATABASE "${DB}" (granted by ${APP}), legacy_two CONNECT on DATABASE "${DB}" (granted by legacy_login)`);
    expect(steps.filter((s) => s.sql.startsWith('GRANT ') && s.runAs === 'my_pg_owner').map((s) => s.sql)).toContain(`GRANT SELECT ON TABLE ${S}."orders" TO "${RO}"`);

    await applyRoleModel(spec, conn());
    expect(await query(server.superuserUrl(DB), HELD, [MANAGED])).toEqual([]);
    expect(await query(server.superuserUrl(DB), grantedBy)).toEqual([{ g: 'my_pg_owner' }]);
    expect(await query(server.superuserUrl(DB), `SELECT has_database_privilege('legacy_login', '${DB}', 'CONNECT') AS one,
      has_database_privilege('legacy_two', '${DB}', 'CONNECT') AS two, has_database_privilege('${APP}', '${DB}', 'CONNECT') AS app`)).toEqual([{ one: false, two: false, app: true }]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect((await applyRoleModel(spec, conn())).steps).toEqual([]);
  });

  it('an option granted by the owner of an object apply hands to the owner role is revoked in the same apply', async () => {
    // The migrator made a table without SET ROLE and shared it with the option (set up as the bootstrap superuser).
    await query(server.superuserUrl(DB), `CREATE TABLE ${S}.handover (id int);
      ALTER TABLE ${S}.handover OWNER TO my_pg_migrator;
      GRANT USAGE ON SCHEMA ${S} TO my_pg_migrator;
      SET ROLE my_pg_migrator;
      GRANT SELECT ON ${S}.handover TO ${APP} WITH GRANT OPTION;
      RESET ROLE;
      REVOKE USAGE ON SCHEMA ${S} FROM my_pg_migrator;`);
    expect((await verifyRoleModel(spec, conn())).findings.filter((f) => f.code === 'grant-option').map((f) => f.message))
      .toEqual([`${APP} holds SELECT WITH GRANT OPTION on 1 object(s) in "${DB}" and may pass it on to anyone: TABLE ${S}."handover"`]);
    await applyRoleModel(spec, conn());
    expect(await query(server.superuserUrl(DB), HELD, [MANAGED])).toEqual([]);
    expect((await applyRoleModel(spec, conn())).steps).toEqual([]);
  });
});
