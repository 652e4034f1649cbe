// Roles the spec does not manage that are members of a managed role: a legacy login in the firefighter_rw role
// holds read-write for good, without the broker, its approval or its audit; a login in the owner role can run
// DDL; a team role in app holds app's privileges for all its members. The spec's way to give a person or team
// access is an extra role (issue 10.8), so apply revokes these memberships, naming each before anything runs.
// Not listed: the applying user, superusers, the cluster's administrators (CREATEROLE with rds_superuser's
// privileges: the master), on 15 any CREATEROLE role (it can grant itself any of these roles anyway), per-person
// logins db_admin issued, and members of the extra roles (diff-extra-roles.ts). A per-person login is known by
// db_admin's record of it (firefighter_login, read as facts.issuedLogins) and a membership admin granted, never
// by its name: a look-alike `<group>_<6 hex>` someone else made (NOLOGIN with a legacy login in it, or an IAM
// login whose VALID UNTIL has passed, which IAM ignores) is an unmanaged member like any other (issue 17, item 4).
// On 16+ a membership belongs to its grantor: the applying user revokes it only in its own name or in one whose
// privileges it holds (GRANTED BY); CASCADE takes the grants a member made from an ADMIN OPTION along, and they
// are named. Anything else is a step for a human, run as the grantor.
import { membershipRevoke } from './diff-memberships.js';
import type { ClusterFacts, MembershipFacts } from '../facts.js';
import type { ManagedRole, RoleModel } from '../../model/model.js';
import type { DiffResult, Finding } from '../../plan/plan-types.js';

const WHAT: Record<ManagedRole['kind'], string> = {
  admin: 'the role-model admin\'s CREATEROLE and db_admin', broker: 'the password broker\'s db_admin functions',
  verifier: 'the verifier\'s read access to the catalogs', owner: 'ownership of every object (DDL)',
  migrator: 'the migrator\'s way to the owner (DDL)', app: 'the app\'s reads and writes',
  firefighterRo: 'firefighter read access without the broker', firefighterRw: 'firefighter read-write without the broker',
  extra: 'an extra role\'s access',
};

function unmanagedMembers(model: RoleModel, facts: ClusterFacts): { m: MembershipFacts; role: ManagedRole }[] {
  const roles = model.managed;
  const managed = new Set(roles.map((r) => r.name));
  const v16 = facts.serverVersionNum >= 160000;
  // In either mode: after a switch back to shared logins they expire and db_admin drops them.
  const issued = new Set((facts.issuedLogins ?? []).map((l) => `${l.role}\u0000${l.login}`));
  const personLogin = (m: MembershipFacts, role: ManagedRole) => m.grantor === model.admin.name && issued.has(`${role.name}\u0000${m.member}`);
  const out: { m: MembershipFacts; role: ManagedRole }[] = [];
  for (const m of facts.memberships) {
    const role = roles.find((r) => r.name === m.role);
    if (!role || role.kind === 'extra' || managed.has(m.member) || m.member === facts.currentUser) continue;
    if (personLogin(m, role) || m.memberAdministers || (!v16 && m.memberCreateRole)) continue;
    out.push({ m, role });
  }
  return out;
}

const grant = (m: MembershipFacts) => `granted by ${m.grantor ?? 'a dropped role'}${m.admin ? ', WITH ADMIN OPTION' : ''}`;

/** Grants a member made from its ADMIN OPTION on the same role: CASCADE revokes them with it. */
function dependents(m: MembershipFacts, facts: ClusterFacts): string[] {
  return m.admin ? facts.memberships.filter((d) => d.role === m.role && d.grantor === m.member).map((d) => d.member) : [];
}

/** A finding and a REVOKE (phase `roles`) for each unmanaged member of a managed role. */
export function diffUnmanagedMembers(model: RoleModel, facts: ClusterFacts): DiffResult {
  const result: DiffResult = { findings: [], steps: [] };
  for (const { m, role } of unmanagedMembers(model, facts)) {
    const r = membershipRevoke(m, facts, true);
    const fix = r.manual
      ? `apply cannot revoke it in ${m.grantor}'s name: run ${r.sql} as ${m.grantor} (or a role with its privileges)`
      : 'apply revokes it';
    result.findings.push({
      code: 'membership-unmanaged', subject: m.member,
      message: `unmanaged role ${m.member} is a member of ${m.role} (${grant(m)}), which gives it ${WHAT[role.kind]}; ${fix} (to give a person or team access, name them in an extra role)`,
    });
    const along = dependents(m, facts);
    result.steps.push({
      phase: 'roles', sql: r.sql, ...(r.manual ? { manual: true } : {}),
      reason: `${m.member} is not managed and the spec grants it no membership in ${m.role}${along.length ? `; CASCADE also revokes what it granted from its ADMIN OPTION: ${along.join(', ')}` : ''}${r.manual ? `; granted by ${m.grantor}, not run by apply` : ''}`,
    });
  }
  return result;
}

/** Named before apply changes anything: each unmanaged role that loses a membership, and who loses one with it. */
export function unmanagedMemberWarnings(model: RoleModel, facts: ClusterFacts): Finding[] {
  return unmanagedMembers(model, facts).filter(({ m }) => !membershipRevoke(m, facts, true).manual).map(({ m, role }) => {
    const along = dependents(m, facts);
    return {
      code: 'unmanaged-role-membership', subject: m.member,
      message: `unmanaged role ${m.member} will lose its membership in ${m.role} (${WHAT[role.kind]})${along.length ? `, and with it the memberships it granted: ${along.join(', ')}` : ''}; to keep access, add it to an extra role's "members"`,
    };
  });
}
