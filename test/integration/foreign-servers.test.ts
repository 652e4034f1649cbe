// USAGE on foreign servers and foreign-data wrappers is a privilege like any other: with it a managed role calls a
// server by name (dblink) with PUBLIC's user mapping, i.e. someone else's stored credentials, or maps itself, so the
// read-only firefighter could write elsewhere. Verify reports it, apply revokes it (CASCADE only for what a
// holder passed on; each as its grantor), grants to unmanaged roles stay, and the owner's foreign tables keep working for the readers.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0];
if (!db0) throw new Error('reference spec has no database');
const spec = parseSpec({ ...reference, databases: [{ ...db0, keepConnect: ['legacy_app', 'reporter'] }] });
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const APP = 'my_pg_app';

/** USAGE as PostgreSQL reports it (read as the bootstrap superuser). */
const PROBES = `SELECT
  has_server_privilege('${RO}', 'reporting', 'USAGE') AS ro_reporting,
  has_server_privilege('${APP}', 'warehouse', 'USAGE') AS app_warehouse,
  has_foreign_data_wrapper_privilege('${RW}', 'postgres_fdw', 'USAGE') AS rw_fdw,
  has_server_privilege('${RW}', 'reporting', 'USAGE') AS rw_reporting,
  has_server_privilege('legacy_app', 'reporting', 'USAGE') AS legacy_reporting,
  has_server_privilege('vendor', 'reporting', 'USAGE') AS vendor_reporting,
  has_server_privilege('legacy_app', 'warehouse', 'USAGE') AS legacy_warehouse,
  has_server_privilege('my_pg_owner', 'reporting', 'USAGE') AS owner_reporting,
  EXISTS (SELECT FROM pg_foreign_server s, aclexplode(s.srvacl) a WHERE s.srvname = 'reporting' AND a.grantee = 0) AS public_reporting`;

describe.each(testedMajors())('foreign servers and wrappers on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const as = async (role: string, password: string) => {
    const c = new pg.Client({ connectionString: server.url(role, password, DB) });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(), `CREATE ROLE legacy_app LOGIN PASSWORD 'pw-legacy'; CREATE ROLE reporter LOGIN PASSWORD 'pw-reporter'`);
    await query(server.masterUrl(DB), `CREATE SCHEMA ${S}; CREATE TABLE ${S}.orders (id int, status text); INSERT INTO ${S}.orders VALUES (1, 'open');`);
    // Aurora's operator installs extensions; here the bootstrap superuser does, in a schema of their own, and
    // lets the master (rds_superuser on Aurora) use postgres_fdw.
    await query(server.superuserUrl(DB), `CREATE SCHEMA ext; GRANT USAGE ON SCHEMA ext TO PUBLIC;
      CREATE EXTENSION postgres_fdw SCHEMA ext; CREATE EXTENSION dblink SCHEMA ext;
      GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO postgres WITH GRANT OPTION;`);
    await applyRoleModel(spec, conn());
    // Drift, as a master wires up reporting: two servers pointing back at this database over TLS, a PUBLIC user
    // mapping with a stored password, USAGE for everyone (rw's from vendor, a role the master may SET ROLE to); the owner makes a foreign table (the model grants
    // SELECT on it to app and the firefighters by default privileges); the app passes its option on.
    const options = `OPTIONS (host '127.0.0.1', port '${server.port}', dbname '${DB}', sslmode 'require')`;
    await query(server.masterUrl(DB), `CREATE SERVER reporting FOREIGN DATA WRAPPER postgres_fdw ${options};
      CREATE SERVER warehouse FOREIGN DATA WRAPPER postgres_fdw ${options};
      CREATE USER MAPPING FOR PUBLIC SERVER reporting OPTIONS (user 'reporter', password 'pw-reporter');
      GRANT USAGE ON FOREIGN SERVER reporting TO PUBLIC, ${RO}, legacy_app, my_pg_owner;
      GRANT USAGE ON FOREIGN SERVER warehouse TO ${APP} WITH GRANT OPTION;
      GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO ${RW};
      CREATE ROLE vendor; GRANT vendor TO postgres;
      GRANT USAGE ON FOREIGN SERVER reporting TO vendor WITH GRANT OPTION;
      SET ROLE vendor; GRANT USAGE ON FOREIGN SERVER reporting TO ${RW}; RESET ROLE;
      SET ROLE my_pg_owner;
      GRANT USAGE ON SCHEMA ${S} TO reporter;
      GRANT SELECT ON ${S}.orders TO reporter;
      CREATE FOREIGN TABLE ${S}.remote_orders (id int, status text) SERVER reporting OPTIONS (schema_name 'my-pg-db-schema', table_name 'orders');`);
    const app = await loginAs(server, APP, DB);
    try {
      await app.query('GRANT USAGE ON FOREIGN SERVER warehouse TO legacy_app');
    } finally {
      await app.end();
    }
  });
  afterAll(async () => server?.stop());

  it('the hole is real: the read-only firefighter maps itself and calls the server by name', async () => {
    const ro = await loginAs(server, RO, DB);
    try {
      expect(await attempt(ro, `START TRANSACTION READ WRITE; CREATE USER MAPPING FOR CURRENT_USER SERVER reporting OPTIONS (user 'x', password 'y'); ROLLBACK`)).toBe('ok');
      expect((await ro.query(`SELECT * FROM ext.dblink('reporting', 'SELECT current_user::text') AS t(u text)`)).rows).toEqual([{ u: 'reporter' }]);
    } finally {
      await ro.end();
    }
  });

  it('verify names each server and wrapper with its grantees and grantor, and changes nothing', async () => {
    const before = await catalogSnapshot(server, [DB]);
    const { findings } = await verifyRoleModel(spec, conn());
    expect(findings.map((f) => [f.code, f.subject, f.roles, f.message])).toEqual([
      ['server-usage', 'reporting', ['PUBLIC', RO, RW], `USAGE on foreign server "reporting" is granted to PUBLIC, ${RO} by postgres; to ${RW} by vendor; the model gives no role but the owner any, and it lets them call it by name (dblink) with their own or PUBLIC's user mapping and create user mappings`],
      ['server-usage', 'warehouse', [APP], `USAGE on foreign server "warehouse" is granted to ${APP} (WITH GRANT OPTION, passed on to legacy_app) by postgres; the model gives no role but the owner any, and it lets them call it by name (dblink) with their own or PUBLIC's user mapping and create user mappings`],
      ['wrapper-usage', 'postgres_fdw', [RW], `USAGE on foreign data wrapper "postgres_fdw" is granted to ${RW} by postgres; the model gives no role but the owner any, and it lets them create foreign servers with it`],
    ]);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);
  });

  it('plan shows the REVOKEs as the grantor, CASCADE only where an option was passed on, and warns whom it takes', async () => {
    const { steps, warnings } = await planWithWarnings(spec, conn());
    expect(steps.map((s) => [s.runAs ?? 'master', s.manual === true, s.sql])).toEqual([
      ['master', false, `REVOKE USAGE ON FOREIGN SERVER "reporting" FROM PUBLIC, "${RO}"`],
      ['vendor', false, `REVOKE USAGE ON FOREIGN SERVER "reporting" FROM "${RW}"`],
      ['master', false, `REVOKE USAGE ON FOREIGN SERVER "warehouse" FROM "${APP}" CASCADE`],
      ['master', false, `REVOKE USAGE ON FOREIGN DATA WRAPPER "postgres_fdw" FROM "${RW}"`],
    ]);
    expect(warnings.filter((w) => w.code === 'grant-option-cascade').map((w) => w.message)).toEqual([
      `legacy_app will lose 1 grant(s) in "${DB}" made from grant options the model does not give (REVOKE ... CASCADE): USAGE on foreign server "warehouse" (granted by ${APP})`,
    ]);
    // reporter (the remote user, kept connected) reaches the server only through PUBLIC; legacy_app has its own grant.
    const losses = warnings.filter((w) => w.code === 'unmanaged-role-loses-privileges');
    expect(losses.find((w) => w.subject === 'reporter')?.message).toBe(`unmanaged login reporter will lose USAGE on 1 foreign servers: reporting in database "${DB}" `
      + '(it has them only through PUBLIC, which apply revokes there); to keep any, grant it to reporter explicitly (as my_pg_owner; on a foreign server or wrapper, as its owner) after apply');
    expect(losses.find((w) => w.subject === 'legacy_app')?.message ?? '').not.toContain('foreign servers');
  });

  it('apply revokes them; verify is clean, a second plan empty; unmanaged and owner grants stay', async () => {
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await planRoleModel(spec, conn())).toEqual([]);
    expect(await query(server.superuserUrl(DB), PROBES)).toEqual([{
      ro_reporting: false, app_warehouse: false, rw_fdw: false, public_reporting: false,
      rw_reporting: false, legacy_reporting: true, vendor_reporting: true, legacy_warehouse: false, owner_reporting: true,
    }]);
    const legacy = await as('legacy_app', 'pw-legacy');
    try {
      expect((await legacy.query(`SELECT * FROM ext.dblink('reporting', 'SELECT 1') AS t(n int)`)).rows).toEqual([{ n: 1 }]);
    } finally {
      await legacy.end();
    }
  });

  it('the read-only firefighter can no longer map itself or call the server by name; it still reads the foreign table', async () => {
    const ro = await loginAs(server, RO, DB);
    try {
      expect(await attempt(ro, `START TRANSACTION READ WRITE; CREATE USER MAPPING FOR CURRENT_USER SERVER reporting OPTIONS (user 'x', password 'y')`)).toMatch(/permission denied for foreign server reporting/);
      await ro.query('ROLLBACK');
      expect(await attempt(ro, `SELECT * FROM ext.dblink('reporting', 'SELECT 1') AS t(n int)`)).toMatch(/permission denied for foreign server reporting/);
      expect((await ro.query(`SELECT id, status FROM ${S}.remote_orders`)).rows).toEqual([{ id: 1, status: 'open' }]);
    } finally {
      await ro.end();
    }
    const app = await loginAs(server, APP, DB);
    try {
      expect((await app.query(`SELECT count(*)::int AS n FROM ${S}.remote_orders`)).rows).toEqual([{ n: 1 }]);
    } finally {
      await app.end();
    }
  });
});
