// Adopting what already exists (roles with the wrong attributes, a database the master created), and two
// managed databases isolated from each other (reference section 12).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { loginAs, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const load = (file: string) => parseSpec(JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8')));
const reference = load('reference.json');
const twoDatabases = load('two-databases.json');
// The roles made by hand before the role model existed are taken over explicitly.
const adopting = parseSpec({
  ...reference,
  databases: [{ ...reference.databases[0], roles: Object.fromEntries(Object.entries(reference.databases[0]!.roles).map(([slot, role]) => [slot, { ...role, adopt: true }])) }],
});

describe.each(testedMajors())('existing roles and databases on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    // What a cluster often looks like before the role model: the master made the database (as
    // CDK's defaultDatabaseName does), a schema and a table, and some roles by hand.
    await query(server.masterUrl(), `CREATE ROLE my_pg_app LOGIN CREATEDB;
      CREATE ROLE my_pg_migrator LOGIN INHERIT CONNECTION LIMIT 2;
      CREATE ROLE my_pg_firefighter_ro LOGIN;
      GRANT rds_iam TO my_pg_firefighter_ro;`);
    await query(server.masterUrl(), 'CREATE DATABASE "my-pg-db"');
    await query(server.masterUrl('my-pg-db'), `CREATE SCHEMA "my-pg-db-schema";
      CREATE TABLE "my-pg-db-schema".legacy (id serial PRIMARY KEY, note text);
      INSERT INTO "my-pg-db-schema".legacy (note) VALUES ('kept');
      CREATE TABLE public.masters_own (id int);`);
  });
  afterAll(async () => server?.stop());

  it('refuses them until the spec says to adopt them', async () => {
    await expect(applyRoleModel(reference, { connectionString: server.masterUrl() })).rejects.toThrow(/role "my_pg_migrator" \(databases\[0\]\.roles\.migrator\.name\) already exists and was not created by cdk-aurora-firefighter/);
  });

  it('adopts them, converges their attributes and hands the schema and its objects to the owner', async () => {
    const result = await applyRoleModel(adopting, { connectionString: server.masterUrl() });
    expect(result.fixed.map((f) => f.code)).toEqual(expect.arrayContaining(['role-attribute', 'database-owner', 'schema-owner', 'object-owner', 'iam']));
    expect((await verifyRoleModel(reference, { connectionString: server.masterUrl() })).findings).toEqual([]);
    const roles = await query(server.masterUrl(), `SELECT rolname, rolcreatedb, rolinherit, rolconnlimit, pg_has_role(oid, 'rds_iam', 'MEMBER') AS iam
      FROM pg_roles WHERE rolname IN ('my_pg_app', 'my_pg_migrator', 'my_pg_firefighter_ro') ORDER BY 1`);
    expect(roles).toEqual([
      { rolname: 'my_pg_app', rolcreatedb: false, rolinherit: true, rolconnlimit: 100, iam: true },
      { rolname: 'my_pg_firefighter_ro', rolcreatedb: false, rolinherit: true, rolconnlimit: 5, iam: false },
      { rolname: 'my_pg_migrator', rolcreatedb: false, rolinherit: false, rolconnlimit: -1, iam: true },
    ]);
    const owners = await queryAs(server.masterUrl('my-pg-db'), 'my_pg_owner', `SELECT
        (SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()) AS db,
        (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'my-pg-db-schema') AS schema,
        (SELECT relowner::regrole::text FROM pg_class WHERE oid = '"my-pg-db-schema".legacy'::regclass) AS legacy,
        (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'public.masters_own'::regclass) AS outside,
        (SELECT note FROM "my-pg-db-schema".legacy) AS data`);
    expect(owners).toEqual([{ db: 'my_pg_owner', schema: 'my_pg_owner', legacy: 'my_pg_owner', outside: 'postgres', data: 'kept' }]);
    const app = await loginAs(server, 'my_pg_app', 'my-pg-db');
    await expect(app.query('INSERT INTO legacy (note) VALUES ($1) RETURNING id', ['app'])).resolves.toBeTruthy();
    await app.end();
  });
});

describe.each(testedMajors())('two databases on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(twoDatabases, { connectionString: server.masterUrl() });
  });
  afterAll(async () => server?.stop());

  it('the roles of one database cannot connect to the other', async () => {
    await expect(loginAs(server, 'other_pg_app', 'my-pg-db')).rejects.toThrow('permission denied for database "my-pg-db"');
    await expect(loginAs(server, 'my_pg_firefighter_rw', 'other_pg_db')).rejects.toThrow('permission denied for database "other_pg_db"');
    await expect(loginAs(server, 'my_pg_migrator', 'other_pg_db')).rejects.toThrow('permission denied for database "other_pg_db"');
    const own = await loginAs(server, 'other_pg_app', 'other_pg_db');
    await own.end();
  });

  it('each database has its own owner, schema and password allowlist; the broker reaches both', async () => {
    for (const [db, owner, ro, rw] of [['my-pg-db', 'my_pg_owner', 'my_pg_firefighter_ro', 'my_pg_firefighter_rw'], ['other_pg_db', 'other_pg_owner', 'other_pg_firefighter_ro', 'other_pg_firefighter_rw']] as const) {
      const rows = await queryAs(server.masterUrl(db), 'my_pg_admin', 'SELECT role::text AS role, access FROM db_admin.firefighter_role ORDER BY role');
      expect(rows).toEqual([{ role: ro, access: 'ro' }, { role: rw, access: 'rw' }]);
      const dbOwner = await query(server.masterUrl(), 'SELECT datdba::regrole::text AS o FROM pg_database WHERE datname = $1', [db]);
      expect(dbOwner).toEqual([{ o: owner }]);
      const broker = await loginAs(server, 'my_pg_password_broker', db);
      await broker.end();
    }
  });

  it('applying one database leaves the other alone', async () => {
    await query(server.masterUrl(), 'GRANT CONNECT ON DATABASE "other_pg_db" TO PUBLIC').catch(() => undefined);
    const result = await applyRoleModel(twoDatabases, { connectionString: server.masterUrl() }, { databases: ['my-pg-db'] });
    expect(result.steps.every((s) => s.database === undefined || s.database === 'my-pg-db')).toBe(true);
  });
});
