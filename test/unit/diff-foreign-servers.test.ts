// Who runs each REVOKE of lib/drift/checks/diff-foreign-servers.ts and what it names: the grantor (PostgreSQL revokes the
// grant of the grantor it picks for the session), a manual step naming a grantor the master cannot SET ROLE to,
// CASCADE only where an option was passed on; the owner, admin and roles outside the model are left alone.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffForeignServers, foreignServerWarnings } from '../../lib/drift/checks/diff-foreign-servers.js';
import { type ForeignGrantFacts } from '../../lib/drift/object-facts.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const spec = resolveModel(parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'))));
const db = spec.databases[0];
if (!db) throw new Error('reference spec has no database');

const grant = (over: Partial<ForeignGrantFacts>): ForeignGrantFacts => ({
  objectClass: 'server', name: 'reporting', role: 'my_pg_firefighter_ro', privilege: 'USAGE', grantable: false,
  grantor: 'postgres', byApplier: true, grantorSettable: false, passedOn: [], ...over,
});
const sqlOf = (g: ForeignGrantFacts[]) => diffForeignServers(spec, db, g).steps.map((s) => [s.runAs ?? 'master', s.manual === true, s.sql]);

describe('diffForeignServers', () => {
  it.each([
    ['the master granted it to PUBLIC and a role', [grant({ role: 'PUBLIC' }), grant({})], [['master', false, 'REVOKE USAGE ON FOREIGN SERVER "reporting" FROM PUBLIC, "my_pg_firefighter_ro"']]],
    ['a wrapper', [grant({ objectClass: 'wrapper', name: 'postgres_fdw' })], [['master', false, 'REVOKE USAGE ON FOREIGN DATA WRAPPER "postgres_fdw" FROM "my_pg_firefighter_ro"']]],
    ['a role the master may SET ROLE to granted it', [grant({ grantor: 'vendor', byApplier: false, grantorSettable: true })],
      [['vendor', false, 'REVOKE USAGE ON FOREIGN SERVER "reporting" FROM "my_pg_firefighter_ro"']]],
    ['a role the master cannot SET ROLE to granted it', [grant({ grantor: 'vendor', byApplier: false })], [['master', true, 'REVOKE USAGE ON FOREIGN SERVER "reporting" FROM "my_pg_firefighter_ro"']]],
    ['the option was passed on (the grant made from it goes with the CASCADE)', [
      grant({ role: 'my_pg_app', grantable: true, passedOn: ['my_pg_firefighter_rw', 'legacy_app'] }),
      grant({ role: 'my_pg_firefighter_rw', grantor: 'my_pg_app', byApplier: false }),
    ], [['master', false, 'REVOKE USAGE ON FOREIGN SERVER "reporting" FROM "my_pg_app" CASCADE']]],
    ['the owner, admin and an unmanaged role hold it', [grant({ role: 'my_pg_owner' }), grant({ role: 'my_pg_admin' }), grant({ role: 'legacy_app' })], []],
  ])('%s', (_, grants, steps) => {
    expect(sqlOf(grants)).toEqual(steps);
  });

  it('names the grantor a human must act as, and every grantee in one finding per server', () => {
    const r = diffForeignServers(spec, db, [grant({ role: 'PUBLIC' }), grant({ grantor: 'vendor', byApplier: false, grantable: true })]);
    expect(r.findings.map((f) => [f.code, f.subject, f.roles])).toEqual([['server-usage', 'reporting', ['PUBLIC', 'my_pg_firefighter_ro']]]);
    expect(r.findings[0]?.message).toMatch(/^USAGE on foreign server "reporting" is granted to PUBLIC by postgres; to my_pg_firefighter_ro \(WITH GRANT OPTION\) by vendor;/);
    expect(r.steps.find((s) => s.manual)?.reason).toBe('granted by vendor, whom the applying user cannot SET ROLE to: run it as vendor');
  });

  it('warns about roles outside the model that lose what was passed on', () => {
    expect(foreignServerWarnings(spec, db, [grant({ grantable: true, passedOn: ['legacy_app', 'my_pg_app'] })]).map((w) => [w.subject, w.message])).toEqual([
      ['legacy_app', 'legacy_app will lose 1 grant(s) in "my-pg-db" made from grant options the model does not give (REVOKE ... CASCADE): USAGE on foreign server "reporting" (granted by my_pg_firefighter_ro)'],
    ]);
  });

  it('refuses a privilege name it would splice into SQL', () => {
    expect(() => diffForeignServers(spec, db, [grant({ privilege: 'USAGE; DROP' })])).toThrow(/unexpected privilege name/);
  });
});
