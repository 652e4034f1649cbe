// Findings name things (issue 10.5): which objects a table, sequence or routine privilege finding is about.
// inspect-database.sql counts per schema, role and class (cheap whatever the object count); only when a count
// differs from the model does the adapter ask sql/inspect-privilege-names.sql for the objects behind it.
import type { DatabaseObjectFacts } from '../facts.js';
import type { ObjectAccessFacts, PrivilegeQuestion } from '../object-facts.js';
import { OBJECT_GRANTS, SEQUENCE_PRIVILEGES, tablePrivileges, type RoleModel, type DatabaseModel } from '../../model/model.js';




export function accessDrift(a: ObjectAccessFacts, wanted: readonly string[], major: number): { missing: string[]; extra: string[] } {
  const all = a.objectClass === 'tables' ? tablePrivileges(major) : a.objectClass === 'sequences' ? [...SEQUENCE_PRIVILEGES] : ['EXECUTE'];
  return {
    missing: all.filter((p) => wanted.includes(p) && (a.granted[p] ?? 0) < a.total),
    extra: all.filter((p) => !wanted.includes(p) && (a.granted[p] ?? 0) > 0),
  };
}

export function privilegeQuestions(model: RoleModel, db: DatabaseModel, major: number, facts: Pick<DatabaseObjectFacts, 'objectAccess'>): PrivilegeQuestion[] {
  const kinds = new Map(db.checked.map((r) => [r.name, r.kind]));
  const out: PrivilegeQuestion[] = [];
  for (const a of facts.objectAccess) {
    const kind = kinds.get(a.role);
    if (!kind || a.total === 0) continue;
    const { missing, extra } = accessDrift(a, OBJECT_GRANTS[kind][a.objectClass], major);
    if (missing.length > 0 || extra.length > 0) out.push({ schema: a.schema, role: a.role, objectClass: a.objectClass, missing, extra });
  }
  return out;
}

/** The names behind a finding, when they were read. */
export function privilegeNamesOf(facts: Pick<DatabaseObjectFacts, 'privilegeNames'>, a: ObjectAccessFacts, which: 'missing' | 'extra'): readonly string[] | undefined {
  return facts.privilegeNames?.find((n) => n.schema === a.schema && n.role === a.role && n.objectClass === a.objectClass)?.[which];
}
