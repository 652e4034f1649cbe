// rolemodel init's pure core (lib/model/init-spec.ts): which schemas of an existing database it lists.
import { describe, expect, it } from 'vitest';
import { initSpec, type InitFacts } from '../../lib/model/init-spec.js';
import { parseSpec } from '../../lib/spec/validate.js';

const facts = (schemas: string[]): InitFacts => ({
  currentUser: 'postgres',
  database: 'shop',
  databaseConnectionLimit: -1,
  iamExists: true,
  schemas: [{ name: 'public', owner: 'postgres', objects: 0 }, ...schemas.map((name) => ({ name, owner: 'postgres', objects: 1 }))],
  owners: schemas.map((schema) => ({ owner: 'postgres', schema, objects: 1 })),
  roles: [{ name: 'postgres', login: true, superuser: false, connectionLimit: -1, iam: false, comment: null, connect: true }],
});

describe('rolemodel init: schemas', () => {
  it('lists schemas whose names are reserved only for roles (none, postgres, current_user), and the spec it writes validates', () => {
    const { spec, notes } = initSpec(facts(['app', 'none', 'postgres', 'current_user']), 'my-pg');
    expect(spec.databases[0]?.schemas).toEqual(['app', 'none', 'postgres', 'current_user']);
    expect(notes.join('\n')).not.toMatch(/left out/);
    expect(() => parseSpec(JSON.parse(JSON.stringify(spec)))).not.toThrow();
  });

  it('leaves out, with a note, a schema the role model cannot manage (a pg_ or rds_ prefix)', () => {
    const { spec, notes } = initSpec(facts(['app', 'rds_tools']), 'my-pg');
    expect(spec.databases[0]?.schemas).toEqual(['app']);
    expect(notes).toContain('schema "rds_tools" left out: its name cannot be managed; rename it to manage it');
  });
});
