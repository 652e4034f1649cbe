// Which findings a managed superuser's presence withholds (lib/drift/checks/privileged-roles.ts): decided by the kind
// of finding and the roles it is about, never by its message text.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../lib/plan/plan-types.js';
import { withPrivilegedFindings, type PrivilegedRoles } from '../../lib/drift/checks/privileged-roles.js';

const SU = 'my_pg_firefighter_ro';
const privileged: PrivilegedRoles = {
  findings: [{ code: 'role-privileged-attribute', subject: SU, message: `${SU} is SUPERUSER` }],
  steps: [],
  superusers: new Set([SU]),
};
const routine = 'db_admin.firefighter_status()';

describe('withPrivilegedFindings', () => {
  it.each<[string, Finding, boolean]>([
    ['a privilege finding about the superuser, reworded so its message no longer names it',
      { code: 'tables-privilege-extra', database: 'd', subject: SU, message: 'has DELETE on 3 of 3 tables' }, false],
    ['a membership finding about the superuser', { code: 'membership-extra', subject: SU, message: 'is a member of x' }, false],
    ['a db_admin routine finding about the superuser only, whose message does not name it',
      { code: 'db-admin-execute-extra', database: 'd', subject: routine, roles: [SU], message: `1 role may EXECUTE ${routine}` }, false],
    ['a db_admin routine finding that also names another role',
      { code: 'db-admin-execute-extra', database: 'd', subject: routine, roles: [SU, 'my_pg_app'], message: `${SU}, my_pg_app may EXECUTE ${routine}` }, true],
    ['a db_admin table finding that also names another role',
      { code: 'db-admin-table-access', database: 'd', subject: `${SU}, my_pg_app`, roles: [SU, 'my_pg_app'], message: `${SU}, my_pg_app can access tables in db_admin` }, true],
    ['a database finding whose message names the superuser',
      { code: 'database-owner', database: 'd', subject: 'd', message: `database "d" is owned by ${SU}, expected my_pg_owner` }, true],
    ['a schema finding about a schema named like the superuser',
      { code: 'schema-owner', database: 'd', subject: SU, message: `schema "${SU}" is owned by x, expected my_pg_owner` }, true],
    ['a grant-option finding about the superuser (a kind added after this filter was written)',
      { code: 'grant-option', database: 'd', subject: SU, message: 'holds SELECT WITH GRANT OPTION on 1 object(s)' }, false],
    ['a db_admin finding about db_admin itself', { code: 'db-admin-version', database: 'd', subject: 'db_admin', message: `missing ${SU}` }, true],
    ['an unmanaged login\'s warning', { code: 'unmanaged-role-loses-privileges', database: 'd', subject: SU, message: 'will lose' }, true],
    ['a privilege finding about another role', { code: 'tables-privilege-extra', database: 'd', subject: 'my_pg_app', message: `my_pg_app has DELETE` }, true],
  ])('%s: kept %s', (_, finding, kept) => {
    const out = withPrivilegedFindings(privileged, [finding]);
    expect(out[0]).toBe(privileged.findings[0]);
    expect(out.slice(1)).toEqual(kept ? [finding] : []);
  });
});
