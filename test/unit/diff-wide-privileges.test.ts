// Who runs each REVOKE of lib/core/diff-wide-privileges.ts: only the grantor (or a member of it) can revoke a
// grant, and only someone with USAGE on the schema can name the object. Facts in, exact SQL out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffWidePrivileges, type OtherGrantFacts } from '../../lib/core/diff-wide-privileges.js';
import { parseSpec } from '../../lib/core/validate.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const db = spec.databases[0];
if (!db) throw new Error('reference spec has no database');

const grant = (over: Partial<OtherGrantFacts>): OtherGrantFacts => ({
  schema: 'reporting', objectClass: 'tables', name: 'daily', args: null, role: 'my_pg_firefighter_ro', privilege: 'DELETE',
  grantor: 'postgres', grantorUsable: true, schemaUsable: true, ...over,
});

describe('diffWidePrivileges: who revokes', () => {
  it.each([
    ['the master granted it', grant({}), [['master', false, 'REVOKE ALL ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    ['the owner role granted it', grant({ grantor: 'my_pg_owner', grantorUsable: false }), [['my_pg_owner', false, 'REVOKE ALL ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    ['a role the master cannot act for granted it', grant({ grantor: 'vendor', grantorUsable: false }), [['master', true, 'REVOKE ALL ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    ['in public, where the master has no USAGE', grant({ schema: 'public', schemaUsable: false }), [
      ['my_pg_owner', false, 'GRANT USAGE ON SCHEMA public TO SESSION_USER'],
      ['master', false, 'REVOKE ALL ON TABLE "public"."daily" FROM "my_pg_firefighter_ro"'],
      ['my_pg_owner', false, 'REVOKE USAGE ON SCHEMA public FROM SESSION_USER'],
    ]],
    ['in another schema where the master has no USAGE', grant({ schemaUsable: false }), [['master', true, 'REVOKE ALL ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
  ])('%s', (_name, g, want) => {
    const { steps } = diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: [g] });
    expect(steps.map((s) => [s.runAs ?? 'master', s.manual === true, s.sql])).toEqual(want);
  });

  it('a manual step says whom to run it as', () => {
    const { steps, findings } = diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: [grant({ grantor: 'vendor', grantorUsable: false })] });
    expect(steps[0]?.reason).toBe('granted by vendor, whom the applying user cannot act for: run it as vendor (or a member of it)');
    expect(findings.map((f) => f.objects)).toEqual([['"reporting"."daily"']]);
  });

  it('grants to roles the spec does not manage are not its business', () => {
    expect(diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: [grant({ role: 'legacy_app' })] })).toEqual({ findings: [], steps: [] });
  });
});
