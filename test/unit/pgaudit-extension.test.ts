// `CREATE EXTENSION pgaudit` per database (issue 20), as the master, in a schema of its own: where pgaudit is
// loaded and available; never into a schema the database's owner could have prepared; nothing elsewhere.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffPgauditExtension } from '../../lib/drift/checks/diff-pgaudit-extension.js';
import type { PgauditExtensionFacts } from '../../lib/drift/facts.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as { databases: { schemas: string[] }[] };
const db = resolveModel(parseSpec(reference)).databases[0]!;
const DB = 'my-pg-db';
const base: PgauditExtensionFacts = { loaded: true, available: true, installedIn: null, schemas: [] };

function diff(facts: PgauditExtensionFacts | undefined, database = db) {
  const { findings, steps } = diffPgauditExtension(database, facts);
  return { findings: findings.map((f) => `${f.code}: ${f.message}`), steps: steps.map((s) => `${s.manual ? '[manual] ' : ''}${s.sql}`) };
}

describe('the pgaudit extension', () => {
  it('loaded and available, not created: the master creates a schema of its own and the extension in it (old: nothing)', () => {
    expect(diff(base)).toEqual({
      findings: [`pgaudit-extension-missing: pgaudit is loaded but its extension is not created in "${DB}" (its event triggers name the objects of DDL statements)`],
      steps: [
        `GRANT CREATE ON DATABASE "${DB}" TO SESSION_USER`,
        'CREATE SCHEMA "pgaudit"',
        `REVOKE CREATE ON DATABASE "${DB}" FROM SESSION_USER`,
        'CREATE EXTENSION pgaudit SCHEMA "pgaudit"',
      ],
    });
    const steps = diffPgauditExtension(db, base).steps;
    // The schema and the extension as the master (no SET ROLE), inside the database; the owner lends CREATE on it.
    expect(steps.map((s) => [s.phase, s.database, s.runAs])).toEqual([
      ['database-objects', DB, 'my_pg_owner'], ['database-objects', DB, undefined], ['database-objects', DB, 'my_pg_owner'], ['database-objects', DB, undefined],
    ]);
  });

  it('an existing trusted pgaudit schema (the master\'s, from an earlier apply) is used, not created again', () => {
    expect(diff({ ...base, schemas: [{ name: 'pgaudit', owner: 'postgres', trusted: true }] }).steps).toEqual(['CREATE EXTENSION pgaudit SCHEMA "pgaudit"']);
  });

  it('a pgaudit schema the owner made (or may create in) is not installed into: a finding and a manual step only', () => {
    expect(diff({ ...base, schemas: [{ name: 'pgaudit', owner: 'my_pg_owner', trusted: false }] })).toEqual({
      findings: [`pgaudit-extension-missing: pgaudit is not created in "${DB}", and schema "pgaudit" exists, owned by my_pg_owner or open to others: the engine creates it only in a schema of the master's own; rename that schema, or create the extension yourself in a schema only the master controls`],
      steps: ['[manual] CREATE EXTENSION pgaudit SCHEMA <a schema only the master controls>'],
    });
    const claimed = resolveModel(parseSpec({ ...reference, databases: [{ ...reference.databases[0], schemas: ['my-pg-db-schema', 'pgaudit'] }] })).databases[0]!;
    expect(diff(base, claimed).steps).toEqual(['[manual] CREATE EXTENSION pgaudit SCHEMA <a schema only the master controls>']);
  });

  it('created in a trusted schema: in sync; in the owner\'s schema: reported, moved only by hand', () => {
    expect(diff({ ...base, installedIn: 'pgaudit', schemas: [{ name: 'pgaudit', owner: 'postgres', trusted: true }] })).toEqual({ findings: [], steps: [] });
    expect(diff({ ...base, installedIn: 'public', schemas: [{ name: 'public', owner: 'my_pg_owner', trusted: false }, { name: 'pgaudit', owner: 'postgres', trusted: true }] })).toEqual({
      findings: [`pgaudit-extension-schema: pgaudit in "${DB}" is in schema "public", owned by my_pg_owner or open to others: whoever controls it can replace pgaudit's SECURITY DEFINER functions; move it to a schema only the master controls`],
      steps: ['[manual] ALTER EXTENSION pgaudit SET SCHEMA "pgaudit"'],
    });
  });

  it.each<[string, PgauditExtensionFacts | undefined]>([
    ['not loaded', { ...base, loaded: false }],
    ['not available', { ...base, available: false }],
    ['the embedded server (neither)', { ...base, loaded: false, available: false }],
    ['not read', undefined],
  ])('%s: nothing is attempted', (_name, facts) => {
    expect(diff(facts)).toEqual({ findings: [], steps: [] });
  });
});
