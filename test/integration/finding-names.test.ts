// Findings name things (issue 10.5): privilege findings name up to 10 schema-qualified objects, then "and N
// more", with every object in `objects`; and the unmanaged logins whose privileges apply changes through PUBLIC
// (issue 10.2) are named with the objects before anything changes.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0];
if (!db0) throw new Error('reference spec has no database');
const spec = parseSpec({ ...reference, databases: [{ ...db0, keepConnect: ['legacy_app'] }] });
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';
const n12 = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'));
const first10 = (f: (n: string) => string) => n12.slice(0, 10).map(f).join(', ');

describe.each(testedMajors())('findings name objects on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const legacy = async () => {
    const c = new pg.Client({ connectionString: server.url('legacy_app', 'pw-legacy', DB) });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(), `CREATE ROLE legacy_app LOGIN PASSWORD 'pw-legacy'`);
    // The master built 12 tables and 12 functions; legacy_app was granted the tables, and PUBLIC executes the
    // functions (the default) and may insert one column.
    await query(server.masterUrl(DB), `CREATE SCHEMA ${S};
      ${n12.map((n) => `CREATE TABLE ${S}.t${n} (id int); CREATE FUNCTION ${S}.f${n}() RETURNS int LANGUAGE sql AS 'SELECT 1';`).join('\n')}
      GRANT USAGE ON SCHEMA ${S} TO legacy_app;
      GRANT SELECT ON ALL TABLES IN SCHEMA ${S} TO legacy_app;
      GRANT INSERT (id) ON ${S}.t01 TO PUBLIC;`);
  });
  afterAll(async () => server?.stop());

  it('plan names the unmanaged login and every object it reaches only through PUBLIC', async () => {
    const { warnings } = await planWithWarnings(spec, conn());
    const w = warnings.find((x) => x.code === 'unmanaged-role-loses-privileges');
    expect(w?.subject).toBe('legacy_app');
    expect(w?.message).toBe(`unmanaged login legacy_app will lose INSERT on 1 columns: ${S}.t01 (id); `
      + `EXECUTE on 12 routines: ${first10((n) => `${S}.f${n}()`)} and 2 more; USAGE on schema public in database "my-pg-db" `
      + '(it has them only through PUBLIC, which apply revokes there); to keep any, grant it to legacy_app explicitly (as my_pg_owner) after apply');
    expect(w?.objects).toHaveLength(14);
  });

  it('apply names the same before it changes anything; legacy_app keeps its own grants and loses the rest', async () => {
    const result = await applyRoleModel(spec, conn());
    expect(result.warnings.filter((x) => x.code === 'unmanaged-role-loses-privileges').map((x) => x.objects?.length)).toEqual([14]);
    const c = await legacy();
    try {
      expect(await attempt(c, `SELECT * FROM ${S}.t12`)).toBe('ok');
      expect(await attempt(c, `SELECT ${S}.f01()`)).toMatch(/permission denied for function f01/);
    } finally {
      await c.end();
    }
    expect((await planWithWarnings(spec, conn())).warnings).toEqual([]);
  });

  it('privilege findings name up to 10 objects, then "and N more"; objects carries them all', async () => {
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; GRANT DELETE ON ALL TABLES IN SCHEMA ${S} TO my_pg_firefighter_ro;
      REVOKE EXECUTE ON FUNCTION ${S}.f03() FROM my_pg_app`);
    const findings = [...(await verifyRoleModel(spec, conn())).findings].sort((a, b) => a.message.localeCompare(b.message));
    expect(findings.map((f) => f.message)).toEqual([
      `my_pg_app lacks EXECUTE on 1 of 12 routines in "my-pg-db-schema": ${S}.f03()`,
      `my_pg_firefighter_ro has DELETE on 12 of 12 tables in "my-pg-db-schema": ${first10((n) => `${S}.t${n}`)} and 2 more`,
    ]);
    expect(findings.map((f) => f.objects?.length)).toEqual([1, 12]);
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });
});
