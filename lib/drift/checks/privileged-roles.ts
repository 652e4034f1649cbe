// SUPERUSER, REPLICATION and BYPASSRLS on a managed role (issue 10, item 6). The master (CREATEROLE, not a
// superuser) can never take them away: PostgreSQL 15 lets only a superuser change them (or alter a superuser or
// replication role at all); 16+ lets only a role that has the attribute itself change it, and only a superuser
// alter a superuser. On Aurora no customer login is a superuser: only AWS (rdsadmin) could. So the engine says
// what must be run, by whom, and what to do instead, and apply changes nothing rather than pretend.
import type { ClusterFacts } from '../facts.js';
import type { RoleModel } from '../../model/model.js';
import type { Finding, Step } from '../../plan/plan-types.js';
import { quoteIdent } from '../../plan/sql-text.js';

export interface PrivilegedRoles {
  readonly findings: Finding[];
  /** For a human (`manual`): the ALTER ROLE a superuser must run. */
  readonly steps: Step[];
  /** Managed roles that are SUPERUSER: every privilege check passes for them, so their other findings mean nothing. */
  readonly superusers: ReadonlySet<string>;
}

export function privilegedRoles(model: RoleModel, facts: Pick<ClusterFacts, 'roles' | 'serverVersionNum'>): PrivilegedRoles {
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const superusers = new Set<string>();
  const managed = model.managedNames;
  for (const r of facts.roles) {
    if (!managed.has(r.name)) continue;
    const attrs = [r.superuser && 'SUPERUSER', r.replication && 'REPLICATION', r.bypassRls && 'BYPASSRLS'].filter((a): a is string => Boolean(a));
    if (attrs.length === 0) continue;
    if (r.superuser) superusers.add(r.name);
    const sql = `ALTER ROLE ${quoteIdent(r.name)} ${attrs.map((a) => `NO${a}`).join(' ')}`;
    const who = r.superuser || facts.serverVersionNum < 160000
      ? 'a superuser'
      : `a superuser (or, on PostgreSQL 16+, a role that has ${attrs.join(' and ')} itself and ADMIN OPTION on ${r.name})`;
    findings.push({
      code: 'role-privileged-attribute', subject: r.name,
      message: `${r.name} is ${attrs.join(', ')}, which the spec never gives and the master cannot take away: ${who} must run ${sql}. `
        + 'On Aurora/RDS no customer login is a superuser, so only AWS can (open a support case); meanwhile stop using the role: '
        + `give its slot a new name in the spec (apply creates a clean role) and move its users there. apply changes nothing until then${r.superuser ? '; a superuser passes every privilege check, so no other finding about it is reported' : ''}`,
    });
    steps.push({ phase: 'roles', sql, manual: true, reason: `${r.name} is ${attrs.join(', ')}: only ${who} can run this (on Aurora/RDS: AWS, or give the slot a new name in the spec); apply runs nothing until then` });
  }
  return { findings, steps, superusers };
}

/** Thrown by apply before it changes anything: what only someone other than the master can fix. */
export function privilegedRefusal(found: PrivilegedRoles): string {
  return `apply cannot converge this cluster as the master, and changed nothing:\n${found.findings.map((f) => `  - ${f.message}`).join('\n')}`;
}

/** Kinds of finding about a database, a schema, PUBLIC or unmanaged roles, whatever their subject or message
 *  says (so is every `db-admin-*` kind not in ABOUT_LISTED_ROLES: about db_admin itself). Every other kind is
 *  about the managed role its subject names. */
const NOT_ABOUT_A_MANAGED_ROLE = new Set([
  'database-missing', 'database-owner', 'database-connection-limit', 'database-setting-extra', 'database-setting', 'master-setting', 'pgaudit-extension-missing', 'pgaudit-extension-schema',
  'schema-missing', 'schema-owner', 'schema-public', 'public-schema', 'routine-public',
  'unmanaged-login-loses-access', 'unmanaged-role-loses-privileges', 'unmanaged-role-membership', 'member-missing',
]);
/** Kinds that cover several roles in one finding (subject: a db_admin routine or a list), named in `roles`. */
const ABOUT_LISTED_ROLES = new Set(['db-admin-execute-extra', 'db-admin-execute-missing', 'db-admin-table-access']);

/**
 * The findings of a privileged managed role first; findings about a managed superuser withheld: it passes every
 * privilege check, so they say nothing until it is NOSUPERUSER again (and then verify shows them). Which role a
 * finding is about follows from its kind (code), never from its message text; a finding that also names other
 * roles, or is about a database, schema or db_admin itself, is kept.
 */
export function withPrivilegedFindings(privileged: PrivilegedRoles, findings: readonly Finding[]): Finding[] {
  const su = privileged.superusers;
  const withheld = (f: Finding): boolean => {
    if (ABOUT_LISTED_ROLES.has(f.code)) return (f.roles ?? []).length > 0 && (f.roles ?? []).every((r) => su.has(r));
    if (NOT_ABOUT_A_MANAGED_ROLE.has(f.code) || f.code.startsWith('db-admin-')) return false;
    return su.has(f.subject);
  };
  return [...privileged.findings, ...findings.filter((f) => !withheld(f))];
}
