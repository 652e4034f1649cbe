// Adoption: the objects of an application schema that are neither relations, routines nor types. A schema's owner
// may drop them but not alter them, so while the master owns them a migration (the migrator, SET ROLE owner)
// fails on ALTER STATISTICS, ALTER COLLATION, ALTER TEXT SEARCH CONFIGURATION ... ("must be owner of ...").
// verify names them with the other misowned objects, apply hands them to the owner, and init counts them.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { inspectForInit } from '../../lib/postgres/init.js';
import { loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';
/** Built by the master before the first apply, as in a lived-in database. */
const BUILT = [
  `CREATE SCHEMA ${S}`,
  `CREATE TABLE ${S}.t (a int, b int, doc text)`,
  `CREATE STATISTICS ${S}.t_ab ON a, b FROM ${S}.t`,
  `CREATE COLLATION ${S}.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
  `CREATE TEXT SEARCH DICTIONARY ${S}.plain (TEMPLATE = pg_catalog.simple)`,
  `CREATE TEXT SEARCH CONFIGURATION ${S}.docs (COPY = pg_catalog.english)`,
  `CREATE CONVERSION ${S}.latin1_utf8 FOR 'LATIN1' TO 'UTF8' FROM pg_catalog.iso8859_1_to_utf8`,
  `CREATE FUNCTION ${S}.plus(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2'`,
  `CREATE OPERATOR ${S}.### (LEFTARG = int, RIGHTARG = int, FUNCTION = ${S}.plus)`,
  `CREATE OPERATOR ${S}.!! (RIGHTARG = int, FUNCTION = pg_catalog.int4abs)`,
  // Runs with its owner's privileges: the master's until apply hands it to the owner role.
  `CREATE FUNCTION ${S}.sessions() RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS 'SELECT count(*) FROM pg_stat_activity'`,
];
/** What a migration does to them later, as the owner. */
const MIGRATION = [
  `ALTER STATISTICS ${S}.t_ab SET STATISTICS 200`,
  `ALTER COLLATION ${S}.nocase RENAME TO nocase_v2`,
  `ALTER TEXT SEARCH DICTIONARY ${S}.plain (StopWords = english)`,
  `ALTER TEXT SEARCH CONFIGURATION ${S}.docs ALTER MAPPING FOR asciiword WITH ${S}.plain`,
  `ALTER CONVERSION ${S}.latin1_utf8 RENAME TO latin1_to_utf8`,
  `COMMENT ON OPERATOR ${S}.### (int, int) IS 'adds'`,
  `COMMENT ON OPERATOR ${S}.!! (NONE, int) IS 'absolute value'`,
];

describe.each(testedMajors())('objects a schema owner cannot alter, on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"`);
    await query(server.masterUrl(DB), BUILT.join(';\n'));
  });
  afterAll(async () => server?.stop());

  it('init counts them as objects to hand over', async () => {
    const facts = await inspectForInit(conn(), DB);
    // The table, the two functions and the seven other objects.
    expect(facts.schemas.find((s) => s.name === 'my-pg-db-schema')?.objects).toBe(10);
  });

  it('plan warns that the SECURITY DEFINER function will run with the owner role\'s privileges, and names no other', async () => {
    const { warnings } = await planWithWarnings(spec, conn());
    expect(warnings.filter((w) => w.code === 'security-definer-handover').map((w) => w.message)).toEqual([
      `${S}."sessions"() is SECURITY DEFINER and owned by postgres: once apply hands it to my_pg_owner it runs with my_pg_owner's privileges, not postgres's; check that what it does still works, or move it out of the listed schemas first`,
    ]);
  });

  it('verify names them; apply hands them to the owner; verify is clean and a second plan empty', async () => {
    await applyRoleModel(spec, conn());
    // A second database state where the master still owns them: built again after the first apply would need
    // CREATE, which the master no longer holds; so check the hand-over by ownership.
    const owners = await query<{ kind: string; owner: string }>(server.masterUrl(DB), `
      SELECT 'statistics' AS kind, stxowner::regrole::text AS owner FROM pg_statistic_ext WHERE stxnamespace = '${S}'::regnamespace
      UNION ALL SELECT 'collation', collowner::regrole::text FROM pg_collation WHERE collnamespace = '${S}'::regnamespace
      UNION ALL SELECT 'ts config', cfgowner::regrole::text FROM pg_ts_config WHERE cfgnamespace = '${S}'::regnamespace
      UNION ALL SELECT 'ts dict', dictowner::regrole::text FROM pg_ts_dict WHERE dictnamespace = '${S}'::regnamespace
      UNION ALL SELECT 'conversion', conowner::regrole::text FROM pg_conversion WHERE connamespace = '${S}'::regnamespace
      UNION ALL SELECT 'operator ' || oprname, oprowner::regrole::text FROM pg_operator WHERE oprnamespace = '${S}'::regnamespace
      ORDER BY 1`);
    expect(owners).toEqual(['collation', 'conversion', 'operator !!', 'operator ###', 'statistics', 'ts config', 'ts dict'].map((kind) => ({ kind, owner: 'my_pg_owner' })));
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await planRoleModel(spec, conn())).toEqual([]);
  });

  it('a migration (the migrator as the owner) can alter each of them', async () => {
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    try {
      await migrator.query('SET ROLE my_pg_owner');
      for (const sql of MIGRATION) await expect(migrator.query(sql).then(() => 'ok', (e: Error) => `${sql}: ${e.message}`)).resolves.toBe('ok');
    } finally {
      await migrator.end();
    }
  });

  it('one the migrator makes without SET ROLE (CREATE granted behind the model\'s back) is named by verify and handed over by apply', async () => {
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    try {
      await migrator.query(`SET ROLE my_pg_owner; GRANT CREATE ON SCHEMA ${S} TO my_pg_migrator; RESET ROLE`);
      await migrator.query(`CREATE TEXT SEARCH CONFIGURATION ${S}.notes (COPY = pg_catalog.simple)`);
    } finally {
      await migrator.end();
    }
    const findings = (await verifyRoleModel(spec, conn())).findings;
    expect(findings.filter((f) => f.code === 'object-owner').map((f) => f.message)).toEqual([`1 object(s) are owned by my_pg_migrator, expected my_pg_owner: ${S}.notes`]);
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await query(server.masterUrl(DB), `SELECT cfgowner::regrole::text AS owner FROM pg_ts_config WHERE cfgname = 'notes'`)).toEqual([{ owner: 'my_pg_owner' }]);
  });
});
