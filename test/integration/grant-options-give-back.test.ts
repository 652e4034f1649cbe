// What a grant option's CASCADE takes from roles the spec keeps is given back in the same apply: a managed role's
// privilege on an object apply has not yet handed to the owner role (given back after the handover), and CONNECT
// of a keepConnect login. Verify reports a keepConnect login that cannot connect. Column grants made from a table's
// option, which the table's CASCADE leaves, are revoked on their own; verify reports one whose grantor lost the option.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { loginAs, query } from '../support/catalog.js';
import { livedInSql } from '../support/lived-in.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0];
if (!db0) throw new Error('reference spec has no database');
const spec = parseSpec({ ...reference, databases: [{ ...db0, keepConnect: ['keeper'] }] });
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';
const APP = 'my_pg_app';
const RO = 'my_pg_firefighter_ro';

describe.each(testedMajors())('grant options: what CASCADE takes from roles the spec keeps comes back, on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(), `CREATE ROLE keeper LOGIN PASSWORD 'pw-keeper'; CREATE ROLE legacy_login LOGIN PASSWORD 'pw-legacy'`);
    await query(server.masterUrl(DB), livedInSql('my-pg-db-schema'));
    await applyRoleModel(spec, conn());
  });
  afterAll(async () => server?.stop());

  it('a managed role\'s privilege on an object not yet handed to the owner role comes back after the handover', async () => {
    // legacy_owner (the master may act for it) owns a table in the listed schema and gave the app SELECT with the
    // option; the app passed SELECT on to the read-only firefighter.
    await query(server.masterUrl(), `CREATE ROLE legacy_owner NOLOGIN; GRANT legacy_owner TO postgres ${major >= 16 ? 'WITH SET TRUE, INHERIT TRUE' : ''}`);
    await query(server.superuserUrl(DB), `CREATE TABLE ${S}.legacy_t (id int); GRANT USAGE ON SCHEMA ${S} TO legacy_owner;
      ALTER TABLE ${S}.legacy_t OWNER TO legacy_owner;
      GRANT SELECT ON ${S}.legacy_t TO ${APP} WITH GRANT OPTION; GRANT INSERT, UPDATE ON ${S}.legacy_t TO ${APP};
      SET ROLE ${APP}; GRANT SELECT ON ${S}.legacy_t TO ${RO}; RESET ROLE;
      GRANT SELECT, INSERT, UPDATE, DELETE ON ${S}.legacy_t TO my_pg_firefighter_rw;`);
    const { steps } = await planWithWarnings(spec, conn());
    const handover = steps.findIndex((s) => s.sql.startsWith(`ALTER TABLE ${S}."legacy_t" OWNER TO`));
    const giveBack = steps.findIndex((s) => s.sql === `GRANT SELECT ON TABLE ${S}."legacy_t" TO "${RO}"`);
    expect(handover).toBeGreaterThanOrEqual(0);
    expect(giveBack).toBeGreaterThan(handover);
    expect(steps[giveBack]?.runAs).toBe('my_pg_owner');

    await applyRoleModel(spec, conn());
    expect(await query(server.superuserUrl(DB), `SELECT relowner::regrole::text AS owner, has_table_privilege('${RO}', '${S}.legacy_t', 'SELECT') AS ro,
      has_table_privilege('${APP}', '${S}.legacy_t', 'SELECT WITH GRANT OPTION') AS app_option FROM pg_class WHERE oid = '${S}.legacy_t'::regclass`))
      .toEqual([{ owner: 'my_pg_owner', ro: true, app_option: false }]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect((await applyRoleModel(spec, conn())).steps).toEqual([]);
  });

  it('a keepConnect login keeps CONNECT it had from the app\'s option, and verify reports it when it is gone', async () => {
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; GRANT CONNECT ON DATABASE "${DB}" TO ${APP} WITH GRANT OPTION;
      REVOKE CONNECT ON DATABASE "${DB}" FROM keeper`);
    const app = await loginAs(server, APP, DB);
    try {
      await app.query(`GRANT CONNECT ON DATABASE "${DB}" TO keeper, legacy_login`);
    } finally {
      await app.end();
    }
    const { steps, warnings } = await planWithWarnings(spec, conn());
    // legacy_login loses its CONNECT; keeper gets its own back.
    expect(warnings.filter((w) => w.code === 'grant-option-cascade').map((w) => w.subject)).toEqual(['legacy_login']);
    expect(steps.map((s) => s.sql)).toContain(`GRANT CONNECT ON DATABASE "${DB}" TO "keeper"`);
    await applyRoleModel(spec, conn());
    const connect = `SELECT has_database_privilege('keeper', '${DB}', 'CONNECT') AS keeper, has_database_privilege('legacy_login', '${DB}', 'CONNECT') AS legacy`;
    expect(await query(server.superuserUrl(DB), connect)).toEqual([{ keeper: true, legacy: false }]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);

    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; REVOKE CONNECT ON DATABASE "${DB}" FROM keeper`);
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => f.message)).toEqual([`keeper cannot CONNECT to "${DB}", expected can`]);
    await applyRoleModel(spec, conn());
    expect(await query(server.superuserUrl(DB), connect)).toEqual([{ keeper: true, legacy: false }]);
  });

  const statusAcl = `SELECT coalesce((SELECT attacl::text FROM pg_attribute WHERE attrelid = '${S}.orders'::regclass AND attname = 'status'), '') AS acl,
    has_column_privilege('legacy_login', '${S}.orders', 'status', 'SELECT') AS legacy`;

  it('column grants made from a table\'s option go with it, revoked by their grantor', async () => {
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; GRANT SELECT ON ${S}.orders TO ${APP} WITH GRANT OPTION`);
    const app = await loginAs(server, APP, DB);
    try {
      await app.query(`GRANT SELECT (status) ON ${S}.orders TO legacy_login`);
    } finally {
      await app.end();
    }
    expect(await query(server.superuserUrl(DB), statusAcl)).toEqual([{ acl: `{legacy_login=r/${APP}}`, legacy: true }]);
    // The master's memberships in the app are what they were (apply borrows one for the transaction).
    const memberships = `SELECT count(*)::int AS n FROM pg_auth_members WHERE roleid = '${APP}'::regrole AND member = 'postgres'::regrole`;
    const before = await query(server.superuserUrl(), memberships);
    const { steps } = await planWithWarnings(spec, conn());
    expect(steps.filter((s) => s.sql.includes('("status")')).map((s) => [s.runAs, s.sql]))
      .toEqual([[APP, `REVOKE SELECT ("status") ON TABLE ${S}."orders" FROM "legacy_login" CASCADE`]]);
    await applyRoleModel(spec, conn());
    expect(await query(server.superuserUrl(DB), statusAcl)).toEqual([{ acl: '', legacy: false }]);
    expect(await query(server.superuserUrl(), memberships)).toEqual(before);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect((await applyRoleModel(spec, conn())).steps).toEqual([]);
  });

  it('verify reports a column grant whose grantor no longer holds the option', async () => {
    // What an earlier apply left: the table's option revoked with CASCADE, the column grant made from it kept.
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; GRANT SELECT ON ${S}.orders TO ${APP} WITH GRANT OPTION`);
    const app = await loginAs(server, APP, DB);
    try {
      await app.query(`GRANT SELECT (status) ON ${S}.orders TO legacy_login`);
    } finally {
      await app.end();
    }
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; REVOKE GRANT OPTION FOR SELECT ON ${S}.orders FROM ${APP} CASCADE`);
    expect(await query(server.superuserUrl(DB), statusAcl)).toEqual([{ acl: `{legacy_login=r/${APP}}`, legacy: true }]);
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => [f.code, f.message])).toEqual([['column-grant-orphan',
      `legacy_login has SELECT on TABLE ${S}."orders" ("status"), granted by ${APP}, which no longer holds SELECT WITH GRANT OPTION there`]]);
    const { steps } = await planWithWarnings(spec, conn());
    expect(steps.map((s) => [s.manual ?? false, s.sql])).toEqual([[true, `REVOKE SELECT ("status") ON TABLE ${S}."orders" FROM "legacy_login" CASCADE`]]);
    // The way the step's reason gives (a superuser's own REVOKE would act as the owner and leave it).
    await query(server.superuserUrl(DB), `REVOKE SELECT (status) ON ${S}.orders FROM legacy_login`);
    expect(await query(server.superuserUrl(DB), statusAcl)).toEqual([{ acl: `{legacy_login=r/${APP}}`, legacy: true }]);
    await query(server.superuserUrl(DB), `SET ROLE my_pg_owner; GRANT SELECT (status) ON ${S}.orders TO ${APP} WITH GRANT OPTION;
      SET ROLE ${APP}; REVOKE SELECT (status) ON ${S}.orders FROM legacy_login CASCADE;
      SET ROLE my_pg_owner; REVOKE SELECT (status) ON ${S}.orders FROM ${APP}`);
    expect(await query(server.superuserUrl(DB), statusAcl)).toEqual([{ acl: '', legacy: false }]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });
});
