// Memberships of the extra roles (issue 10.8). A group's members are unmanaged roles (people's logins): the
// engine grants exactly the members the spec lists and revokes any other, and never creates, alters or drops a
// member. Granting to (or revoking from) an unmanaged role changes it, so plan and apply name each such change
// as a warning before anything runs; a member that does not exist yet is skipped and named, never created.
import type { ClusterFacts } from '../facts.js';
import type { RoleModel, DatabaseModel } from '../../model/model.js';
import type { DiffResult, Finding } from '../../plan/plan-types.js';
import type { ExtraRoleSpec } from '../../spec/spec.js';
import { quoteIdent } from '../../plan/sql-text.js';

/** What inspect-extra-roles.sql adds to the cluster facts. */
export interface ExtraRoleFacts {
  readonly extraRoleMembers: readonly { role: string; member: string; admin?: boolean; grantor?: string }[];
  readonly existingMembers: readonly string[];
}

interface Delta {
  readonly db: DatabaseModel;
  readonly role: ExtraRoleSpec;
  readonly grant: string[];
  readonly revoke: string[];
  readonly absent: string[];
  /** Listed members holding ADMIN OPTION on the role (they could grant it to anyone), with who granted it. */
  readonly admins: { member: string; grantor: string }[];
}

function deltas(model: RoleModel, facts: ClusterFacts & Partial<ExtraRoleFacts>): Delta[] {
  const managed = model.managedNames;
  const out: Delta[] = [];
  for (const db of model.databases) {
    for (const role of db.extraRoles ?? []) {
      const want = role.members ?? [];
      // The applying master holds ADMIN OPTION on every role it created (16+); managed members are the cluster
      // diff's business (it revokes any membership of a managed role the spec does not grant).
      const rows = (facts.extraRoleMembers ?? []).filter((m) => m.role === role.name && m.member !== facts.currentUser && !managed.has(m.member));
      const have = [...new Set(rows.map((m) => m.member))];
      const exists = (m: string) => (facts.existingMembers ?? []).includes(m);
      out.push({
        db, role,
        grant: want.filter((m) => exists(m) && !have.includes(m)),
        revoke: have.filter((m) => !want.includes(m)),
        absent: want.filter((m) => !exists(m)),
        admins: rows.filter((m) => m.admin === true && want.includes(m.member)).map((m) => ({ member: m.member, grantor: m.grantor ?? facts.currentUser })),
      });
    }
  }
  return out;
}

function what(d: Delta): string {
  return `${d.role.profile} access to "${d.db.name}"`;
}

/** Membership drift of the extra roles, both ways, and the GRANT / REVOKE that fixes it (phase `roles`). */
export function diffExtraRoleMembers(model: RoleModel, facts: ClusterFacts & Partial<ExtraRoleFacts>): DiffResult {
  const result: DiffResult = { findings: [], steps: [] };
  for (const d of deltas(model, facts)) {
    const group = quoteIdent(d.role.name);
    for (const m of d.grant) {
      result.findings.push({ code: 'membership-missing', database: d.db.name, subject: m, message: `${m} is not a member of ${d.role.name} (its "members" list it: ${what(d)})` });
      result.steps.push({ phase: 'roles', sql: `GRANT ${group} TO ${quoteIdent(m)}`, reason: `${m} is a member of ${d.role.name} (${what(d)}); ${m} is not managed` });
    }
    for (const m of d.revoke) {
      result.findings.push({ code: 'membership-extra', database: d.db.name, subject: m, message: `${m} is a member of ${d.role.name}, which its "members" do not list (${what(d)})` });
      // A grant made by another grantor (16+) survives this REVOKE; verification then reports it.
      result.steps.push({ phase: 'roles', sql: `REVOKE ${group} FROM ${quoteIdent(m)}`, reason: `${m} is not among the members of ${d.role.name}; ${m} is not managed` });
    }
    for (const { member, grantor } of d.admins) {
      // 16+: a membership belongs to its grantor; the applying user revokes only its own grants.
      const mine = facts.serverVersionNum < 160000 || grantor === facts.currentUser;
      const sql = `REVOKE ADMIN OPTION FOR ${group} FROM ${quoteIdent(member)} CASCADE`;
      result.findings.push({ code: 'membership-admin-option', database: d.db.name, subject: member, message: `${member} holds ADMIN OPTION on ${d.role.name} (granted by ${grantor}), which the spec does not give: it can grant ${what(d)} to any role${mine ? '' : `; run ${sql} as ${grantor}`}` });
      result.steps.push({ phase: 'roles', sql, ...(mine ? {} : { manual: true }), reason: `${member} stays a member of ${d.role.name} without ADMIN OPTION; CASCADE takes back what it granted with it` });
    }
  }
  return result;
}

/** Named before apply changes anything: each unmanaged role whose memberships it changes, each absent member. */
export function extraRoleWarnings(model: RoleModel, dbs: readonly DatabaseModel[], facts: ClusterFacts & Partial<ExtraRoleFacts>): Finding[] {
  const scoped = new Set(dbs.map((d) => d.name));
  const out: Finding[] = [];
  for (const d of deltas(model, facts).filter((x) => scoped.has(x.db.name))) {
    for (const m of d.grant) {
      out.push({ code: 'unmanaged-role-membership', database: d.db.name, subject: m, message: `unmanaged role ${m} will be granted membership in ${d.role.name}: it gains ${what(d)} through it` });
    }
    for (const m of d.revoke) {
      out.push({ code: 'unmanaged-role-membership', database: d.db.name, subject: m, message: `unmanaged role ${m} will lose its membership in ${d.role.name} (${what(d)}): it is not in that role's "members"; add it there to keep it` });
    }
    for (const m of d.absent) {
      out.push({ code: 'member-missing', database: d.db.name, subject: m, message: `member ${m} of ${d.role.name} does not exist, so apply skips it; create the login first (CREATE ROLE ${quoteIdent(m)} LOGIN ...), then apply again` });
    }
  }
  return out;
}
