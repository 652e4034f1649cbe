// The reference scenario (my-pg / my-pg-db / my-pg-db-schema) applied by the Aurora-like master, then
// every statement and negative test of reference section 11 and the migration path, on each major.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, catalogSnapshot, loginAs, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';

describe.each(testedMajors())('reference role model on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const clients: pg.Client[] = [];
  const ownerQuery = <T extends Record<string, unknown> = Record<string, unknown>>(sql: string) => queryAs<T>(server.masterUrl(DB), 'my_pg_owner', sql);
  const as = async (role: string, db = DB) => {
    const c = await loginAs(server, role, db);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    // The migration path of reference section 8, plus a sequence, a function and a view.
    const migrator = await as('my_pg_migrator');
    await migrator.query(`SET ROLE my_pg_owner;
      CREATE TABLE ${S}.orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_no text NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'created', amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX orders_status_created_at_idx ON ${S}.orders (status, created_at DESC);
      CREATE SEQUENCE ${S}.invoice_no;
      CREATE FUNCTION ${S}.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM "my-pg-db-schema".orders';
      CREATE VIEW ${S}.open_orders AS SELECT * FROM ${S}.orders WHERE status = 'created';
      INSERT INTO ${S}.orders (order_no, amount) VALUES ('ORD-1001', 10), ('ORD-1002', 20);
      RESET ROLE;`);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  it('a second apply changes nothing and plan is empty', async () => {
    const before = await catalogSnapshot(server, [DB]);
    const again = await applyRoleModel(spec, { connectionString: server.masterUrl() });
    expect(again.steps).toEqual([]);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);
    expect(await planRoleModel(spec, { connectionString: server.masterUrl() })).toEqual([]);
    expect((await verifyRoleModel(spec, { connectionString: server.masterUrl() })).findings).toEqual([]);
  });

  it('section 11: role attributes', async () => {
    const rows = await query(server.masterUrl(), `SELECT rolname, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit
      FROM pg_roles WHERE rolname LIKE 'my_pg_%' ORDER BY rolname`);
    expect(rows).toEqual([
      { rolname: 'my_pg_admin', rolcanlogin: true, rolcreatedb: true, rolcreaterole: true, rolreplication: false, rolbypassrls: false, rolconnlimit: -1 },
      { rolname: 'my_pg_app', rolcanlogin: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: 100 },
      { rolname: 'my_pg_firefighter_ro', rolcanlogin: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: 5 },
      { rolname: 'my_pg_firefighter_rw', rolcanlogin: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: 3 },
      { rolname: 'my_pg_migrator', rolcanlogin: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: -1 },
      { rolname: 'my_pg_owner', rolcanlogin: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: -1 },
      { rolname: 'my_pg_password_broker', rolcanlogin: true, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false, rolconnlimit: 3 },
    ]);
  });

  it('section 11: database privileges', async () => {
    const rows = await query(server.masterUrl(), `SELECT role_name,
        has_database_privilege(role_name, 'my-pg-db', 'CONNECT') AS can_connect,
        has_database_privilege(role_name, 'my-pg-db', 'CREATE') AS can_create_in_database
      FROM (VALUES ('my_pg_admin'), ('my_pg_owner'), ('my_pg_migrator'), ('my_pg_app'), ('my_pg_firefighter_ro'),
                   ('my_pg_firefighter_rw'), ('my_pg_password_broker')) AS r(role_name) ORDER BY role_name`);
    const adminInheritsOwner = major < 16;
    expect(rows).toEqual([
      { role_name: 'my_pg_admin', can_connect: true, can_create_in_database: adminInheritsOwner },
      { role_name: 'my_pg_app', can_connect: true, can_create_in_database: false },
      { role_name: 'my_pg_firefighter_ro', can_connect: true, can_create_in_database: false },
      { role_name: 'my_pg_firefighter_rw', can_connect: true, can_create_in_database: false },
      { role_name: 'my_pg_migrator', can_connect: true, can_create_in_database: false },
      { role_name: 'my_pg_owner', can_connect: true, can_create_in_database: true },
      { role_name: 'my_pg_password_broker', can_connect: true, can_create_in_database: false },
    ]);
  });

  it('section 11: schema privileges (the schema argument is a name, not a quoted identifier)', async () => {
    // As written in the reference, the query fails: has_schema_privilege does not parse identifiers.
    await expect(ownerQuery(`SELECT has_schema_privilege('my_pg_app', '"my-pg-db-schema"', 'USAGE')`)).rejects.toThrow('schema ""my-pg-db-schema"" does not exist');
    const rows = await ownerQuery(`SELECT role_name,
        has_schema_privilege(role_name, 'my-pg-db-schema', 'USAGE') AS schema_usage,
        has_schema_privilege(role_name, 'my-pg-db-schema', 'CREATE') AS schema_create
      FROM (VALUES ('my_pg_app'), ('my_pg_firefighter_ro'), ('my_pg_firefighter_rw'), ('my_pg_password_broker')) AS r(role_name)
      ORDER BY role_name`);
    expect(rows).toEqual([
      { role_name: 'my_pg_app', schema_usage: true, schema_create: false },
      { role_name: 'my_pg_firefighter_ro', schema_usage: true, schema_create: false },
      { role_name: 'my_pg_firefighter_rw', schema_usage: true, schema_create: false },
      { role_name: 'my_pg_password_broker', schema_usage: false, schema_create: false },
    ]);
  });

  it('section 11: table privileges (objects created through the migration path get the defaults)', async () => {
    const rows = await ownerQuery<{ grantee: string; table_name: string; privs: string }>(`
      SELECT grantee, table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) AS privs
      FROM information_schema.role_table_grants
      WHERE table_schema = 'my-pg-db-schema' AND grantee IN ('my_pg_app', 'my_pg_firefighter_ro', 'my_pg_firefighter_rw')
      GROUP BY 1, 2 ORDER BY 1, 2`);
    expect(rows).toEqual([
      { grantee: 'my_pg_app', table_name: 'open_orders', privs: 'INSERT,SELECT,UPDATE' },
      { grantee: 'my_pg_app', table_name: 'orders', privs: 'INSERT,SELECT,UPDATE' },
      { grantee: 'my_pg_firefighter_ro', table_name: 'open_orders', privs: 'SELECT' },
      { grantee: 'my_pg_firefighter_ro', table_name: 'orders', privs: 'SELECT' },
      { grantee: 'my_pg_firefighter_rw', table_name: 'open_orders', privs: 'DELETE,INSERT,SELECT,UPDATE' },
      { grantee: 'my_pg_firefighter_rw', table_name: 'orders', privs: 'DELETE,INSERT,SELECT,UPDATE' },
    ]);
  });

  it('section 11: default privileges for the owner, with no EXECUTE for PUBLIC', async () => {
    const rows = await ownerQuery<{ schema_name: string | null; object_type: string; acl: string }>(`
      SELECT (SELECT nspname FROM pg_namespace WHERE oid = defaclnamespace) AS schema_name, defaclobjtype AS object_type,
             (SELECT string_agg(a::text, ' ' ORDER BY a::text) FROM unnest(defaclacl) a) AS acl
      FROM pg_default_acl WHERE defaclrole = 'my_pg_owner'::regrole ORDER BY 1 NULLS FIRST, 2`);
    expect(rows).toEqual([
      { schema_name: null, object_type: 'f', acl: 'my_pg_owner=X/my_pg_owner' },
      { schema_name: 'my-pg-db-schema', object_type: 'S', acl: 'my_pg_app=rU/my_pg_owner my_pg_firefighter_ro=r/my_pg_owner my_pg_firefighter_rw=rU/my_pg_owner' },
      { schema_name: 'my-pg-db-schema', object_type: 'f', acl: 'my_pg_app=X/my_pg_owner' },
      { schema_name: 'my-pg-db-schema', object_type: 'r', acl: 'my_pg_app=arw/my_pg_owner my_pg_firefighter_ro=r/my_pg_owner my_pg_firefighter_rw=arwd/my_pg_owner' },
    ]);
  });

  it('owner is NOLOGIN and owns the database, the schema and every object made through the migration path', async () => {
    const rows = await ownerQuery(`
      SELECT (SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()) AS db,
             (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'my-pg-db-schema') AS schema,
             (SELECT array_agg(DISTINCT relowner::regrole::text) FROM pg_class WHERE relnamespace = '"my-pg-db-schema"'::regnamespace) AS relations,
             (SELECT array_agg(DISTINCT proowner::regrole::text) FROM pg_proc WHERE pronamespace = '"my-pg-db-schema"'::regnamespace) AS routines`);
    expect(rows).toEqual([{ db: 'my_pg_owner', schema: 'my_pg_owner', relations: ['my_pg_owner'], routines: ['my_pg_owner'] }]);
    const login = await attempt(await as('my_pg_migrator'), 'SELECT 1');
    expect(login).toBe('ok');
    await expect(loginAs(server, 'my_pg_owner', DB)).rejects.toThrow(/not permitted to log in/);
  });

  it('section 11 negative tests fail with the expected permission errors', async () => {
    expect(await attempt(await as('my_pg_app'), `CREATE TABLE ${S}.should_fail (id bigint)`)).toBe('permission denied for schema my-pg-db-schema');
    expect(await attempt(await as('my_pg_app'), `DELETE FROM ${S}.orders WHERE id = 1`)).toBe('permission denied for table orders');
    // firefighter_ro: its default_transaction_read_only guardrail refuses first; privileges refuse even without it.
    const ro = await as('my_pg_firefighter_ro');
    expect(await attempt(ro, `UPDATE ${S}.orders SET status = 'cancelled' WHERE id = 1`)).toBe('cannot execute UPDATE in a read-only transaction');
    expect(await attempt(ro, 'SET default_transaction_read_only = off')).toBe('ok');
    expect(await attempt(ro, `UPDATE ${S}.orders SET status = 'cancelled' WHERE id = 1`)).toBe('permission denied for table orders');
    expect(await attempt(await as('my_pg_firefighter_rw'), `DROP TABLE ${S}.orders`)).toBe('must be owner of table orders');
  });

  it('app: SELECT/INSERT/UPDATE, sequences, EXECUTE; never DELETE, TRUNCATE, REFERENCES, TRIGGER or CREATE', async () => {
    const app = await as('my_pg_app');
    expect(await attempt(app, `INSERT INTO ${S}.orders (order_no, amount) VALUES ('ORD-APP', 1)`)).toBe('ok');
    expect(await attempt(app, `UPDATE ${S}.orders SET status = 'paid' WHERE order_no = 'ORD-APP'`)).toBe('ok');
    expect(await attempt(app, `SELECT nextval('${S}.invoice_no')`)).toBe('ok');
    expect(await attempt(app, `SELECT ${S}.order_count()`)).toBe('ok');
    expect(await attempt(app, `TRUNCATE ${S}.orders`)).toBe('permission denied for table orders');
    expect(await attempt(app, `CREATE TABLE ${S}.child (o bigint REFERENCES ${S}.orders (id))`)).toBe('permission denied for schema my-pg-db-schema');
    expect(await attempt(app, `CREATE TRIGGER t BEFORE INSERT ON ${S}.orders FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()`)).toMatch(/permission denied|must be owner/);
    expect(await attempt(app, 'CREATE TABLE public.x (id int)')).toMatch(/permission denied for schema public/);
    expect(await attempt(app, 'CREATE TEMP TABLE t (id int)')).toMatch(/permission denied to create temporary tables/);
    const refs = await ownerQuery(`SELECT has_table_privilege('my_pg_app', '${S}.orders', 'REFERENCES') r, has_table_privilege('my_pg_app', '${S}.orders', 'TRIGGER') t`);
    expect(refs).toEqual([{ r: false, t: false }]);
  });

  it('firefighter_ro reads only; firefighter_rw changes rows but never truncates or changes structure', async () => {
    const ro = await as('my_pg_firefighter_ro');
    expect(await attempt(ro, `SELECT count(*) FROM ${S}.orders`)).toBe('ok');
    expect(await attempt(ro, `SELECT last_value FROM ${S}.invoice_no`)).toBe('ok');
    expect(await attempt(ro, `SELECT nextval('${S}.invoice_no')`)).toBe('permission denied for sequence invoice_no');
    expect(await attempt(ro, `INSERT INTO ${S}.orders (order_no, amount) VALUES ('X', 1)`)).toBe('cannot execute INSERT in a read-only transaction');
    expect(await attempt(ro, 'SET default_transaction_read_only = off')).toBe('ok');
    expect(await attempt(ro, `INSERT INTO ${S}.orders (order_no, amount) VALUES ('X', 1)`)).toBe('permission denied for table orders');
    expect(await attempt(ro, `SELECT ${S}.order_count()`)).toBe('permission denied for function order_count');
    const rw = await as('my_pg_firefighter_rw');
    expect(await attempt(rw, `BEGIN; UPDATE ${S}.orders SET status = 'cancelled' WHERE order_no = 'ORD-1001' RETURNING id; COMMIT`)).toBe('ok');
    expect(await attempt(rw, `DELETE FROM ${S}.orders WHERE order_no = 'ORD-1002'`)).toBe('ok');
    expect(await attempt(rw, `TRUNCATE ${S}.orders`)).toBe('permission denied for table orders');
    expect(await attempt(rw, `ALTER TABLE ${S}.orders ADD COLUMN x int`)).toBe('must be owner of table orders');
    expect(await attempt(rw, `CREATE INDEX ON ${S}.orders (amount)`)).toBe('must be owner of table orders');
    expect(await attempt(rw, `CREATE TABLE ${S}.y (id int)`)).toBe('permission denied for schema my-pg-db-schema');
    expect(await attempt(rw, `SELECT ${S}.order_count()`)).toBe('permission denied for function order_count');
  });

  it('a migrator that forgets SET ROLE cannot create objects it would own', async () => {
    const migrator = await as('my_pg_migrator');
    expect(await attempt(migrator, `CREATE TABLE ${S}.forgot (id int)`)).toBe('permission denied for schema my-pg-db-schema');
    expect(await attempt(migrator, 'CREATE TABLE public.forgot (id int)')).toMatch(/permission denied for schema public/);
    expect(await attempt(migrator, `SELECT * FROM ${S}.orders`)).toBe('permission denied for schema my-pg-db-schema');
    expect(await attempt(migrator, `SET ROLE my_pg_owner; CREATE TABLE ${S}.remembered (id int); RESET ROLE`)).toBe('ok');
    const owner = await ownerQuery(`SELECT relowner::regrole::text AS o FROM pg_class WHERE oid = '${S}.remembered'::regclass`);
    expect(owner).toEqual([{ o: 'my_pg_owner' }]);
  });

  it('functions created later run only for roles granted EXECUTE', async () => {
    const migrator = await as('my_pg_migrator');
    await migrator.query(`SET ROLE my_pg_owner; CREATE FUNCTION ${S}.later() RETURNS int LANGUAGE sql AS 'SELECT 1'; RESET ROLE`);
    const rows = await ownerQuery(`SELECT r, has_function_privilege(r, '${S}.later()', 'EXECUTE') AS x
      FROM unnest(ARRAY['my_pg_app', 'my_pg_firefighter_ro', 'my_pg_firefighter_rw', 'my_pg_password_broker', 'my_pg_migrator']) r ORDER BY r`);
    expect(rows).toEqual([
      { r: 'my_pg_app', x: true },
      { r: 'my_pg_firefighter_ro', x: false },
      { r: 'my_pg_firefighter_rw', x: false },
      { r: 'my_pg_migrator', x: false },
      { r: 'my_pg_password_broker', x: false },
    ]);
    const acl = await ownerQuery(`SELECT proacl::text AS acl FROM pg_proc WHERE oid = '${S}.later()'::regprocedure`);
    expect(acl[0]?.acl).not.toMatch(/(^|[{,])=X/);
  });

  it('PUBLIC has no CONNECT on the database and no CREATE on public', async () => {
    const rows = await ownerQuery(`SELECT
        (SELECT count(*)::int FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() AND a.grantee = 0) AS db_public,
        (SELECT count(*)::int FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public' AND a.grantee = 0) AS schema_public`);
    expect(rows).toEqual([{ db_public: 0, schema_public: 0 }]);
  });

  it('rds_iam reaches exactly the roles the spec names, never a firefighter role', async () => {
    const rows = await query(server.masterUrl(), `SELECT rolname FROM pg_roles
      WHERE rolname LIKE 'my_pg_%' AND pg_has_role(oid, 'rds_iam', 'MEMBER') ORDER BY rolname`);
    expect(rows.map((r) => r.rolname)).toEqual(['my_pg_app', 'my_pg_migrator', 'my_pg_password_broker']);
  });

  it('password_broker can only EXECUTE the db_admin password functions', async () => {
    const broker = await as('my_pg_password_broker');
    expect(await attempt(broker, `SELECT * FROM ${S}.orders`)).toBe('permission denied for schema my-pg-db-schema');
    expect(await attempt(broker, 'SELECT * FROM db_admin.firefighter_audit')).toBe('permission denied for table firefighter_audit');
    expect(await attempt(broker, 'SELECT * FROM db_admin.firefighter_role')).toBe('permission denied for table firefighter_role');
    expect(await attempt(broker, 'CREATE TABLE db_admin.x (id int)')).toBe('permission denied for schema db_admin');
    expect(await attempt(broker, 'CREATE TABLE public.x (id int)')).toMatch(/permission denied for schema public/);
    expect(await attempt(broker, 'CREATE TEMP TABLE x (id int)')).toMatch(/permission denied to create temporary tables/);
    expect(await attempt(broker, "ALTER ROLE my_pg_firefighter_ro PASSWORD 'x'")).toMatch(/permission denied/);
    expect(await attempt(broker, 'SELECT * FROM db_admin.firefighter_status()')).toBe('ok');
  });

  it('session guardrails and search_path are stored so that they resolve', async () => {
    const rw = await as('my_pg_firefighter_rw');
    const settings = (await rw.query(`SELECT current_setting('statement_timeout') st, current_setting('lock_timeout') lt,
      current_setting('idle_in_transaction_session_timeout') it`)).rows[0];
    expect(settings).toEqual({ st: '5min', lt: '5s', it: '2min' });
    const app = await as('my_pg_app');
    // The reference's '"my-pg-db-schema"' literal would store a name with embedded quotes and resolve nothing.
    const path = (await app.query('SELECT current_schemas(false)::text[] AS s')).rows[0];
    expect(path).toEqual({ s: ['my-pg-db-schema'] });
    expect(await attempt(app, 'SELECT count(*) FROM orders')).toBe('ok');
  });
});
