// One apply adopts a database the master built and used for everything (issue 10.1): every kind of object
// in several schemas, owned by the master, PUBLIC holding the defaults. Verify is clean after the FIRST
// apply, a second plan is empty, and the app can use every object it could use before.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { loginAs, query } from '../support/catalog.js';
import { livedInSql } from '../support/lived-in.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0];
if (!db0) throw new Error('reference spec has no database');
const spec = parseSpec({ ...reference, databases: [{ ...db0, schemas: ['my-pg-db-schema', 'reporting'] }] });
const DB = 'my-pg-db';

describe.each(testedMajors())('adopting a lived-in database on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(DB), `${livedInSql('my-pg-db-schema')} ${livedInSql('reporting')}
      CREATE TABLE public.scratch (id int);`);
  });
  afterAll(async () => server?.stop());

  it('converges in the first apply; verify is clean and a second plan is empty', async () => {
    const result = await applyRoleModel(spec, conn());
    expect(result.fixed.map((f) => f.code)).toEqual(expect.arrayContaining(['object-owner', 'routine-public']));
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await planRoleModel(spec, conn())).toEqual([]);
  });

  it('handed every object to the owner and the app can use each of them', async () => {
    // Everything but the internal parts that follow their parent (array types, range constructors, which
    // PostgreSQL itself creates as the bootstrap superuser) belongs to the owner.
    const internal = (catalog: string, oid: string) => `NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = '${catalog}'::regclass AND d.objid = ${oid} AND d.objsubid = 0 AND d.deptype = 'i' AND d.refobjid <> d.objid)`;
    const inSchemas = `IN ('"my-pg-db-schema"'::regnamespace, 'reporting'::regnamespace)`;
    const owners = await query<{ owner: string; n: number }>(server.masterUrl(DB), `SELECT owner, count(*)::int AS n FROM (
        SELECT relowner::regrole::text AS owner FROM pg_class c WHERE relnamespace ${inSchemas} AND ${internal('pg_class', 'c.oid')}
        UNION ALL SELECT proowner::regrole::text FROM pg_proc p WHERE pronamespace ${inSchemas} AND ${internal('pg_proc', 'p.oid')}
        UNION ALL SELECT typowner::regrole::text FROM pg_type t WHERE typnamespace ${inSchemas} AND ${internal('pg_type', 't.oid')}) o
      GROUP BY owner`);
    expect(owners.map((o) => o.owner)).toEqual(['my_pg_owner']);
    const app = await loginAs(server, 'my_pg_app', DB);
    try {
      for (const schema of ['"my-pg-db-schema"', 'reporting']) {
        await app.query(`INSERT INTO ${schema}.orders (status, mood, qty, p) VALUES ('open', 'ok', 2, (1, 2)) RETURNING id`);
        await app.query(`INSERT INTO ${schema}.legacy (note) VALUES ('x')`);
        await app.query(`SELECT nextval('${schema}.free_seq')`);
        await app.query(`INSERT INTO ${schema}.events VALUES ('2026-05-01', 1)`);
        await app.query(`SELECT ${schema}.order_count(), ${schema}.total(qty) FROM ${schema}.orders`);
        await app.query(`SELECT * FROM ${schema}.open_orders, ${schema}.order_stats`);
        await app.query(`CALL ${schema}.close_all()`);
        await expect(app.query(`DELETE FROM ${schema}.orders`)).rejects.toThrow(/permission denied/);
      }
    } finally {
      await app.end();
    }
  });
});
