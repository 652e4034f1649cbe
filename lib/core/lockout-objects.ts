// No silent lockout, object by object (issue 10.2, named per 10.5): apply leaves PUBLIC nothing in the
// application schemas and takes CREATE (and by default USAGE) on schema public from it. An unmanaged login that
// reached an object only through PUBLIC loses it; plan and apply name the login and the objects first.
// Facts from sql/inspect-public-reliance.sql.
import { nameList, type Finding } from './plan-types.js';
import type { DatabaseSpec } from './spec.js';

export interface PublicRelianceFacts {
  readonly role: string;
  readonly objectClass: 'schema' | 'tables' | 'sequences' | 'columns' | 'routines';
  readonly privilege: string;
  /** Schema-qualified names (a column as `"s".t (c)`). */
  readonly names: readonly string[];
}

/** The privileges apply revokes from PUBLIC on schema public (see diff-database.ts, "Schema public"). */
export function publicSchemaRevokes(db: DatabaseSpec): string[] {
  return db.revokePublicSchemaUsage === false ? ['CREATE'] : ['CREATE', 'USAGE'];
}

export function publicRelianceWarnings(db: DatabaseSpec, facts: readonly PublicRelianceFacts[]): Finding[] {
  const byRole = new Map<string, PublicRelianceFacts[]>();
  for (const f of facts) byRole.set(f.role, [...(byRole.get(f.role) ?? []), f]);
  return [...byRole].map(([role, rows]) => {
    const parts = rows.map((r) => r.objectClass === 'schema'
      ? `${r.privilege} on schema ${nameList(r.names)}`
      : `${r.privilege} on ${r.names.length} ${r.objectClass}: ${nameList(r.names)}`);
    return {
      code: 'unmanaged-role-loses-privileges', database: db.name, subject: role,
      objects: [...new Set(rows.flatMap((r) => r.names))],
      message: `unmanaged login ${role} will lose ${parts.join('; ')} in database "${db.name}" (it has them only through PUBLIC, which apply `
        + `revokes there); to keep any, grant it to ${role} explicitly (as ${db.roles.owner.name}) after apply`,
    };
  });
}
