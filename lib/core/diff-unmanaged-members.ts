// Roles the spec does not manage that are members of a managed role: a legacy login in the firefighter_rw role
// holds read-write for good, without the broker, its approval or its audit; a login in the owner role can run
// DDL; a team role in app holds app's privileges for all its members. The spec's way to give a person or team
// access is an extra role (issue 10.8), so apply revokes these memberships, naming each before anything runs.
// Not listed: the applying user, superusers and CREATEROLE roles (they can grant themselves any of these roles
// anyway), per-person logins db_admin issued, and members of the extra roles (diff-extra-roles.ts).
import type { ClusterFacts, MembershipFacts } from './facts.js';
import { managedRoles, type ManagedRole } from './model.js';
import type { DiffResult, Finding } from './plan-types.js';
import { LOGIN_SUFFIX_BYTES, type RoleModelSpec } from './spec.js';
import { quoteIdent } from './sql-text.js';

const WHAT: Record<ManagedRole['kind'], string> = {
  admin: 'the role-model admin\'s CREATEROLE and db_admin', broker: 'the password broker\'s db_admin functions',
  verifier: 'the verifier\'s read access to the catalogs', owner: 'ownership of every object (DDL)',
  migrator: 'the migrator\'s way to the owner (DDL)', app: 'the app\'s reads and writes',
  firefighterRo: 'firefighter read access without the broker', firefighterRw: 'firefighter read-write without the broker',
  extra: 'an extra role\'s access',
};

function unmanagedMembers(spec: RoleModelSpec, facts: ClusterFacts): { m: MembershipFacts; role: ManagedRole }[] {
  const roles = managedRoles(spec);
  const managed = new Set(roles.map((r) => r.name));
  // `<group>_<6 hex>`, as db_admin names them (sql/db_admin_per_person.sql), in either mode: after a switch back
  // to shared logins they expire and db_admin drops them; hand-made ones are caught as passwords set outside the
  // broker (diff-passwords.ts).
  const personLogin = (member: string, role: ManagedRole) => (role.kind === 'firefighterRo' || role.kind === 'firefighterRw')
    && /_[0-9a-f]{6}$/.test(member) && member.slice(0, -LOGIN_SUFFIX_BYTES) === role.name;
  const out: { m: MembershipFacts; role: ManagedRole }[] = [];
  for (const m of facts.memberships) {
    const role = roles.find((r) => r.name === m.role);
    if (!role || role.kind === 'extra' || managed.has(m.member) || m.member === facts.currentUser) continue;
    if (personLogin(m.member, role)) continue;
    out.push({ m, role });
  }
  return out;
}

const grant = (m: MembershipFacts) => `granted by ${m.grantor ?? 'a dropped role'}${m.admin ? ', WITH ADMIN OPTION' : ''}`;

/** A finding and a REVOKE (phase `roles`) for each unmanaged member of a managed role. */
export function diffUnmanagedMembers(spec: RoleModelSpec, facts: ClusterFacts): DiffResult {
  const result: DiffResult = { findings: [], steps: [] };
  for (const { m, role } of unmanagedMembers(spec, facts)) {
    result.findings.push({
      code: 'membership-unmanaged', subject: m.member,
      message: `unmanaged role ${m.member} is a member of ${m.role} (${grant(m)}), which gives it ${WHAT[role.kind]}; apply revokes it (to give a person or team access, name them in an extra role)`,
    });
    // A grant made by another grantor (16+) survives this REVOKE; verification then reports it.
    result.steps.push({ phase: 'roles', sql: `REVOKE ${quoteIdent(m.role)} FROM ${quoteIdent(m.member)}`, reason: `${m.member} is not managed and the spec grants it no membership in ${m.role}` });
  }
  return result;
}

/** Named before apply changes anything: each unmanaged role that loses a membership. */
export function unmanagedMemberWarnings(spec: RoleModelSpec, facts: ClusterFacts): Finding[] {
  return unmanagedMembers(spec, facts).map(({ m, role }) => ({
    code: 'unmanaged-role-membership', subject: m.member,
    message: `unmanaged role ${m.member} will lose its membership in ${m.role} (${WHAT[role.kind]}); to keep access, add it to an extra role's "members"`,
  }));
}
