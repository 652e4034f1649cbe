// Extensions are the migration's business (issue 9.3): objects that belong to an extension (pg_depend
// deptype 'e') are neither reported nor changed. As on Aurora, their objects end up owned by the bootstrap
// superuser whether the operator installs them or the migrator does (trusted extensions).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { loginAs, query } from '../support/catalog.js';
import { SUPERUSER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/two-databases.json', import.meta.url), 'utf8')));

describe.each(testedMajors())('extensions on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    // Into the application schema: two by the migrator (trusted; its search_path puts the schema first),
    // two by the operator.
    const migrator = await loginAs(server, 'my_pg_migrator', 'my-pg-db');
    await migrator.query('SET ROLE my_pg_owner; CREATE EXTENSION citext; CREATE EXTENSION pgcrypto;');
    // tablefunc brings composite types (tablefunc_crosstab_2 ...), as PostGIS does (geometry_dump): they are the
    // extension's, not objects to hand to the owner.
    await query(server.superuserUrl('my-pg-db'), `CREATE EXTENSION "uuid-ossp" SCHEMA "my-pg-db-schema"; CREATE EXTENSION pg_trgm SCHEMA "my-pg-db-schema";
      CREATE EXTENSION tablefunc SCHEMA "my-pg-db-schema";`);
    await migrator.query(`CREATE TABLE "my-pg-db-schema".users (id uuid PRIMARY KEY DEFAULT uuid_generate_v4(), email citext UNIQUE, secret bytea);
      CREATE INDEX users_email_trgm ON "my-pg-db-schema".users USING gin ((email::text) gin_trgm_ops);`);
    await migrator.end();
    // Into public: the other way round.
    await query(server.superuserUrl('other_pg_db'), 'CREATE EXTENSION citext SCHEMA public; CREATE EXTENSION pgcrypto SCHEMA public;');
    const other = await loginAs(server, 'other_pg_migrator', 'other_pg_db');
    await other.query(`SET ROLE other_pg_owner; CREATE EXTENSION "uuid-ossp" SCHEMA public; CREATE EXTENSION pg_trgm SCHEMA public;
      CREATE TABLE app.users (id uuid PRIMARY KEY DEFAULT public.uuid_generate_v4(), email public.citext, secret bytea);`);
    await other.end();
  });
  afterAll(async () => server?.stop());

  it('their objects belong to the bootstrap superuser, as on Aurora', async () => {
    const owners = await query<{ owner: string }>(server.masterUrl('my-pg-db'),
      `SELECT DISTINCT proowner::regrole::text AS owner FROM pg_proc WHERE pronamespace = '"my-pg-db-schema"'::regnamespace`);
    expect(owners).toEqual([{ owner: SUPERUSER }]);
    const composite = await query<{ owner: string }>(server.masterUrl('my-pg-db'),
      `SELECT typowner::regrole::text AS owner FROM pg_type WHERE typname = 'tablefunc_crosstab_2' AND typnamespace = '"my-pg-db-schema"'::regnamespace`);
    expect(composite).toEqual([{ owner: SUPERUSER }]);
  });

  it('apply converges, verify is clean and a second plan is empty', async () => {
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await planRoleModel(spec, conn())).toEqual([]);
    const owners = await query<{ owner: string }>(server.masterUrl('my-pg-db'),
      `SELECT DISTINCT owner FROM (SELECT proowner::regrole::text AS owner FROM pg_proc WHERE pronamespace = '"my-pg-db-schema"'::regnamespace
        UNION ALL SELECT typowner::regrole::text FROM pg_type WHERE typname LIKE 'tablefunc%' AND typnamespace = '"my-pg-db-schema"'::regnamespace) o`);
    expect(owners).toEqual([{ owner: SUPERUSER }]);
  });

  it('tables using their types get the model\'s grants', async () => {
    const app = await loginAs(server, 'my_pg_app', 'my-pg-db');
    try {
      await app.query(`INSERT INTO users (email, secret) VALUES ('A@example.com', digest('x', 'sha256'))`);
      expect((await app.query(`SELECT count(*)::int AS n FROM users WHERE email = 'a@EXAMPLE.com'`)).rows).toEqual([{ n: 1 }]);
      await expect(app.query('DELETE FROM users')).rejects.toThrow(/permission denied/);
    } finally {
      await app.end();
    }
    const ro = await loginAs(server, 'other_pg_firefighter_ro', 'other_pg_db');
    try {
      expect((await ro.query('SELECT count(*)::int AS n FROM app.users')).rows).toEqual([{ n: 0 }]);
      expect((await ro.query(`SELECT has_table_privilege('app.users', 'INSERT') AS ins`)).rows).toEqual([{ ins: false }]);
    } finally {
      await ro.end();
    }
    const otherApp = await loginAs(server, 'other_pg_app', 'other_pg_db');
    try {
      await otherApp.query(`INSERT INTO app.users (email) VALUES ('B@example.com')`);
      expect((await otherApp.query('SELECT email::text FROM app.users')).rows).toEqual([{ email: 'B@example.com' }]);
    } finally {
      await otherApp.end();
    }
  });
});
