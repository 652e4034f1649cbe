// What lib/drift/checks/diff-owned-outside.ts reports and the manual step it gives: one finding per role (the owner role
// is never named), schemas handed over before their objects, the membership borrowed INHERIT-only on 16+, USAGE
// lent on the role's schemas and on public when the role lacks it, and a note for a schema someone else owns.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffOwnedOutside } from '../../lib/drift/checks/diff-owned-outside.js';
import { type OwnedOutsideFacts } from '../../lib/drift/object-facts.js';
import { parseSpec } from '../../lib/spec/validate.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const db = spec.databases[0];
if (!db) throw new Error('reference spec has no database');

const row = (over: Partial<OwnedOutsideFacts>): OwnedOutsideFacts => ({
  role: 'my_pg_app', kind: 'TABLE', schema: 'public', name: 'app_cache', args: null, schemaUsable: true, ...over,
});

describe('diffOwnedOutside', () => {
  it('says nothing about the owner role', () => {
    expect(diffOwnedOutside(db, 17, [row({ role: 'my_pg_owner', kind: 'SCHEMA', schema: 'scratch', name: null })])).toEqual({ findings: [], steps: [] });
  });

  it('one finding and one manual step per role; on 15 the membership is a plain one', () => {
    const { findings, steps } = diffOwnedOutside(db, 15, [
      row({ kind: 'ROUTINE', schema: 'legacy', name: 'f', args: 'integer, text' }),
      row({ role: 'my_pg_migrator', schemaUsable: false }),
    ]);
    expect(findings.map((f) => [f.subject, f.objects])).toEqual([['my_pg_app', ['"legacy"."f"(integer, text)']], ['my_pg_migrator', ['"public"."app_cache"']]]);
    expect(steps.map((s) => [s.manual, s.sql.split(';\n')])).toEqual([
      [true, ['GRANT "my_pg_app" TO CURRENT_USER', 'ALTER ROUTINE "legacy"."f"(integer, text) OWNER TO "my_pg_owner"', 'REVOKE "my_pg_app" FROM CURRENT_USER']],
      [true, ['GRANT "my_pg_migrator" TO CURRENT_USER', 'SET ROLE "my_pg_owner"', 'GRANT USAGE ON SCHEMA "public" TO SESSION_USER', 'RESET ROLE',
        'ALTER TABLE "public"."app_cache" OWNER TO "my_pg_owner"', 'SET ROLE "my_pg_owner"', 'REVOKE USAGE ON SCHEMA "public" FROM SESSION_USER', 'RESET ROLE',
        'REVOKE "my_pg_migrator" FROM CURRENT_USER']],
    ]);
    // legacy is someone else's schema: the owner role needs CREATE there before it can own the routine.
    expect(steps[0]?.reason).toMatch(/my_pg_owner needs CREATE on schema "legacy" \(and the applying user USAGE\) first: ask its owner$/);
    expect(steps[1]?.reason).not.toMatch(/needs CREATE/);
  });

  it('names ten objects in the message and every one in objects', () => {
    const rows = Array.from({ length: 12 }, (_, i) => row({ name: `t${String(i).padStart(2, '0')}` }));
    const [finding] = diffOwnedOutside(db, 17, rows).findings;
    expect(finding?.objects).toHaveLength(12);
    expect(finding?.message).toMatch(/^my_pg_app owns 12 object\(s\) outside the listed schemas: "public"."t00", .*"public"."t09" and 2 more; /);
  });
});
