// Role memberships of the cluster: the applying user's SET ROLE plumbing, the memberships the spec implies
// (with their 16+ INHERIT and SET options), and those it does not imply (revoked, or reported when reserved).
import type { ClusterFacts, MembershipFacts } from '../facts.js';
import type { ManagedRole, RoleModel } from '../../model/model.js';
import type { Finding, Step } from '../../plan/plan-types.js';
import { LOGIN_SUFFIX_BYTES, type RoleModelSpec } from '../../spec/spec.js';
import { quoteIdent } from '../../plan/sql-text.js';

/** Memberships the engine never revokes by itself: AWS's and PostgreSQL's predefined roles. rds_iam is the
 *  exception, because the spec decides it (`iam`) and a firefighter must never reach it. */
export function isReservedRole(role: string): boolean {
  return /^(rds_|pg_)/.test(role) && role !== 'rds_iam';
}

interface WantedMembership {
  readonly role: string;
  readonly member: string;
  readonly admin: boolean;
  /** Checked on 16+ only (15 has no per-grant options). undefined: not checked. */
  readonly inherit?: boolean;
  readonly set?: boolean;
  readonly why: string;
}

export function wantedMemberships(model: RoleModel, facts: ClusterFacts, v16: boolean): WantedMembership[] {
  const exists = (r: string) => facts.existingRoles.includes(r);
  const out: WantedMembership[] = [];
  for (const db of model.databases) {
    const owner = db.roles.owner.name;
    out.push({ role: owner, member: db.roles.migrator.name, admin: false, ...(v16 ? { inherit: false, set: true } : {}), why: 'migrator runs DDL through SET ROLE owner' });
    out.push({ role: owner, member: model.admin.name, admin: true, ...(v16 ? { inherit: false, set: true } : {}), why: 'admin may SET ROLE owner and manage it' });
    if (v16) {
      // 16+: ALTER ROLE ... PASSWORD on another role needs CREATEROLE plus ADMIN OPTION on it.
      for (const slot of ['firefighterRo', 'firefighterRw'] as const) {
        out.push({ role: db.roles[slot].name, member: model.admin.name, admin: true, inherit: false, set: false, why: 'the password functions (owned by admin) alter firefighter passwords' });
      }
    }
  }
  for (const r of model.managed) {
    // 16+: with INHERIT even for a NOINHERIT role (the migrator), so the role has rds_iam's privileges and Aurora
    // accepts only an IAM token for it, whichever way it reads the membership.
    if (r.iam) out.push({ role: 'rds_iam', member: r.name, admin: false, ...(v16 ? { inherit: true } : {}), why: 'logs in with IAM' });
  }
  if (exists('rds_password')) out.push({ role: 'rds_password', member: model.admin.name, admin: false, why: 'password management when rds.restrict_password_commands is on' });
  out.push({ role: 'pg_signal_backend', member: model.admin.name, admin: false, ...(v16 ? { inherit: true } : {}), why: 'end_firefighter_sessions ends firefighter sessions' });
  return out;
}

function grantSql(w: WantedMembership, v16: boolean): string {
  const options: string[] = [];
  if (w.admin) options.push('ADMIN OPTION');
  if (v16 && w.inherit !== undefined) options.push(`INHERIT ${w.inherit ? 'TRUE' : 'FALSE'}`);
  if (v16 && w.set !== undefined) options.push(`SET ${w.set ? 'TRUE' : 'FALSE'}`);
  return `GRANT ${quoteIdent(w.role)} TO ${quoteIdent(w.member)}${options.length ? ` WITH ${options.join(', ')}` : ''}`;
}

function membershipMatches(w: WantedMembership, grants: MembershipFacts[]): boolean {
  return grants.some((g) =>
    (!w.admin || g.admin) &&
    (w.inherit === undefined || g.inherit === null || g.inherit === w.inherit) &&
    (w.set === undefined || g.set === null || g.set === w.set));
}

/** What adopting a role changes (`note`), and a step's reason that says it is part of an adoption (`why`). */
export interface AdoptionNotes {
  readonly note: (role: string, change: string) => void;
  readonly why: (role: string, reason: string) => string;
}

export function diffMemberships(model: RoleModel, facts: ClusterFacts, roles: readonly ManagedRole[], v16: boolean, { note, why }: AdoptionNotes, findings: Finding[], steps: Step[]): void {
  // The applying user needs SET ROLE on owners (CREATE DATABASE ... OWNER, objects) and on admin (db_admin).
  const plumbing = [...model.databases.map((d) => d.roles.owner.name), model.admin.name];
  for (const role of plumbing) {
    const grants = facts.memberships.filter((m) => m.role === role && m.member === facts.currentUser);
    const canSet = grants.some((g) => g.set === null || g.set);
    if (!canSet) {
      steps.push({ phase: 'roles', sql: `GRANT ${quoteIdent(role)} TO CURRENT_USER${v16 ? ' WITH INHERIT FALSE, SET TRUE' : ''}`, reason: `the applying user needs SET ROLE ${role}` });
    }
  }

  const wanted = wantedMemberships(model, facts, v16);
  for (const w of wanted) {
    const grants = facts.memberships.filter((m) => m.role === w.role && m.member === w.member);
    if (!membershipMatches(w, grants)) {
      findings.push({
        code: 'membership', subject: w.member,
        message: grants.length === 0 ? `${w.member} is not a member of ${w.role} (${w.why})` : `${w.member} is a member of ${w.role} with the wrong options (${w.why})`,
      });
      note(w.member, `${grants.length === 0 ? 'grant' : 'regrant'} membership in ${w.role}`);
      steps.push({ phase: 'roles', sql: grantSql(w, v16), reason: why(w.member, w.why) });
    }
    // An ADMIN OPTION the spec does not give lets the member grant the role to anyone (the owner: all DDL).
    if (w.admin) continue;
    for (const g of grants.filter((x) => x.admin)) {
      const r = membershipRevoke(g, facts, true, true);
      findings.push({
        code: 'membership-admin-option', subject: w.member,
        message: `${w.member} holds ADMIN OPTION on ${w.role} (granted by ${g.grantor}), which the spec does not give: it can grant ${w.role} to any role${r.manual ? `; apply cannot revoke it in ${g.grantor}'s name: run ${r.sql} as ${g.grantor}` : ''}`,
      });
      note(w.member, `${r.manual ? 'keeps' : 'loses'} ADMIN OPTION on ${w.role}`);
      steps.push({ phase: 'roles', sql: r.sql, ...(r.manual ? { manual: true } : {}), reason: why(w.member, `ADMIN OPTION on ${w.role} not in the spec; CASCADE takes back what was granted with it${r.manual ? '; not run by apply' : ''}`) });
    }
  }
  const managedNames = new Set(roles.map((r) => r.name));
  const personLogin = perPersonLoginMatcher(model);
  for (const m of facts.memberships) {
    if (!managedNames.has(m.member)) continue;
    // On 16+ admin holds ADMIN OPTION on each per-person login it created (it drops them when they expire).
    if (m.member === model.admin.name && personLogin(m.role)) continue;
    if (wanted.some((w) => w.role === m.role && w.member === m.member)) continue;
    const revoke = `REVOKE ${quoteIdent(m.role)} FROM ${quoteIdent(m.member)}`;
    if (isReservedRole(m.role)) {
      // Never silently: rds_superuser, pg_read_all_data, ... may be there on purpose. A human revokes it.
      findings.push({ code: 'membership-reserved', subject: m.member, message: `${m.member} is a member of ${m.role}, which the spec does not grant; the engine never revokes rds_* or pg_* memberships: if it must go, run ${revoke}` });
      note(m.member, `keeps membership in ${m.role} (reported until a human revokes it; never revoked by apply)`);
      steps.push({ phase: 'roles', sql: revoke, reason: why(m.member, `membership in ${m.role} not in the spec (granted by ${m.grantor}); not run by apply`), manual: true });
      continue;
    }
    const r = membershipRevoke(m, facts, false);
    findings.push({
      code: 'membership-extra', subject: m.member,
      message: `${m.member} is a member of ${m.role}, which the spec does not grant${r.manual ? `; granted by ${m.grantor}, in whose name apply cannot revoke it: run ${r.sql} as ${m.grantor}` : ''}`,
    });
    note(m.member, r.manual ? `keeps membership in ${m.role} until ${m.grantor} revokes it` : `revoke membership in ${m.role}`);
    steps.push({ phase: 'roles', sql: r.sql, ...(r.manual ? { manual: true } : {}), reason: why(m.member, `membership not in the spec (granted by ${m.grantor})${r.manual ? '; not run by apply' : ''}`) });
  }
}

/**
 * The REVOKE of a membership, and whether the applying user can run it. On 16+ a membership belongs to its grantor:
 * the applying user revokes it in its own name or, holding the grantor's privileges, GRANTED BY the grantor;
 * anything else is a step for a human, run as the grantor. `cascade` also takes what the member granted from an
 * ADMIN OPTION on the role (for members the spec does not manage; a managed member's are left to fail loudly).
 * `adminOptionOnly`: the member keeps the membership and loses only its ADMIN OPTION.
 */
export function membershipRevoke(m: MembershipFacts, facts: Pick<ClusterFacts, 'serverVersionNum' | 'currentUser'>, cascade: boolean, adminOptionOnly = false): { sql: string; manual: boolean } {
  const base = `REVOKE ${adminOptionOnly ? 'ADMIN OPTION FOR ' : ''}${quoteIdent(m.role)} FROM ${quoteIdent(m.member)}`;
  const tail = cascade ? ' CASCADE' : '';
  if (facts.serverVersionNum < 160000 || m.grantor === facts.currentUser) return { sql: `${base}${tail}`, manual: false };
  if (m.grantorUsable) return { sql: `${base} GRANTED BY ${quoteIdent(m.grantor)}${tail}`, manual: false };
  return { sql: `${base}${tail}`, manual: true };
}

/** Names db_admin gives per-person logins: `<firefighter role>_<6 hex>` (sql/db_admin_per_person.sql). */
export function perPersonLoginMatcher(model: Pick<RoleModelSpec, 'databases'>): (role: string) => boolean {
  const groups = new Set(model.databases.flatMap((d) => [d.roles.firefighterRo.name, d.roles.firefighterRw.name]));
  return (role) => /_[0-9a-f]{6}$/.test(role) && groups.has(role.slice(0, -LOGIN_SUFFIX_BYTES));
}
