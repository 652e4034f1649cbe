// A lived-in database: before adoption the app login created its own schema and tables (it had CREATE on the
// database and on public). Apply hands what is in the listed schemas to the owner role, but nothing outside
// them: the adopted app still owned schema legacy and its tables, so it could TRUNCATE and CREATE there, while
// verify said nothing. Now verify names them (owned-outside-model) and plan gives the hand-over as a manual step
// (an adopted app may still use them: apply does not take them away by itself).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel, VerificationError } from '../../lib/postgres/engine.js';
import { attempt, catalogSnapshot, loginAs, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'));
const spec = parseSpec({ ...reference, databases: [{ ...reference.databases[0], roles: { ...reference.databases[0].roles, app: { ...reference.databases[0].roles.app, adopt: true } } }] });
const DB = 'my-pg-db';
const MESSAGE = 'my_pg_app owns 1 schema(s) and 2 object(s) outside the listed schemas: "legacy", "legacy"."audit", "public"."app_cache"; an owner may alter, truncate and drop them, which the model never gives my_pg_app: list the schema in the spec (apply hands what is in it to my_pg_owner and grants the model\'s privileges) or hand them over yourself';

describe.each(testedMajors())('schemas and objects managed roles own outside the listed schemas, on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const handOver = major >= 16 ? ' WITH INHERIT TRUE, SET FALSE' : '';
  const STEP = [
    `GRANT "my_pg_app" TO CURRENT_USER${handOver}`,
    'SET ROLE "my_pg_owner"', `GRANT CREATE ON DATABASE "${DB}" TO SESSION_USER`, 'RESET ROLE',
    'ALTER SCHEMA "legacy" OWNER TO "my_pg_owner"',
    'SET ROLE "my_pg_owner"', `REVOKE CREATE ON DATABASE "${DB}" FROM SESSION_USER`, 'GRANT USAGE ON SCHEMA "legacy", "public" TO SESSION_USER', 'RESET ROLE',
    'ALTER TABLE "legacy"."audit" OWNER TO "my_pg_owner"',
    'ALTER TABLE "public"."app_cache" OWNER TO "my_pg_owner"',
    'SET ROLE "my_pg_owner"', 'REVOKE USAGE ON SCHEMA "legacy", "public" FROM SESSION_USER', 'RESET ROLE',
    'REVOKE "my_pg_app" FROM CURRENT_USER',
  ].join(';\n');

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(), "CREATE ROLE my_pg_app LOGIN PASSWORD 'legacy-app-pw'; CREATE ROLE reports NOLOGIN");
    await query(server.masterUrl(DB), `CREATE SCHEMA "my-pg-db-schema"; CREATE TABLE "my-pg-db-schema".orders (id int);
      GRANT CREATE ON SCHEMA public TO my_pg_app; GRANT CREATE, CONNECT ON DATABASE "${DB}" TO my_pg_app;
      GRANT reports TO CURRENT_USER; CREATE SCHEMA reporting AUTHORIZATION reports; CREATE TABLE reporting.daily (d date);
      ALTER TABLE reporting.daily OWNER TO reports; REVOKE reports FROM CURRENT_USER`);
    // The legacy application, with its password, before the role model existed.
    await query(server.url('my_pg_app', 'legacy-app-pw', DB), 'CREATE SCHEMA legacy; CREATE TABLE public.app_cache (k text); CREATE TABLE legacy.audit (x int)');
  });
  afterAll(async () => server?.stop());

  it('apply adopts the rest and ends with a verification error naming what the app still owns', async () => {
    // Old code: apply resolved and nothing was named.
    const error = await applyRoleModel(spec, conn()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).findings.map((f) => [f.code, f.message])).toEqual([['owned-outside-model', MESSAGE]]);
  });

  it('verify names the app\'s schema and objects, not the unmanaged role\'s schema, and changes nothing', async () => {
    // Old code: no finding (the hole).
    const before = await catalogSnapshot(server, [DB]);
    const { findings } = await verifyRoleModel(spec, conn());
    expect(findings).toEqual([{
      code: 'owned-outside-model', database: DB, subject: 'my_pg_app', roles: ['my_pg_app'], message: MESSAGE,
      objects: ['"legacy"', '"legacy"."audit"', '"public"."app_cache"'],
    }]);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);
    // What the finding is about: the adopted app may still empty the audit table and add its own.
    const app = await loginAs(server, 'my_pg_app', DB);
    try {
      expect(await attempt(app, 'BEGIN; TRUNCATE legacy.audit; CREATE TABLE legacy.more (x int); ROLLBACK')).toBe('ok');
    } finally {
      await app.end();
    }
  });

  it('plan gives the hand-over as a manual step; run as the master, it closes the hole', async () => {
    // Old code: no such step.
    const steps = await planRoleModel(spec, conn());
    expect(steps).toEqual([expect.objectContaining({ manual: true, database: DB, sql: STEP })]);
    expect(steps[0]?.reason).toMatch(/list its schema in the spec instead/);
    await query(server.masterUrl(DB), STEP);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    const app = await loginAs(server, 'my_pg_app', DB);
    try {
      expect(await attempt(app, 'TRUNCATE legacy.audit')).toMatch(/permission denied/);
      expect(await attempt(app, 'CREATE TABLE legacy.more (x int)')).toMatch(/permission denied/);
      expect(await attempt(app, 'TRUNCATE public.app_cache')).toMatch(/permission denied/);
    } finally {
      await app.end();
    }
    // The master holds none of the app's privileges and no lent privilege afterwards.
    const left = await query(server.masterUrl(DB), `SELECT pg_has_role('my_pg_app', 'USAGE') AS member,
      EXISTS (SELECT FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() AND a.grantee = current_user::regrole AND a.privilege_type = 'CREATE') AS create,
      EXISTS (SELECT FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname IN ('legacy', 'public') AND a.grantee = current_user::regrole) AS usage`);
    expect(left).toEqual([{ member: false, create: false, usage: false }]);
  });

  it('every kind of object is named and handed over; extension members and parts that follow their parent are not', async () => {
    // The read-write firefighter owns a schema and one object of each kind (set up as the bootstrap superuser, the
    // shortest way there), and a pg_trgm function (an extension member, the migration's business).
    const RW = 'my_pg_firefighter_rw';
    await query(server.superuserUrl(DB), `CREATE SCHEMA tools AUTHORIZATION ${RW}; SET ROLE ${RW};
      CREATE TABLE tools.t (id serial PRIMARY KEY, v text); CREATE STATISTICS tools.t_stats ON id, v FROM tools.t;
      CREATE VIEW tools.v AS SELECT id FROM tools.t; CREATE SEQUENCE tools.s;
      CREATE FUNCTION tools.f(int, text) RETURNS int LANGUAGE sql AS 'SELECT 1';
      CREATE FUNCTION tools.plus(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
      CREATE OPERATOR tools.### (LEFTARG = int, RIGHTARG = int, FUNCTION = tools.plus);
      CREATE TYPE tools.mood AS ENUM ('ok'); CREATE TYPE tools.pair AS (a int, b int); CREATE DOMAIN tools.pos AS int CHECK (VALUE > 0);
      CREATE TEXT SEARCH CONFIGURATION tools.docs (COPY = pg_catalog.english); RESET ROLE;
      CREATE EXTENSION pg_trgm SCHEMA tools; ALTER FUNCTION tools.similarity(text, text) OWNER TO ${RW}`);
    // Old code: no finding.
    const { findings } = await verifyRoleModel(spec, conn());
    expect(findings.map((f) => [f.code, f.subject])).toEqual([['owned-outside-model', RW]]);
    expect([...(findings[0]?.objects ?? [])].sort()).toEqual(['"tools"', '"tools".### (integer, integer)', '"tools"."docs"', '"tools"."f"(integer, text)',
      '"tools"."mood"', '"tools"."pair"', '"tools"."plus"(integer, integer)', '"tools"."pos"', '"tools"."s"', '"tools"."t"', '"tools"."t_stats"', '"tools"."v"'].sort());
    expect(findings[0]?.message).toMatch(/^my_pg_firefighter_rw owns 1 schema\(s\) and 11 object\(s\) outside the listed schemas: .* and 2 more; /);
    const step = (await planRoleModel(spec, conn())).find((x) => x.manual);
    await query(server.masterUrl(DB), step?.sql ?? 'SELECT 1/0');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    const owners = await query(server.superuserUrl(DB), `SELECT
        (SELECT relowner::regrole::text FROM pg_class WHERE oid = 'tools.t_id_seq'::regclass) AS serial,
        (SELECT proowner::regrole::text FROM pg_proc WHERE oid = 'tools.similarity(text, text)'::regprocedure) AS member`);
    expect(owners).toEqual([{ serial: 'my_pg_owner', member: RW }]);
  });

  it('admin is named for what it owns outside db_admin, not for db_admin', async () => {
    // Old code: no finding.
    await query(server.superuserUrl(DB), 'CREATE TABLE public.admin_notes (x int); ALTER TABLE public.admin_notes OWNER TO my_pg_admin');
    const { findings } = await verifyRoleModel(spec, conn());
    expect(findings.map((f) => [f.code, f.subject, f.objects])).toEqual([['owned-outside-model', 'my_pg_admin', ['"public"."admin_notes"']]]);
    await query(server.superuserUrl(DB), 'DROP TABLE public.admin_notes');
  });

  it('the owner role may own a schema the spec does not list', async () => {
    await queryAs(server.masterUrl(DB), 'my_pg_owner', 'CREATE SCHEMA owners_scratch; CREATE TABLE owners_scratch.t (x int)');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });
});
