// Issue 8.1: the owner role (which the migrator may SET ROLE to) owns schema public and the application
// schemas of its database. Functions and operators it plants there must never run in the master's
// plan / verify / apply / retire sessions, however well they match the engine's calls.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { connect } from '../../lib/postgres/connection.js';
import { retireDatabaseRoles } from '../../lib/postgres/retire.js';
import { loginAs, query } from '../support/catalog.js';
import { MASTER_USER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { ALICE, prepare, trustedService } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';

/** Exact-match overloads of what inspection and fix SQL call: (name, argument types, return type, body). */
const FUNCTIONS: [string, string, string, string][] = [
  ['unnest', 'a text[]', 'SETOF text', 'RETURN QUERY SELECT pg_catalog.unnest(a);'],
  ['array_length', 'a text[], d integer', 'integer', 'RETURN pg_catalog.array_length(a, d);'],
  ['array_position', 'a text[], e text', 'integer', 'RETURN pg_catalog.array_position(a, e);'],
  ['array_to_string', 'a text[], s text', 'text', 'RETURN pg_catalog.array_to_string(a, s);'],
  ['format', 'f text, a text', 'text', 'RETURN pg_catalog.format(f, a);'],
  ['format', 'f text, a text, b text', 'text', 'RETURN pg_catalog.format(f, a, b);'],
  ['format', 'f text, a text, b text, c text', 'text', 'RETURN pg_catalog.format(f, a, b, c);'],
  ['to_regrole', 'a text', 'regrole', 'RETURN pg_catalog.to_regrole(a);'],
  ['to_regclass', 'a text', 'regclass', 'RETURN pg_catalog.to_regclass(a);'],
  ['to_regnamespace', 'a text', 'regnamespace', 'RETURN pg_catalog.to_regnamespace(a);'],
  ['has_table_privilege', 'r oid, o oid, p text', 'boolean', 'RETURN pg_catalog.has_table_privilege(r, o, p);'],
  ['has_sequence_privilege', 'r oid, o oid, p text', 'boolean', 'RETURN pg_catalog.has_sequence_privilege(r, o, p);'],
  ['has_function_privilege', 'r oid, o oid, p text', 'boolean', 'RETURN pg_catalog.has_function_privilege(r, o, p);'],
  ['has_schema_privilege', 'r oid, o oid, p text', 'boolean', 'RETURN pg_catalog.has_schema_privilege(r, o, p);'],
  ['has_schema_privilege', 'r oid, o text, p text', 'boolean', 'RETURN pg_catalog.has_schema_privilege(r, o, p);'],
  ['has_database_privilege', 'r oid, o oid, p text', 'boolean', 'RETURN pg_catalog.has_database_privilege(r, o, p);'],
  ['pg_has_role', 'r oid, o oid, p text', 'boolean', 'RETURN pg_catalog.pg_has_role(r, o, p);'],
  ['pg_get_userbyid', 'r oid', 'name', 'RETURN pg_catalog.pg_get_userbyid(r);'],
  ['obj_description', 'o oid, c name', 'text', 'RETURN pg_catalog.obj_description(o, c);'],
  ['current_setting', 'n text', 'text', 'RETURN pg_catalog.current_setting(n);'],
  ['set_config', 'n text, v text, l boolean', 'text', 'RETURN pg_catalog.set_config(n, v, l);'],
  ['pg_advisory_lock', 'k text', 'void', 'RETURN;'],
  ['pg_advisory_xact_lock', 'k text', 'void', 'RETURN;'],
  ['pg_advisory_unlock', 'k text', 'boolean', 'RETURN true;'],
  ['acldefault', 't "char", o oid', 'aclitem[]', 'RETURN pg_catalog.acldefault(t, o);'],
];

/** Operators: (operator, left type, right type, the pg_catalog comparison it imitates). */
const OPERATORS: [string, string, string, string][] = [
  ['=', 'name', 'text', 'pg_catalog.texteq(l::text, r)'],
  ['=', 'text', 'text', 'pg_catalog.texteq(l, r)'],
  ['=', 'name', 'name', 'pg_catalog.nameeq(l, r)'],
  ['=', 'oid', 'integer', 'pg_catalog.oideq(l, r::oid)'],
  ['<>', 'oid', 'integer', 'pg_catalog.oidne(l, r::oid)'],
  ['<>', 'oid', 'regrole', 'pg_catalog.oidne(l, r::oid)'],
  ['=', 'oid', 'regrole', 'pg_catalog.oideq(l, r::oid)'],
  ['=', '"char"', 'text', 'pg_catalog.texteq(l::text, r)'],
];

/** Aggregates: (name, input type, state/return type). Each transition records the caller. */
const AGGREGATES: [string, string, string][] = [
  ['count', 'oid', 'bigint'],
  ['max', 'name', 'name'],
  ['json_agg', 'text', 'json'],
  ['json_agg', 'name', 'json'],
];

function plantSql(schema: string): string {
  const s = `"${schema.replace(/"/g, '""')}"`;
  const record = (what: string) => `INSERT INTO public.hijack_log (who, what) VALUES (current_user, '${schema}.${what}');`;
  const out: string[] = [`GRANT USAGE ON SCHEMA ${s} TO ${MASTER_USER}, PUBLIC;`];
  for (const [name, args, returns, body] of FUNCTIONS) {
    out.push(`CREATE FUNCTION ${s}.${name}(${args}) RETURNS ${returns} LANGUAGE plpgsql AS $f$ BEGIN ${record(name)} ${body} END $f$;`);
  }
  OPERATORS.forEach(([op, left, right, body], i) => {
    out.push(`CREATE FUNCTION ${s}.hijack_op${i}(l ${left}, r ${right}) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN ${record(`${op}(${left},${right})`)} RETURN ${body}; END $f$;`);
    out.push(`CREATE OPERATOR ${s}.${op} (LEFTARG = ${left}, RIGHTARG = ${right}, FUNCTION = ${s}.hijack_op${i});`);
  });
  AGGREGATES.forEach(([name, input, state], i) => {
    const step = state === 'json' ? 'pg_catalog.to_json(v)' : state === 'bigint' ? 'coalesce(st, 0) + 1' : 'v';
    out.push(`CREATE FUNCTION ${s}.hijack_agg${i}(st ${state}, v ${input}) RETURNS ${state} LANGUAGE plpgsql AS $f$ BEGIN ${record(`${name}(${input})`)} RETURN ${step}; END $f$;`);
    out.push(`CREATE AGGREGATE ${s}.${name}(${input}) (SFUNC = ${s}.hijack_agg${i}, STYPE = ${state});`);
  });
  out.push(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO ${MASTER_USER}, PUBLIC;`);
  return out.join('\n');
}

describe.each(testedMajors())('search_path hijack on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const hijacks = async () => query<{ who: string; what: string }>(server.superuserUrl(DB), 'SELECT who, what FROM public.hijack_log ORDER BY id');

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, spec); // applyRoleModel as the master, and the broker's IAM token
    // The migrator acts as the owner, as it may by design; it plants in public, the application schema and a
    // schema named after the master (the default search_path starts with "$user").
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`SET ROLE my_pg_owner;
      CREATE TABLE public.hijack_log (id bigint GENERATED ALWAYS AS IDENTITY, who text, what text);
      GRANT INSERT ON public.hijack_log TO PUBLIC;
      CREATE SCHEMA ${MASTER_USER};
      ${plantSql('public')}
      ${plantSql('my-pg-db-schema')}
      ${plantSql(MASTER_USER)}
      -- Drift that makes apply hand an object over and rewrite grants (the fix SQL runs too).
      GRANT CREATE ON SCHEMA "my-pg-db-schema" TO my_pg_migrator;`);
    await migrator.query('RESET ROLE; CREATE TABLE "my-pg-db-schema".rogue (id serial PRIMARY KEY)');
    await migrator.end();
    // The planted functions work for anyone who calls them unqualified.
    await query(server.superuserUrl(DB), "SET search_path = public; SELECT count(*) FROM unnest(ARRAY['a']::text[])");
    expect((await hijacks()).length).toBeGreaterThan(0);
    await query(server.superuserUrl(DB), 'TRUNCATE public.hijack_log');
  }, 240_000);

  afterAll(async () => server?.stop());

  it('plan runs none of the planted functions or operators', async () => {
    expect((await planRoleModel(spec, conn())).length).toBeGreaterThan(0);
    expect(await hijacks()).toEqual([]);
  });

  it('verify runs none of them and reports the drift', async () => {
    const result = await verifyRoleModel(spec, conn());
    expect(result.findings.map((f) => f.message).join('\n')).toMatch(/owned by my_pg_migrator/);
    expect(await hijacks()).toEqual([]);
  });

  it('apply runs none of them, hands the object over and verifies clean', async () => {
    const applied = await applyRoleModel(spec, conn());
    expect(applied.steps.some((s) => /rogue|OWNER/.test(s.sql))).toBe(true);
    expect(await hijacks()).toEqual([]);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await hijacks()).toEqual([]);
  });

  it('every engine session pins search_path and standard_conforming_strings, whatever the database and role set', async () => {
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`SET ROLE my_pg_owner; ALTER DATABASE "${DB}" SET search_path = ${MASTER_USER}, public; ALTER DATABASE "${DB}" SET standard_conforming_strings = off`);
    await migrator.end();
    const client = await connect(conn(), DB);
    try {
      const { rows } = await client.query<{ path: string; scs: string }>("SELECT pg_catalog.current_setting('search_path') AS path, pg_catalog.current_setting('standard_conforming_strings') AS scs");
      expect(rows).toEqual([{ path: 'pg_catalog, pg_temp', scs: 'on' }]);
    } finally {
      await client.end();
    }
    // The settings themselves are drift (item 5): reported, and removed by the next apply.
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => f.code)).toEqual(['database-setting-extra', 'database-setting-extra']);
    expect(await hijacks()).toEqual([]);
  });

  it('the broker runs none of them: request, status, revoke and sweep', async () => {
    const broker = trustedService(server, spec, ALICE);
    expect(await broker({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'planted overloads', hours: 1 })).toMatchObject({ ok: true });
    expect(await broker({ action: 'status' })).toMatchObject({ ok: true });
    expect(await broker({ action: 'revoke', role: 'ro', incidentId: 'INC-1' })).toMatchObject({ ok: true });
    expect(await broker({ action: 'sweep' })).toMatchObject({ ok: true });
    expect(await hijacks()).toEqual([]);
  });

  it('retire runs none of them', async () => {
    await retireDatabaseRoles(spec, DB, conn(), { dropDatabase: false });
    expect(await hijacks()).toEqual([]);
  });
});
