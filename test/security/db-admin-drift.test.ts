// db_admin cannot change silently (issue 8, item 6): verify compares every db_admin function and table with
// a fresh install of sql/db_admin*.sql (in a scratch schema, rolled back), reports any difference without
// changing anything, and apply restores the files' version. Each edit is made as admin, which owns db_admin.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const SET_PASSWORD = 'db_admin.set_firefighter_password(name, text, integer, text, text, text, boolean)';

interface DriftCase {
  readonly name: string;
  /** Run as my_pg_admin in the managed database; may use the current definition of issue_shared_password
   *  (the body of set_firefighter_password and request_firefighter_password: it computes the expiry). */
  readonly edit: (definition: string) => string;
  readonly finding: RegExp;
}

const cases: DriftCase[] = [
  {
    name: 'the shared issue hands out a year instead of hours',
    edit: (def) => def.replace('expires_at := db_admin.incident_expiry(', 'expires_at := interval \'365 days\' + db_admin.incident_expiry('),
    finding: /function db_admin\.issue_shared_password\(p_row db_admin\.firefighter_role, .*\): definition differs/,
  },
  {
    name: 'a function loses its pinned search_path',
    edit: () => 'ALTER FUNCTION db_admin.firefighter_status() RESET ALL',
    finding: /function db_admin\.firefighter_status\(\): definition differs/,
  },
  {
    name: 'a function is no longer SECURITY DEFINER',
    edit: () => 'ALTER FUNCTION db_admin.end_firefighter_sessions(name) SECURITY INVOKER',
    finding: /function db_admin\.end_firefighter_sessions\(p_role name\): definition differs/,
  },
  {
    name: 'EXECUTE granted to a role outside the model',
    edit: () => `GRANT EXECUTE ON FUNCTION ${SET_PASSWORD} TO bystander`,
    finding: /function db_admin\.set_firefighter_password\(.*\): privileges are .*bystander:EXECUTE.*, expected/,
  },
  {
    name: 'an extra SECURITY DEFINER function',
    edit: () => "CREATE FUNCTION db_admin.backdoor() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
    finding: /function db_admin\.backdoor\(\): not created by sql\/db_admin\*\.sql/,
  },
  {
    name: 'a trigger that rewrites the audit trail',
    edit: () => `CREATE FUNCTION db_admin.scrub() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN NEW.requested_by := 'nobody'; RETURN NEW; END $f$;
      CREATE TRIGGER scrub BEFORE INSERT ON db_admin.firefighter_audit FOR EACH ROW EXECUTE FUNCTION db_admin.scrub()`,
    finding: /db_admin\."firefighter_audit": trigger scrub is not created by the files/,
  },
  {
    name: 'the allowlist loses its CHECK constraint',
    edit: () => 'ALTER TABLE db_admin.firefighter_role DROP CONSTRAINT firefighter_role_access_check',
    finding: /db_admin\."firefighter_role": constraint firefighter_role_access_check is missing/,
  },
  {
    name: 'an audit column default changes',
    edit: () => "ALTER TABLE db_admin.firefighter_audit ALTER COLUMN at SET DEFAULT '2000-01-01'",
    finding: /db_admin\."firefighter_audit": column at default is '2000-01-01 00:00:00\+00'::timestamp with time zone, expected clock_timestamp\(\)/,
  },
];

describe.each(testedMajors())('db_admin drift on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const definitions = async () => query<{ sig: string; def: string; acl: string | null }>(server.masterUrl(DB),
    `SELECT p.oid::regprocedure::text AS sig, pg_get_functiondef(p.oid) AS def, p.proacl::text AS acl
       FROM pg_proc p WHERE p.pronamespace = 'db_admin'::regnamespace AND p.prokind <> 'a' ORDER BY 1`);
  const tables = async () => query<{ t: string }>(server.masterUrl(DB),
    `SELECT c.relname || ' ' || coalesce((SELECT string_agg(conname || '=' || pg_get_constraintdef(k.oid), ',' ORDER BY conname) FROM pg_constraint k WHERE k.conrelid = c.oid), '')
            || ' ' || coalesce((SELECT string_agg(tgname, ',') FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
            || ' ' || coalesce((SELECT string_agg(attname || '=' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''), ',' ORDER BY attnum)
                                 FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') AS t
       FROM pg_class c WHERE c.relnamespace = 'db_admin'::regnamespace AND c.relkind = 'r' ORDER BY 1`);
  let original: Awaited<ReturnType<typeof definitions>>;
  let originalTables: Awaited<ReturnType<typeof tables>>;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    await query(server.masterUrl(), 'CREATE ROLE bystander LOGIN');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    original = await definitions();
    originalTables = await tables();
  });
  afterAll(async () => server?.stop());

  it.each(cases)('$name: verify reports it and changes nothing; apply restores the files\' version', async (c) => {
    const current = original.find((d) => d.sig.startsWith('db_admin.issue_shared_password('))?.def ?? '';
    expect(c.edit(current)).not.toBe(current);
    const admin: pg.Client = await loginAs(server, 'my_pg_admin', DB);
    try {
      await admin.query(c.edit(current));
    } finally {
      await admin.end();
    }
    const before = await catalogSnapshot(server, [DB]);
    const verify = await verifyRoleModel(spec, conn());
    expect(verify.findings.map((f) => f.message).join('\n')).toMatch(c.finding);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);

    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await definitions()).toEqual(original);
    expect(await tables()).toEqual(originalTables);
    void major;
  });
});
