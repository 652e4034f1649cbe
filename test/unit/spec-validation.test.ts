// Spec validation: every rule names the field at fault and says what to change.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSpec, SpecError } from '../../lib/spec/validate.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'));
const clone = () => structuredClone(reference);

function issuesOf(mutate: (spec: Record<string, any>) => void): string[] {
  const spec = clone();
  mutate(spec);
  try {
    parseSpec(spec);
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('parseSpec', () => {
  it('accepts both shipped examples unchanged', () => {
    expect(parseSpec(clone())).toEqual(reference);
    const two = JSON.parse(readFileSync(new URL('../../examples/two-databases.json', import.meta.url), 'utf8'));
    expect(parseSpec(two).databases.map((d) => d.name)).toEqual(['my-pg-db', 'other_pg_db']);
  });

  it.each<[string, (s: Record<string, any>) => void, string]>([
    ['identifier over 63 bytes', (s) => (s.databases[0].roles.app.name = 'a'.repeat(64)), 'databases[0].roles.app.name: "aaaaaaaaaaaaaaaaaaaa..." is 64 bytes; PostgreSQL truncates identifiers to 63 bytes, use a shorter name'],
    ['63 bytes counted in UTF-8', (s) => (s.databases[0].schemas[0] = 'é'.repeat(32)), 'databases[0].schemas[0]: "éééééééééééééééééééé..." is 64 bytes'],
    ['pg_ prefix', (s) => (s.admin.name = 'pg_admin'), 'admin.name: "pg_admin" starts with a reserved prefix (pg_ or rds_); choose another name'],
    ['rds_ prefix', (s) => (s.databases[0].roles.owner.name = 'rds_owner'), 'databases[0].roles.owner.name: "rds_owner" starts with a reserved prefix'],
    ['duplicate role', (s) => (s.databases[0].roles.app.name = 'my_pg_migrator'), 'databases[0].roles.app.name: role "my_pg_migrator" is already used by databases[0].roles.migrator.name'],
    ['duplicate database', (s) => s.databases.push(structuredClone(s.databases[0])), 'databases[1].name: database "my-pg-db" is already declared by databases[0]'],
    ['duplicate schema', (s) => s.databases[0].schemas.push('my-pg-db-schema'), 'databases[0].schemas[1]: duplicate schema "my-pg-db-schema"'],
    ['admin with rds_iam', (s) => (s.admin.iam = true), 'admin.iam: the master is a member of the admin role, so rds_iam on it would make Aurora refuse the master\'s password (PostgreSQL 15: membership is inheritance). Remove "iam"; log in as the admin with a password from a secret'],
    ['firefighter with rds_iam', (s) => (s.databases[0].roles.firefighterRw.iam = true), 'databases[0].roles.firefighterRw.iam: firefighter roles log in with a temporary password; rds_iam would bypass its expiry. Remove "iam"'],
    ['unknown key at the root', (s) => (s.clusterName = 'x'), 'clusterName: unknown key (did you mean "cluster"?); allowed keys are $schema, cluster, firefighterLogins, firefighterMinutesPerIncident, admin, passwordBroker, verifier, databases'],
    // "Did you mean" (issue 19.7; old: the key or value was named with no suggestion).
    ['a key one letter off', (s) => (s.firefighterLogin = 'per-person'), 'firefighterLogin: unknown key (did you mean "firefighterLogins"?)'],
    ['a key in another case', (s) => (s.databases[0].roles.app.ConnectionLimit = 3), 'databases[0].roles.app.ConnectionLimit: unknown key (did you mean "connectionLimit"?)'],
    ['a key in snake case', (s) => (s.databases[0].roles.app.guardrails.statement_timeout = '1s'), 'statement_timeout: unknown key (did you mean "statementTimeout"?)'],
    ['a slot name misspelt', (s) => ((s.databases[0].roles.firefighterRO = s.databases[0].roles.firefighterRo), delete s.databases[0].roles.firefighterRo), 'databases[0].roles.firefighterRO: unknown key (did you mean "firefighterRo"?)'],
    ['a value one letter off', (s) => (s.firefighterLogins = 'per_person'), 'firefighterLogins: must be "shared" or "per-person", got "per_person" (did you mean "per-person"?)'],
    ['a profile misspelt', (s) => (s.databases[0].extraRoles = [{ name: 'x_reader', profile: 'reed', iam: true }]), 'databases[0].extraRoles[0].profile: unknown profile "reed" (did you mean "read"?)'],
    ['a search_path schema misspelt', (s) => (s.databases[0].roles.app.guardrails.searchPath = ['my-pg-db-shema']), 'schema "my-pg-db-shema" is not one of this database\'s schemas (my-pg-db-schema) (did you mean "my-pg-db-schema"?)'],
    ['$schema must be a string', (s) => (s.$schema = 42), '$schema: must be the URL or path of a JSON Schema, got number 42'],
    ['verifier with a bad name', (s) => (s.verifier = { name: 'bad\u0000name', iam: 'yes' }), 'verifier.iam: must be true or false'],
    ['verifier sharing a name', (s) => (s.verifier = { name: 'my_pg_app' }), 'databases[0].roles.app.name: role "my_pg_app" is already used by verifier.name'],
    ['unknown key deep down', (s) => (s.databases[0].roles.app.guardrails.statement_timeout = '1s'), 'databases[0].roles.app.guardrails.statement_timeout: unknown key'],
    ['missing role', (s) => delete s.databases[0].roles.firefighterRo, 'databases[0].roles.firefighterRo: is required'],
    ['bad duration', (s) => (s.databases[0].roles.firefighterRo.guardrails.statementTimeout = '5 minutes; reset all'), 'databases[0].roles.firefighterRo.guardrails.statementTimeout: must be a duration such as "5min", "30s" or "500ms"'],
    ['search_path outside the database', (s) => (s.databases[0].roles.app.guardrails.searchPath = ['elsewhere']), 'databases[0].roles.app.guardrails.searchPath[0]: schema "elsewhere" is not one of this database\'s schemas (my-pg-db-schema)'],
    ['connection limit', (s) => (s.databases[0].roles.app.connectionLimit = 1.5), 'databases[0].roles.app.connectionLimit: must be an integer from -1 (no limit) to 100000, got number 1.5'],
    ['system database', (s) => (s.databases[0].name = 'postgres'), 'databases[0].name: "postgres" is a system database; manage your own database'],
    ['db_admin as an app schema', (s) => (s.databases[0].schemas = ['db_admin']), 'databases[0].schemas[0]: "db_admin" is managed separately'],
    ['reserved role', (s) => (s.passwordBroker.name = 'PUBLIC'), 'passwordBroker.name: "PUBLIC" is a reserved role name'],
    ['control character', (s) => (s.databases[0].roles.app.name = 'app\nx'), 'databases[0].roles.app.name: contains the invisible or control character U+000A at position 4'],
    ['zero-width space in a schema', (s) => (s.databases[0].schemas = ['my-pg-db\u200bschema']), 'databases[0].schemas[0]: contains the invisible or control character U+200B at position 9'],
    ['bidi mark in a database', (s) => (s.databases[0].name = 'my-pg\u061cdb'), 'databases[0].name: contains the invisible or control character U+061C at position 6'],
    ['byte order mark in a role', (s) => (s.admin.name = '\ufeffadmin'), 'admin.name: contains the invisible or control character U+FEFF at position 1'],
    ['line separator in a search path', (s) => (s.databases[0].roles.app.guardrails = { searchPath: ['a\u2028b'] }), 'databases[0].roles.app.guardrails.searchPath[0]: contains the invisible or control character U+2028 at position 2'],
    ['trailing space in a role', (s) => (s.databases[0].roles.owner.name = 'owner '), 'databases[0].roles.owner.name: starts or ends with white space; remove it'],
    ['leading space in a schema', (s) => (s.databases[0].schemas = [' s']), 'databases[0].schemas[0]: starts or ends with white space; remove it'],
    ['cluster identifier', (s) => (s.cluster = 'my_pg'), 'cluster: must be an Aurora cluster identifier'],
    ['wrong type', (s) => (s.databases[0].schemas = 'my-pg-db-schema'), 'databases[0].schemas: must be a non-empty array of schema names, got "my-pg-db-schema"'],
    ['login mode', (s) => (s.firefighterLogins = 'personal'), 'firefighterLogins: must be "shared" or "per-person", got "personal"'],
    ['approval without per-person', (s) => (s.databases[0].readWriteApproval = true), 'databases[0].readWriteApproval: needs "firefighterLogins": "per-person" at the top of the spec'],
    ['maxLogins without per-person', (s) => (s.databases[0].roles.firefighterRo.maxLogins = 3), 'databases[0].roles.firefighterRo.maxLogins: needs "firefighterLogins": "per-person"'],
    ['maxLogins on the app', (s) => ((s.firefighterLogins = 'per-person'), (s.databases[0].roles.app.maxLogins = 3)), 'databases[0].roles.app.maxLogins: unknown key'],
    ['maxLogins range', (s) => ((s.firefighterLogins = 'per-person'), (s.databases[0].roles.firefighterRw.maxLogins = 0)), 'databases[0].roles.firefighterRw.maxLogins: must be an integer from 1 to 1000, got number 0'],
    ['minutes per incident', (s) => ((s.firefighterLogins = 'per-person'), (s.firefighterMinutesPerIncident = 30)), 'firefighterMinutesPerIncident: must be an integer from 60 to 1440, got number 30'],
    ['no room for the login suffix', (s) => ((s.firefighterLogins = 'per-person'), (s.databases[0].roles.firefighterRo.name = 'f'.repeat(57))), `databases[0].roles.firefighterRo.name: "${'f'.repeat(57)}" is 57 bytes; per-person logins add 7 (e.g. _7f3a9c) and a role name holds 63, so use at most 56`],
  ])('%s', (_name, mutate, expected) => {
    expect(issuesOf(mutate).join('\n')).toContain(expected);
  });

  it('accepts per-person logins with their options', () => {
    const spec = clone();
    Object.assign(spec, { firefighterLogins: 'per-person', firefighterMinutesPerIncident: 480 });
    spec.databases[0].readWriteApproval = true;
    spec.databases[0].roles.firefighterRw.maxLogins = 4;
    expect(parseSpec(spec)).toEqual(spec);
  });

  it('reports every problem at once', () => {
    const issues = issuesOf((s) => {
      s.admin.name = 'pg_x';
      s.databases[0].roles.firefighterRo.iam = true;
      s.extra = 1;
    });
    expect(issues).toHaveLength(3);
  });

  it('suggests nothing when nothing is close', () => {
    expect(issuesOf((s) => (s.zzz = 1)).join('\n')).toContain('zzz: unknown key; allowed keys are');
    expect(issuesOf((s) => (s.firefighterLogins = 'everyone')).join('\n')).toContain('got "everyone"');
    expect(issuesOf((s) => (s.firefighterLogins = 'everyone')).join('\n')).not.toContain('did you mean');
  });

  it('rejects what is not an object', () => {
    expect(() => parseSpec(null)).toThrow('(root): must be an object, got null');
    expect(() => parseSpec([])).toThrow('(root): must be an object, got an array');
  });
});
