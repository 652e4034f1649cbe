// No silent lockout: apply revokes CONNECT and TEMPORARY from PUBLIC on every managed database and hands
// the database to the owner role. Unmanaged logins that reach the database only that way lose it; plan and
// apply name each of them (and how to keep it connected) before anything changes.
import type { Finding } from './plan-types.js';
import type { DatabaseSpec } from '../spec/spec.js';

/** An unmanaged, non-superuser login that can CONNECT to or create TEMPORARY tables in a managed database. */
export interface UnmanagedLoginFacts {
  readonly role: string;
  readonly database: string;
  readonly connect: boolean;
  readonly temporary: boolean;
  /** It owns the database now (apply hands it to the owner role). */
  readonly owner: boolean;
  /** Privileges it still reaches through explicit grants to unmanaged roles (which apply leaves alone). */
  readonly kept: readonly string[];
}

export function lockoutWarnings(dbs: readonly DatabaseSpec[], logins: readonly UnmanagedLoginFacts[]): Finding[] {
  const out: Finding[] = [];
  for (const db of dbs) {
    for (const l of logins.filter((x) => x.database === db.name)) {
      const after = new Set(l.kept);
      if (db.keepConnect?.includes(l.role)) after.add('CONNECT');
      // A member of one of the database's groups connects through the group, which apply grants CONNECT.
      if (db.extraRoles?.some((x) => x.members?.includes(l.role))) after.add('CONNECT');
      const lose = [l.connect && !after.has('CONNECT') ? 'CONNECT' : '', l.temporary && !after.has('TEMPORARY') ? 'TEMPORARY' : ''].filter(Boolean);
      if (lose.length === 0) continue;
      const how = l.owner ? `it owns the database, which apply hands to ${db.roles.owner.name}` : 'it has them only through PUBLIC';
      const fix = lose.includes('CONNECT') ? `; to keep it connected add "keepConnect": ["${l.role}"] to database "${db.name}" in the spec` : '';
      out.push({
        code: 'unmanaged-login-loses-access', database: db.name, subject: l.role,
        message: `unmanaged login ${l.role} will lose ${lose.join(', ')} on database "${db.name}" (${how})${fix}`,
      });
    }
  }
  return out;
}
