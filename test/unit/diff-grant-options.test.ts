// lib/drift/checks/diff-grant-options.ts: facts in, findings and exact SQL out. Who runs each REVOKE GRANT OPTION, what
// CASCADE takes along (chains of passed-on options, column grants under a table's option), what the owner gives back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cascadedGrants, diffGrantOptions } from '../../lib/drift/checks/diff-grant-options.js';
import { type GrantOptionFacts, type HeldOption, type Regrant } from '../../lib/drift/object-facts.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const spec = resolveModel(parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'))));
const db = spec.databases[0];
if (!db) throw new Error('reference spec has no database');
const APP = 'my_pg_app';
const RO = 'my_pg_firefighter_ro';

const option = (over: Partial<HeldOption>): HeldOption => ({
  objectClass: 'table', key: 'c1', schema: 'my-pg-db-schema', listed: true, name: 'orders', args: null, column: null,
  role: APP, privilege: 'SELECT', grantor: 'my_pg_owner', byApplier: false, grantorSettable: true, schemaUsable: false, grantorSchemaUsable: true,
  byOwner: false, objectOwner: 'my_pg_owner', member: false, ...over,
});
const regrant = (over: Partial<Regrant>): Regrant => ({
  key: 'c1', column: null, grantor: APP, grantee: 'legacy', privilege: 'SELECT', grantable: false,
  byApplier: false, grantorSettable: false, schemaUsable: false, grantorSchemaUsable: true, ...over,
});
const facts = (over: Partial<GrantOptionFacts>): GrantOptionFacts => ({ applier: 'postgres', options: [], regrants: [], defaults: [], orphans: [], ...over });
const sqlOf = (f: GrantOptionFacts) => diffGrantOptions(spec, db, f).steps.map((s) => [s.runAs ?? 'master', s.manual === true, s.sql]);

describe('diffGrantOptions', () => {
  it('names up to 10 objects in the message, every one in objects, and revokes them in one statement', () => {
    const options = Array.from({ length: 12 }, (_, i) => option({ key: `c${i}`, name: `t${String(i).padStart(2, '0')}` }));
    const { findings, steps } = diffGrantOptions(spec, db, facts({ options }));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.code).toBe('grant-option');
    expect(findings[0]?.objects).toHaveLength(12);
    expect(findings[0]?.message).toMatch(/^my_pg_app holds SELECT WITH GRANT OPTION on 12 object\(s\) in "my-pg-db" and may pass it on to anyone: TABLE "my-pg-db-schema"."t00", .*TABLE "my-pg-db-schema"."t09" and 2 more$/);
    expect(steps.map((s) => [s.runAs, s.sql])).toEqual([
      ['my_pg_owner', `REVOKE GRANT OPTION FOR SELECT ON TABLE ${options.map((o) => `"my-pg-db-schema"."${o.name ?? ''}"`).join(', ')} FROM "my_pg_app" CASCADE`],
    ]);
  });

  it('follows options passed on; the column grants made from a table option go too, each revoked by its grantor first', () => {
    const regrants = [
      regrant({ grantee: 'legacy', grantable: true }), regrant({ grantor: 'legacy', grantee: 'two' }),
      regrant({ grantee: 'cols', column: 'status' }), regrant({ grantee: 'other', privilege: 'INSERT' }), regrant({ key: 'c2', grantee: 'elsewhere' }),
    ];
    expect(cascadedGrants(option({}), regrants).map((r) => r.grantee)).toEqual(['legacy', 'cols', 'two']);
    expect(cascadedGrants(option({ objectClass: 'column', column: 'id' }), regrants).map((r) => r.grantee)).toEqual([]);
    expect(cascadedGrants(option({ objectClass: 'column', column: 'status' }), regrants).map((r) => r.grantee)).toEqual(['cols']);
    // A table's REVOKE GRANT OPTION ... CASCADE leaves column grants: the app (borrowed, the master cannot SET ROLE to
    // it) revokes its own first; one made by legacy (an unmanaged login) is for a human.
    const withColumns = [...regrants, regrant({ grantor: 'legacy', grantee: 'deep', column: 'id' })];
    expect(sqlOf(facts({ options: [option({})], regrants: withColumns }))).toEqual([
      ['master', true, `REVOKE SELECT ("id") ON TABLE "my-pg-db-schema"."orders" FROM "deep" CASCADE`],
      ['master', false, `GRANT "${APP}" TO CURRENT_USER`],
      [APP, false, `REVOKE SELECT ("status") ON TABLE "my-pg-db-schema"."orders" FROM "cols" CASCADE`],
      ['master', false, `REVOKE "${APP}" FROM CURRENT_USER`],
      ['my_pg_owner', false, `REVOKE GRANT OPTION FOR SELECT ON TABLE "my-pg-db-schema"."orders" FROM "${APP}" CASCADE`],
    ]);
  });

  it('reports a column grant whose grantor no longer holds the option, with the statement for a human', () => {
    const orphans = [{ schema: 'my-pg-db-schema', name: 'orders', column: 'status', grantor: APP, grantee: 'legacy', privilege: 'SELECT' }];
    const r = diffGrantOptions(spec, db, facts({ orphans }));
    expect(r.findings.map((f) => [f.code, f.message])).toEqual([['column-grant-orphan',
      `legacy has SELECT on TABLE "my-pg-db-schema"."orders" ("status"), granted by ${APP}, which no longer holds SELECT WITH GRANT OPTION there`]]);
    expect(sqlOf(facts({ orphans }))).toEqual([['master', true, 'REVOKE SELECT ("status") ON TABLE "my-pg-db-schema"."orders" FROM "legacy" CASCADE']]);
  });

  it('names what CASCADE takes in the reason, and gives a managed role back from the owner what the model wants', () => {
    const f = facts({ options: [option({})], regrants: [regrant({}), regrant({ grantee: RO })] });
    const { steps } = diffGrantOptions(spec, db, f);
    expect(steps[0]?.reason).toContain(`CASCADE also revokes the grants made from them: legacy SELECT on TABLE "my-pg-db-schema"."orders" (granted by ${APP}), ${RO} SELECT on TABLE "my-pg-db-schema"."orders" (granted by ${APP})`);
    expect(sqlOf(f).slice(1)).toEqual([['my_pg_owner', false, `GRANT SELECT ON TABLE "my-pg-db-schema"."orders" TO "${RO}"`]]);
    // Outside the listed schemas the model gives nothing back.
    expect(sqlOf(facts({ options: [option({ listed: false, schema: 'reporting' })], regrants: [regrant({ grantee: RO })] }))).toHaveLength(1);
  });

  it('runs as the grantor the applying user may act for, or prints the statement for a human', () => {
    expect(sqlOf(facts({ options: [option({ grantor: 'postgres', byApplier: true, schemaUsable: true, listed: false, schema: 'reporting', name: 'daily' })] })))
      .toEqual([['master', false, 'REVOKE GRANT OPTION FOR SELECT ON TABLE "reporting"."daily" FROM "my_pg_app" CASCADE']]);
    expect(sqlOf(facts({ options: [option({ grantor: 'vendor', grantorSettable: false, listed: false, schema: 'reporting', name: 'daily' })] })))
      .toEqual([['master', true, 'REVOKE GRANT OPTION FOR SELECT ON TABLE "reporting"."daily" FROM "my_pg_app" CASCADE']]);
    expect(sqlOf(facts({ options: [option({ objectClass: 'database', key: 'd1', schema: null, listed: false, name: 'my-pg-db', privilege: 'CONNECT' })] })))
      .toEqual([['my_pg_owner', false, 'REVOKE GRANT OPTION FOR CONNECT ON DATABASE "my-pg-db" FROM "my_pg_app" CASCADE']]);
    expect(sqlOf(facts({ options: [option({ objectClass: 'column', column: 'status' })] })))
      .toEqual([['my_pg_owner', false, 'REVOKE GRANT OPTION FOR SELECT ("status") ON TABLE "my-pg-db-schema"."orders" FROM "my_pg_app" CASCADE']]);
  });

  it('granted by the owner of an object apply hands to the owner role: revoked by the owner role after the handover', () => {
    const handed = option({ grantor: 'my_pg_migrator', grantorSettable: false, byOwner: true });
    const r = diffGrantOptions(spec, db, facts({ options: [handed] }));
    expect(r.steps).toEqual([]);
    expect(r.afterHandover.map((s) => [s.runAs, s.sql])).toEqual([['my_pg_owner', 'REVOKE GRANT OPTION FOR SELECT ON TABLE "my-pg-db-schema"."orders" FROM "my_pg_app" CASCADE']]);
    // An extension member keeps its owner; outside the listed schemas nothing is handed over: a human runs those.
    expect(sqlOf(facts({ options: [{ ...handed, member: true }] }))).toEqual([['master', true, 'REVOKE GRANT OPTION FOR SELECT ON TABLE "my-pg-db-schema"."orders" FROM "my_pg_app" CASCADE']]);
    expect(sqlOf(facts({ options: [{ ...handed, listed: false }] }))[0]?.[1]).toBe(true);
  });

  it('default privileges: the owner\'s own, another role\'s the master acts for, and one it cannot', () => {
    const d = { schema: 'my-pg-db-schema', objectType: 'r', grantee: APP, privilege: 'SELECT', usable: true };
    const f = facts({ defaults: [{ ...d, role: 'my_pg_owner' }, { ...d, role: 'postgres', schema: null }, { ...d, role: 'vendor', usable: false, objectType: 'S', privilege: 'USAGE' }] });
    expect(sqlOf(f)).toEqual([
      ['my_pg_owner', false, 'ALTER DEFAULT PRIVILEGES IN SCHEMA "my-pg-db-schema" REVOKE GRANT OPTION FOR SELECT ON TABLES FROM "my_pg_app" CASCADE'],
      ['master', false, 'ALTER DEFAULT PRIVILEGES FOR ROLE "postgres" REVOKE GRANT OPTION FOR SELECT ON TABLES FROM "my_pg_app" CASCADE'],
      ['master', true, 'ALTER DEFAULT PRIVILEGES FOR ROLE "vendor" IN SCHEMA "my-pg-db-schema" REVOKE GRANT OPTION FOR USAGE ON SEQUENCES FROM "my_pg_app" CASCADE'],
    ]);
    expect(diffGrantOptions(spec, db, f).findings.map((x) => x.message)).toContain('future tables created by postgres anywhere will give my_pg_app SELECT WITH GRANT OPTION');
  });

  it('refuses a privilege name that is not the catalog\'s', () => {
    expect(() => diffGrantOptions(spec, db, facts({ options: [option({ privilege: 'SELECT; DROP' })] }))).toThrow(/unexpected privilege name/);
  });
});
