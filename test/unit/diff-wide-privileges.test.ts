// Who runs each REVOKE of lib/drift/checks/diff-wide-privileges.ts: PostgreSQL revokes the grant of the grantor it picks
// for the session (the current role first), so the grantor runs it, revoking what it granted; only someone with
// USAGE on the schema can name the object. Facts in, exact SQL out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffWidePrivileges } from '../../lib/drift/checks/diff-wide-privileges.js';
import { type OtherGrantFacts } from '../../lib/drift/object-facts.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const spec = resolveModel(parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'))));
const db = spec.databases[0];
if (!db) throw new Error('reference spec has no database');

const grant = (over: Partial<OtherGrantFacts>): OtherGrantFacts => ({
  schema: 'reporting', objectClass: 'tables', name: 'daily', args: null, role: 'my_pg_firefighter_ro', privilege: 'DELETE',
  grantor: 'postgres', byApplier: true, grantorSettable: false, schemaUsable: true, grantorSchemaUsable: true, ...over,
});

describe('diffWidePrivileges: who revokes', () => {
  it.each([
    ['the master granted it', [grant({})], [['master', false, 'REVOKE DELETE ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    ['the owner role granted it', [grant({ grantor: 'my_pg_owner', byApplier: false })], [['my_pg_owner', false, 'REVOKE DELETE ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    ['a role the master cannot SET ROLE to granted it', [grant({ grantor: 'vendor', byApplier: false })], [['master', true, 'REVOKE DELETE ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    // Old code: run as the master, where PostgreSQL picks the master or a role it inherits as the grantor.
    ['a role the master may SET ROLE to granted it', [grant({ grantor: 'legacy', byApplier: false, grantorSettable: true, schemaUsable: false })],
      [['legacy', false, 'REVOKE DELETE ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
    ['two grantors, two privileges', [grant({}), grant({ privilege: 'SELECT' }), grant({ name: 'weekly' }), grant({ grantor: 'legacy', byApplier: false, grantorSettable: true })], [
      ['master', false, 'REVOKE DELETE, SELECT ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro";\nREVOKE DELETE ON TABLE "reporting"."weekly" FROM "my_pg_firefighter_ro"'],
      ['legacy', false, 'REVOKE DELETE ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"'],
    ]],
    ['in public, where the master has no USAGE', [grant({ schema: 'public', schemaUsable: false })], [
      ['my_pg_owner', false, 'GRANT USAGE ON SCHEMA public TO SESSION_USER'],
      ['master', false, 'REVOKE DELETE ON TABLE "public"."daily" FROM "my_pg_firefighter_ro"'],
      ['my_pg_owner', false, 'REVOKE USAGE ON SCHEMA public FROM SESSION_USER'],
    ]],
    ['in public, where the grantor has no USAGE', [grant({ schema: 'public', grantor: 'legacy', byApplier: false, grantorSettable: true, grantorSchemaUsable: false })], [
      ['my_pg_owner', false, 'GRANT USAGE ON SCHEMA public TO "legacy"'],
      ['legacy', false, 'REVOKE DELETE ON TABLE "public"."daily" FROM "my_pg_firefighter_ro"'],
      ['my_pg_owner', false, 'REVOKE USAGE ON SCHEMA public FROM "legacy"'],
    ]],
    ['in another schema where the master has no USAGE', [grant({ schemaUsable: false })], [['master', true, 'REVOKE DELETE ON TABLE "reporting"."daily" FROM "my_pg_firefighter_ro"']]],
  ])('%s', (_name, g, want) => {
    const { steps } = diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: g });
    expect(steps.map((s) => [s.runAs ?? 'master', s.manual === true, s.sql])).toEqual(want);
  });

  it('a manual step says whom to run it as', () => {
    const { steps, findings } = diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: [grant({ grantor: 'vendor', byApplier: false })] });
    expect(steps[0]?.reason).toBe('granted by vendor, whom the applying user cannot SET ROLE to: run it as vendor');
    expect(findings.map((f) => f.objects)).toEqual([['"reporting"."daily"']]);
    const noUsage = diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: [grant({ grantor: 'legacy', byApplier: false, grantorSettable: true, grantorSchemaUsable: false })] });
    expect(noUsage.steps.map((s) => [s.manual, s.reason])).toEqual([[true, 'legacy has no USAGE on schema "reporting": let the schema\'s owner grant legacy USAGE there, run it as legacy, and revoke that USAGE again']]);
  });

  it('grants to roles the spec does not manage are not its business', () => {
    expect(diffWidePrivileges(spec, db, { columnGrants: [], otherGrants: [grant({ role: 'legacy_app' })] })).toEqual({ findings: [], steps: [] });
  });
});
