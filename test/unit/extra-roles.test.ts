// Extra roles (issue 10.8): validation refuses anything that would reach DDL, TRUNCATE, ownership or db_admin,
// and each profile is one slot's privilege set, never a copy that could drift from it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publicRelianceWarnings, type PublicRelianceFacts } from '../../lib/plan/lockout-objects.js';
import { checkedRoles, managedRoles, OBJECT_GRANTS, PROFILE_GRANTS } from '../../lib/model/model.js';
import { parseSpec, SpecError } from '../../lib/spec/validate.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'));
const withExtra = (extraRoles: unknown) => {
  const spec = structuredClone(reference);
  spec.databases[0].extraRoles = extraRoles;
  return spec;
};
function issuesOf(extraRoles: unknown): string[] {
  try {
    parseSpec(withExtra(extraRoles));
  } catch (error) {
    if (error instanceof SpecError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('extra roles', () => {
  const valid = [
    { name: 'my_pg_reporting', profile: 'read', iam: true, connectionLimit: 5 },
    { name: 'team_payments', profile: 'write-delete', members: ['alice', 'bob'] },
    { name: 'team_empty', profile: 'write', members: [] },
  ];

  it('accepts a login with IAM and groups with members', () => {
    const spec = parseSpec(withExtra(valid));
    expect(managedRoles(spec).filter((r) => r.kind === 'extra').map((r) => [r.name, r.login, r.iam, r.connectionLimit, r.profile])).toEqual([
      ['my_pg_reporting', true, true, 5, 'read'], ['team_payments', false, false, -1, 'write-delete'], ['team_empty', false, false, -1, 'write'],
    ]);
    const db = spec.databases[0];
    if (!db) throw new Error('no database');
    expect(checkedRoles(spec, db).slice(-3)).toEqual([
      { name: 'my_pg_reporting', kind: 'firefighterRo' }, { name: 'team_payments', kind: 'firefighterRw' }, { name: 'team_empty', kind: 'app' },
    ]);
  });

  it('each profile is the very privilege set of a slot, and none holds TRUNCATE, REFERENCES, TRIGGER or MAINTAIN', () => {
    expect(OBJECT_GRANTS[PROFILE_GRANTS.read]).toBe(OBJECT_GRANTS.firefighterRo);
    expect(OBJECT_GRANTS[PROFILE_GRANTS.write]).toBe(OBJECT_GRANTS.app);
    expect(OBJECT_GRANTS[PROFILE_GRANTS['write-delete']]).toBe(OBJECT_GRANTS.firefighterRw);
    for (const p of Object.values(PROFILE_GRANTS)) {
      expect(OBJECT_GRANTS[p].tables.filter((x) => ['TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'].includes(x))).toEqual([]);
    }
  });

  it.each<[string, unknown, string]>([
    ['a profile that is not in the list', [{ name: 'x_ddl', profile: 'owner', iam: true }], 'databases[0].extraRoles[0].profile: unknown profile "owner"; use "read", "write" or "write-delete" (an extra role never gets DDL, TRUNCATE, ownership or db_admin)'],
    ['a privilege list instead of a profile', [{ name: 'x', profile: 'read', iam: true, privileges: ['TRUNCATE'] }], 'databases[0].extraRoles[0].privileges: unknown key; allowed keys are name, profile, adopt, iam, members, connectionLimit'],
    ['no profile', [{ name: 'x', iam: true }], 'databases[0].extraRoles[0].profile: is required'],
    ['login and members at once', [{ name: 'x', profile: 'read', iam: true, members: ['a'] }], 'databases[0].extraRoles[0].members: a role is either a login ("iam": true) or a group with members, not both; make a second role for the members'],
    ['neither login nor members', [{ name: 'x', profile: 'read' }], 'databases[0].extraRoles[0]: say how it is used: "iam": true for a login with an IAM token, or "members": [...] for a NOLOGIN group of existing roles'],
    ['a password login', [{ name: 'x', profile: 'read', iam: false }], 'databases[0].extraRoles[0]: say how it is used'],
    ['the owner as a member', [{ name: 'team', profile: 'read', members: ['my_pg_owner'] }], 'databases[0].extraRoles[0].members[0]: "my_pg_owner" is managed (databases[0].roles.owner.name); members are unmanaged roles'],
    ['admin as a member', [{ name: 'team', profile: 'read', members: ['my_pg_admin'] }], 'databases[0].extraRoles[0].members[0]: "my_pg_admin" is managed (admin.name)'],
    ['the migrator as a member', [{ name: 'team', profile: 'write', members: ['my_pg_migrator'] }], 'databases[0].extraRoles[0].members[0]: "my_pg_migrator" is managed (databases[0].roles.migrator.name)'],
    ['another extra role as a member', [{ name: 'a', profile: 'read', members: [] }, { name: 'b', profile: 'read', members: ['a'] }], 'databases[0].extraRoles[1].members[0]: "a" is managed (databases[0].extraRoles[0].name)'],
    ['a name a slot already uses', [{ name: 'my_pg_owner', profile: 'read', iam: true }], 'databases[0].extraRoles[0].name: role "my_pg_owner" is already used by databases[0].roles.owner.name; every managed role needs its own name'],
    ['a reserved prefix', [{ name: 'pg_team', profile: 'read', members: [] }], 'databases[0].extraRoles[0].name: "pg_team" starts with a reserved prefix (pg_ or rds_); choose another name'],
    ['a reserved member', [{ name: 'team', profile: 'read', members: ['rds_superuser'] }], 'databases[0].extraRoles[0].members[0]: "rds_superuser" starts with a reserved prefix'],
    ['the master as a member', [{ name: 'team', profile: 'read', members: ['postgres'] }], 'databases[0].extraRoles[0].members[0]: "postgres" is a reserved role name'],
    ['a duplicate member', [{ name: 'team', profile: 'read', members: ['a', 'a'] }], 'databases[0].extraRoles[0].members[1]: duplicate member "a"'],
    ['not an array', { name: 'team' }, 'databases[0].extraRoles: must be an array of roles'],
    ['guardrails on a group', [{ name: 'team', profile: 'read', members: [], guardrails: { statementTimeout: '1min' } }], 'databases[0].extraRoles[0].guardrails: only a login ("iam": true) has guardrails: settings of a group never reach its members\' sessions'],
    ['a guardrail that disables the timeout', [{ name: 'r', profile: 'read', iam: true, guardrails: { statementTimeout: '0' } }], 'databases[0].extraRoles[0].guardrails.statementTimeout: "0" disables the timeout'],
    ['a search_path outside the database', [{ name: 'r', profile: 'read', iam: true, guardrails: { searchPath: ['elsewhere'] } }], 'databases[0].extraRoles[0].guardrails.searchPath[0]: schema "elsewhere" is not one of this database\'s schemas (my-pg-db-schema)'],
  ])('refuses %s', (_, extraRoles, message) => {
    expect(issuesOf(extraRoles).join('\n')).toContain(message);
  });

  it('accepts examples/extra-roles.json, the README example', () => {
    const example = JSON.parse(readFileSync(new URL('../../examples/extra-roles.json', import.meta.url), 'utf8'));
    expect(parseSpec(example).databases[0]?.extraRoles?.map((x) => `${x.name}:${x.profile}`)).toEqual([
      'my_pg_reporting:read', 'my_pg_worker:write', 'my_pg_team_payments:read', 'my_pg_team_oncall_fixers:write-delete',
    ]);
  });

  it('refuses the same extra role name in two databases', () => {
    const two = JSON.parse(readFileSync(new URL('../../examples/two-databases.json', import.meta.url), 'utf8'));
    two.databases[0].extraRoles = [{ name: 'team', profile: 'read', members: [] }];
    two.databases[1].extraRoles = [{ name: 'team', profile: 'read', members: [] }];
    expect(() => parseSpec(two)).toThrow('databases[1].extraRoles[0].name: role "team" is already used by databases[0].extraRoles[0].name');
  });
});

describe('a listed member of a group and what it reaches only through PUBLIC', () => {
  const spec = parseSpec(withExtra([{ name: 'team_read', profile: 'read', members: ['alice'] }]));
  const db = spec.databases[0]!;
  const facts = (role: string): PublicRelianceFacts[] => [
    { role, objectClass: 'schema', privilege: 'USAGE', names: ['"my-pg-db-schema"', 'public'] },
    { role, objectClass: 'schema', privilege: 'CREATE', names: ['"my-pg-db-schema"'] },
    { role, objectClass: 'tables', privilege: 'SELECT', names: ['"my-pg-db-schema".t'] },
    { role, objectClass: 'tables', privilege: 'UPDATE', names: ['"my-pg-db-schema".t'] },
    { role, objectClass: 'columns', privilege: 'SELECT', names: ['"my-pg-db-schema".t (c)'] },
    { role, objectClass: 'sequences', privilege: 'SELECT', names: ['"my-pg-db-schema".s'] },
    { role, objectClass: 'routines', privilege: 'EXECUTE', names: ['"my-pg-db-schema".f()'] },
  ];

  it('keeps what the group\'s profile gives (read: schema USAGE, SELECT on tables, columns and sequences), loses the rest', () => {
    expect(publicRelianceWarnings(db, facts('alice')).map((w) => w.objects)).toEqual([[
      'public', '"my-pg-db-schema"', '"my-pg-db-schema".t', '"my-pg-db-schema".f()',
    ]]);
    expect(publicRelianceWarnings(db, facts('alice'))[0]?.message).toMatch(/^unmanaged login alice will lose USAGE on schema public; CREATE on schema "my-pg-db-schema"; UPDATE on 1 tables: "my-pg-db-schema".t; EXECUTE on 1 routines: /);
  });

  it('a login in no group loses everything', () => {
    expect(publicRelianceWarnings(db, facts('carol'))[0]?.objects).toHaveLength(6);
  });
});
