// Issue 19.7: a JSON Schema for the spec, written from the table the validator reads (lib/spec/spec-shape.ts):
// the committed file is what `npm run schema` writes now, every example points at it, and the schema and
// parseSpec agree on every example and on hostile specs (wrong types, unknown keys, bad names, huge values).
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { specJsonSchema } from '../../lib/spec/spec-schema.js';
import { parseSpec } from '../../lib/spec/validate.js';

const schemaFile = new URL('../../schema/rolemodel.schema.json', import.meta.url);
const examplesDir = new URL('../../examples/', import.meta.url);
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
const reference = JSON.parse(readFileSync(new URL('reference.json', examplesDir), 'utf8')) as Record<string, any>;

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);

function validatorAccepts(spec: unknown): boolean {
  try {
    parseSpec(spec);
    return true;
  } catch {
    return false;
  }
}

describe('schema/rolemodel.schema.json', () => {
  it('is what npm run schema writes now (run it after changing lib/spec/spec-shape.ts)', () => {
    expect(JSON.parse(readFileSync(schemaFile, 'utf8'))).toEqual(specJsonSchema());
  });

  it.each(examples)('examples/%s points at it, and both accept it', (file) => {
    const spec = JSON.parse(readFileSync(new URL(file, examplesDir), 'utf8')) as Record<string, unknown>;
    expect(spec.$schema).toBe('../schema/rolemodel.schema.json');
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
    expect(validatorAccepts(spec)).toBe(true);
  });

  const db = (s: Record<string, any>) => s.databases[0];
  const hostile: [string, (s: Record<string, any>) => void][] = [
    // wrong types
    ['cluster a number', (s) => (s.cluster = 42)],
    ['databases an object', (s) => (s.databases = {})],
    ['databases empty', (s) => (s.databases = [])],
    ['a database a string', (s) => (s.databases = ['my-pg-db'])],
    ['schemas a string', (s) => (db(s).schemas = 'my-pg-db-schema')],
    ['schemas empty', (s) => (db(s).schemas = [])],
    ['iam a string', (s) => (db(s).roles.app.iam = 'yes')],
    ['adopt null', (s) => (s.admin.adopt = null)],
    ['connectionLimit a string', (s) => (db(s).roles.app.connectionLimit = '100')],
    ['connectionLimit a fraction', (s) => (db(s).roles.app.connectionLimit = 1.5)],
    ['guardrails an array', (s) => (db(s).roles.app.guardrails = [])],
    ['searchPath empty', (s) => (db(s).roles.migrator.guardrails.searchPath = [])],
    ['a duration a number', (s) => (db(s).roles.firefighterRo.guardrails = { statementTimeout: 300 })],
    ['a duration with SQL', (s) => (db(s).roles.firefighterRo.guardrails = { statementTimeout: "5min'; RESET ALL; --" })],
    ['$schema a number', (s) => (s.$schema = 42)],
    ['$schema empty', (s) => (s.$schema = '')],
    ['keepConnect a string', (s) => (db(s).keepConnect = 'legacy_app')],
    ['extraRoles an object', (s) => (db(s).extraRoles = {})],
    // unknown keys and values
    ['an unknown key at the root', (s) => (s.firefighterLogin = 'per-person')],
    ['an unknown key in a role', (s) => (db(s).roles.app.password = 'hunter2')],
    ['an unknown slot', (s) => (db(s).roles.reporting = { name: 'my_pg_reporting' })],
    ['an unknown guardrail', (s) => (db(s).roles.app.guardrails = { statement_timeout: '1s' })],
    ['an unknown login mode', (s) => (s.firefighterLogins = 'per_person')],
    ['an unknown profile', (s) => (db(s).extraRoles = [{ name: 'x_reader', profile: 'admin', iam: true }])],
    ['a missing slot', (s) => delete db(s).roles.firefighterRw],
    ['a missing cluster', (s) => delete s.cluster],
    // bad names
    ['a role with pg_', (s) => (s.admin.name = 'pg_admin')],
    ['a role with RDS_', (s) => (s.admin.name = 'RDS_admin')],
    ['a reserved role, any case', (s) => (s.passwordBroker.name = 'PUBLIC')],
    ['the master as a role', (s) => (db(s).roles.owner.name = 'postgres')],
    ['a system database', (s) => (db(s).name = 'template1')],
    ['db_admin as a schema', (s) => (db(s).schemas = ['db_admin'])],
    ['a newline in a table-like name', (s) => (db(s).schemas = ["orders\nSELECT 'INJECTED'"])],
    ['a right-to-left override', (s) => (db(s).roles.app.name = 'app\u202eppa')],
    ['a zero width space', (s) => (db(s).name = 'my-pg\u200bdb')],
    ['a trailing space', (s) => (db(s).roles.owner.name = 'owner ')],
    ['an empty name', (s) => (s.admin.name = '')],
    ['a name of 64 characters', (s) => (s.admin.name = 'a'.repeat(64))],
    ['a cluster id with an underscore', (s) => (s.cluster = 'my_pg')],
    ['a duplicate schema', (s) => db(s).schemas.push('my-pg-db-schema')],
    ['a public search_path entry is fine', (s) => (db(s).roles.migrator.guardrails.searchPath = ['public'])],
    ['a pg_ prefix is fine for a database', (s) => (db(s).name = 'pg_stuff')],
    // huge values
    ['a connection limit of a million', (s) => (db(s).connectionLimit = 1_000_000)],
    ['a connection limit below -1', (s) => (db(s).roles.app.connectionLimit = -2)],
    ['a connection limit of 2^53', (s) => (db(s).roles.app.connectionLimit = 2 ** 53)],
    ['maxLogins of 10 000', (s) => ((s.firefighterLogins = 'per-person'), (db(s).roles.firefighterRw.maxLogins = 10_000))],
    ['maxLogins 0', (s) => ((s.firefighterLogins = 'per-person'), (db(s).roles.firefighterRw.maxLogins = 0))],
    ['a day of minutes plus one', (s) => (s.firefighterMinutesPerIncident = 1441)],
    ['a duration of ten digits', (s) => (db(s).roles.firefighterRo.guardrails = { statementTimeout: '1234567890s' })],
    ['a $schema of 10 000 characters', (s) => (s.$schema = 'x'.repeat(10_000))],
    ['a cluster id of 64 characters', (s) => (s.cluster = `a${'b'.repeat(63)}`)],
    ['valid: per-person with every option', (s) => ((s.firefighterLogins = 'per-person'), (s.firefighterMinutesPerIncident = 1440), (db(s).roles.firefighterRw.maxLogins = 1000), (db(s).readWriteApproval = true))],
  ];

  it.each(hostile)('agrees with parseSpec on %s', (_name, mutate) => {
    const spec = structuredClone(reference);
    mutate(spec);
    const schemaSays = validate(spec);
    expect(schemaSays, JSON.stringify(validate.errors)).toBe(validatorAccepts(spec));
  });

  it('refuses most hostile specs (the set is not all valid)', () => {
    const refused = hostile.filter(([, mutate]) => {
      const spec = structuredClone(reference);
      mutate(spec);
      return !validatorAccepts(spec);
    });
    expect(refused.length).toBe(hostile.length - 3);
  });
});
