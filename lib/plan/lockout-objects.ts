// No silent lockout, object by object (issue 10.2, named per 10.5): apply leaves PUBLIC nothing in the
// application schemas and takes CREATE (and by default USAGE) on schema public from it. An unmanaged login that
// reached an object only through PUBLIC loses it (USAGE on foreign servers and wrappers too); plan and apply name the login and the objects first.
// Facts from sql/inspect-public-reliance.sql.
import { OBJECT_GRANTS, PROFILE_GRANTS } from '../model/model.js';
import { nameList, type Finding } from './plan-types.js';
import type { DatabaseSpec } from '../spec/spec.js';

export interface PublicRelianceFacts {
  readonly role: string;
  readonly objectClass: 'schema' | 'tables' | 'sequences' | 'columns' | 'routines' | 'foreign servers' | 'foreign data wrappers';
  readonly privilege: string;
  /** Schema-qualified names (a column as `"s".t (c)`). */
  readonly names: readonly string[];
}

/** The privileges apply revokes from PUBLIC on schema public (see diff-database.ts, "Schema public"). */
export function publicSchemaRevokes(db: DatabaseSpec): string[] {
  return db.revokePublicSchemaUsage === false ? ['CREATE'] : ['CREATE', 'USAGE'];
}

/**
 * What a login listed in the `members` of one of the database's extra-role groups keeps after apply: the group's
 * profile (granted to the group by apply, the membership too), as the lockout warning counts the group's CONNECT.
 * USAGE on every application schema; on their tables, sequences and routines the profile's privileges (a column
 * privilege is covered by the same privilege on the table). Nothing on schema public: apply grants no role there.
 */
function keptThroughGroups(db: DatabaseSpec, role: string, f: PublicRelianceFacts): readonly string[] {
  const groups = (db.extraRoles ?? []).filter((x) => x.members?.includes(role));
  if (groups.length === 0) return [];
  const kept = (privilege: string, cls: 'tables' | 'sequences' | 'routines') => groups.some((g) => OBJECT_GRANTS[PROFILE_GRANTS[g.profile]][cls].includes(privilege));
  switch (f.objectClass) {
    // Schema names come quoted as quote_ident writes them: only public's is `public` (unless it is listed).
    case 'schema': return f.privilege === 'USAGE' ? f.names.filter((n) => n !== 'public' || db.schemas.includes('public')) : [];
    case 'columns': return kept(f.privilege, 'tables') ? f.names : [];
    // No profile gives USAGE on a foreign server or wrapper.
    case 'foreign servers': case 'foreign data wrappers': return [];
    default: return kept(f.privilege, f.objectClass) ? f.names : [];
  }
}

export function publicRelianceWarnings(db: DatabaseSpec, all: readonly PublicRelianceFacts[]): Finding[] {
  const facts = all.flatMap((f) => {
    const kept = new Set(keptThroughGroups(db, f.role, f));
    const names = f.names.filter((n) => !kept.has(n));
    return names.length > 0 ? [{ ...f, names }] : [];
  });
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
        + `revokes there); to keep any, grant it to ${role} explicitly (as ${db.roles.owner.name}${rows.some((r) => r.objectClass.startsWith('foreign')) ? '; on a foreign server or wrapper, as its owner' : ''}) after apply`,
    };
  });
}
