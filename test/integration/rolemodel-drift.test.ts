// Drift on managed objects is reported by verify (which changes nothing) and corrected by apply;
// unmanaged roles are never touched. Ten parallel applies end in the same state with no error.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { catalogSnapshot, loginAs, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';

interface DriftCase {
  readonly name: string;
  /** SQL run by the master (optionally as the owner) to introduce the drift. */
  readonly drift: string;
  readonly asOwner?: boolean;
  readonly database?: string;
  /** The finding verify must report. */
  readonly finding: RegExp;
}

const cases: DriftCase[] = [
  { name: 'an extra DELETE for app', drift: `GRANT DELETE ON ${S}.orders TO my_pg_app`, asOwner: true, finding: /my_pg_app has DELETE on 1 of 1 tables/ },
  { name: 'CREATE on the schema for app', drift: `GRANT CREATE ON SCHEMA ${S} TO my_pg_app`, asOwner: true, finding: /my_pg_app has CREATE on schema "my-pg-db-schema"/ },
  { name: 'TRUNCATE for firefighter_rw', drift: `GRANT TRUNCATE ON ALL TABLES IN SCHEMA ${S} TO my_pg_firefighter_rw`, asOwner: true, finding: /my_pg_firefighter_rw has TRUNCATE/ },
  { name: 'rds_iam on a firefighter role', drift: 'GRANT rds_iam TO my_pg_firefighter_ro', database: 'postgres', finding: /my_pg_firefighter_ro reaches rds_iam/ },
  { name: 'rds_iam through a membership', drift: 'GRANT my_pg_app TO my_pg_firefighter_rw', database: 'postgres', finding: /my_pg_firefighter_rw is a member of my_pg_app/ },
  { name: 'CONNECT back on PUBLIC', drift: `GRANT CONNECT, TEMPORARY ON DATABASE "${DB}" TO PUBLIC`, asOwner: true, finding: /PUBLIC has CONNECT, TEMPORARY on database "my-pg-db"/ },
  { name: 'CREATE on public for PUBLIC', drift: 'GRANT CREATE ON SCHEMA public TO PUBLIC', asOwner: true, finding: /PUBLIC has .*CREATE.* on schema public/ },
  { name: 'a role attribute changed', drift: 'ALTER ROLE my_pg_app CREATEDB CONNECTION LIMIT 7', database: 'postgres', finding: /my_pg_app: createdb is true, expected false; connection limit is 7, expected 100/ },
  { name: 'a guardrail removed', drift: `ALTER ROLE my_pg_firefighter_rw IN DATABASE "${DB}" RESET statement_timeout`, database: 'postgres', finding: /statement_timeout is not set, expected 5min/ },
  { name: 'a setting added', drift: `ALTER ROLE my_pg_firefighter_ro IN DATABASE "${DB}" SET work_mem = '1GB'`, database: 'postgres', finding: /work_mem = 1GB is set but not in the spec/ },
  { name: 'EXECUTE on a function for PUBLIC', drift: `GRANT EXECUTE ON FUNCTION ${S}.order_count() TO PUBLIC`, asOwner: true, finding: /PUBLIC may EXECUTE 1 routine/ },
  { name: 'default privileges widened', drift: `ALTER DEFAULT PRIVILEGES IN SCHEMA ${S} GRANT DELETE ON TABLES TO my_pg_app`, asOwner: true, finding: /future tables created by my_pg_owner in "my-pg-db-schema" would grant DELETE to my_pg_app/ },
  { name: 'the broker granted a table', drift: `GRANT SELECT ON ${S}.orders TO my_pg_password_broker; GRANT USAGE ON SCHEMA ${S} TO my_pg_password_broker`, asOwner: true, finding: /my_pg_password_broker has USAGE on schema/ },
];

describe.each(testedMajors())('drift on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    const c = await loginAs(server, 'my_pg_migrator', DB);
    await c.query(`SET ROLE my_pg_owner;
      CREATE TABLE ${S}.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status text);
      CREATE FUNCTION ${S}.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint';`);
    await c.end();
    await query(server.masterUrl(), 'CREATE ROLE bystander LOGIN');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  afterAll(async () => server?.stop());

  it.each(cases)('$name: verify reports it and changes nothing; apply corrects it', async (c) => {
    const url = server.masterUrl(c.database ?? DB);
    if (c.asOwner) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`SET ROLE my_pg_owner; ${c.drift}`);
      await client.end();
    } else {
      await query(url, c.drift);
    }
    const before = await catalogSnapshot(server, [DB]);
    const verify = await verifyRoleModel(spec, conn());
    expect(verify.findings.map((f) => f.message).join('\n')).toMatch(c.finding);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);

    const applied = await applyRoleModel(spec, conn());
    expect(applied.steps.length).toBeGreaterThan(0);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('a table created by the migrator without SET ROLE (granted CREATE behind our back) is handed to the owner', async () => {
    const owner = new pg.Client({ connectionString: server.masterUrl(DB) });
    await owner.connect();
    await owner.query(`SET ROLE my_pg_owner; GRANT CREATE, USAGE ON SCHEMA ${S} TO my_pg_migrator`);
    await owner.end();
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`CREATE TABLE ${S}.rogue (id serial PRIMARY KEY)`);
    await migrator.end();

    const verify = await verifyRoleModel(spec, conn());
    const messages = verify.findings.map((f) => f.message).join('\n');
    expect(messages).toContain('2 object(s) are owned by my_pg_migrator, expected my_pg_owner: "my-pg-db-schema".rogue, "my-pg-db-schema".rogue_id_seq');
    expect(messages).toMatch(/my_pg_migrator has CREATE on schema/);

    await applyRoleModel(spec, conn());
    const rows = await queryAs(server.masterUrl(DB), 'my_pg_owner', `SELECT c.relname, c.relowner::regrole::text AS owner FROM pg_class c
      WHERE c.relnamespace = '${S}'::regnamespace AND c.relname LIKE 'rogue%' ORDER BY 1`);
    expect(rows).toEqual([
      { relname: 'rogue', owner: 'my_pg_owner' },
      { relname: 'rogue_id_seq', owner: 'my_pg_owner' },
      { relname: 'rogue_pkey', owner: 'my_pg_owner' },
    ]);
    const app = await queryAs(server.masterUrl(DB), 'my_pg_owner', `SELECT has_table_privilege('my_pg_app', '${S}.rogue', 'INSERT') AS ins, has_table_privilege('my_pg_app', '${S}.rogue', 'DELETE') AS del`);
    expect(app).toEqual([{ ins: true, del: false }]);
    // The temporary membership used to hand the objects over is gone.
    const member = await query(server.masterUrl(), `SELECT count(*)::int AS n FROM pg_auth_members WHERE roleid = 'my_pg_migrator'::regrole AND member = current_user::regrole AND grantor = current_user::regrole`);
    expect(member).toEqual([{ n: 0 }]);
  });

  it('never touches unmanaged roles', async () => {
    await query(server.masterUrl(), `GRANT CONNECT ON DATABASE "${DB}" TO bystander`).catch(() => undefined);
    const owner = new pg.Client({ connectionString: server.masterUrl(DB) });
    await owner.connect();
    await owner.query(`SET ROLE my_pg_owner; GRANT CONNECT ON DATABASE "${DB}" TO bystander; GRANT USAGE ON SCHEMA ${S} TO bystander; GRANT SELECT, DELETE ON ${S}.orders TO bystander`);
    await owner.end();
    await query(server.masterUrl(), 'ALTER ROLE bystander CREATEDB');
    await applyRoleModel(spec, conn());
    const rows = await queryAs(server.masterUrl(DB), 'my_pg_owner', `SELECT has_database_privilege('bystander', current_database(), 'CONNECT') AS c,
      has_table_privilege('bystander', '${S}.orders', 'DELETE') AS d, (SELECT rolcreatedb FROM pg_roles WHERE rolname = 'bystander') AS cdb`);
    expect(rows).toEqual([{ c: true, d: true, cdb: true }]);
  });

  it('ten parallel applies on a fresh server end in the same state with no error', async () => {
    const fresh = await startEmbeddedServer({ major });
    try {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => applyRoleModel(spec, { connectionString: fresh.masterUrl() })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const ran = results.map((r) => (r.status === 'fulfilled' ? r.value.steps.length : -1));
      expect(ran.filter((n) => n > 0)).toHaveLength(1);
      const parallel = await catalogSnapshot(fresh, [DB]);
      const again = await applyRoleModel(spec, { connectionString: fresh.masterUrl() });
      expect(again.steps).toEqual([]);
      expect(await catalogSnapshot(fresh, [DB])).toEqual(parallel);
    } finally {
      await fresh.stop();
    }
  });
});
