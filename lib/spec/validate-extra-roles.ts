// Validation of the extra roles (issue 10.8): every rule here keeps DDL, TRUNCATE, ownership and db_admin out of
// their reach. A profile is one of the slots' privilege sets (PROFILE_GRANTS); a member is an unmanaged role, so
// no managed role (owner, admin, migrator, ...) can be put into a team and no team can widen a managed role.
import type { RoleModelSpec } from './spec.js';
import { describe, type Checker } from './spec-checker.js';
import { didYouMean } from './suggest.js';
import { valuesOf } from './spec-shape.js';
import { checkGuardrails, checkSearchPathSchemas } from './validate-guardrails.js';


/** The shape of `databases[i].extraRoles`; names are checked against each other once the whole spec parsed. */
export function checkExtraRoles(c: Checker, value: unknown, path: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    c.fail(path, `must be an array of roles ({"name", "profile", "iam": true} or {"name", "profile", "members": [...]}), got ${describe(value)}`);
    return;
  }
  value.forEach((entry: unknown, i) => {
    const at = `${path}[${i}]`;
    const r = c.shape(entry, at, 'extraRole');
    if (!r) return;
    c.identifier(r.name, `${at}.name`, 'role');
    c.boolean(r.adopt, `${at}.adopt`);
    c.boolean(r.iam, `${at}.iam`);
    c.connectionLimit(r.connectionLimit, `${at}.connectionLimit`);
    const profiles = valuesOf('extraRole', 'profile');
    if (r.profile !== undefined && !profiles.includes(r.profile as string)) {
      c.fail(`${at}.profile`, `unknown profile ${describe(r.profile)}${didYouMean(r.profile, profiles)}; use "read", "write" or "write-delete" (an extra role never gets DDL, TRUNCATE, ownership or db_admin)`);
    }
    const login = r.iam === true;
    if (r.guardrails !== undefined && !login) {
      c.fail(`${at}.guardrails`, 'only a login ("iam": true) has guardrails: settings of a group never reach its members\' sessions; set them on each member, or remove "guardrails"');
    } else checkGuardrails(c, r.guardrails, `${at}.guardrails`);
    if (login && r.members !== undefined) {
      c.fail(`${at}.members`, 'a role is either a login ("iam": true) or a group with members, not both; make a second role for the members');
    } else if (!login && r.members === undefined) {
      c.fail(at, 'say how it is used: "iam": true for a login with an IAM token, or "members": [...] for a NOLOGIN group of existing roles');
    }
    if (r.members !== undefined) {
      if (!Array.isArray(r.members)) {
        c.fail(`${at}.members`, `must be an array of existing role names, got ${describe(r.members)}`);
        return;
      }
      const seen = new Set<string>();
      r.members.forEach((m: unknown, j) => {
        const name = c.identifier(m, `${at}.members[${j}]`, 'role');
        if (name !== undefined && seen.has(name)) c.fail(`${at}.members[${j}]`, `duplicate member "${name}"`);
        if (name !== undefined) seen.add(name);
      });
    }
  });
}

/** Members are unmanaged roles: a managed one in a group would get the group's privileges on top of its own. */
export function checkExtraRoleMembers(spec: RoleModelSpec, managed: ReadonlyMap<string, string>, fail: (path: string, message: string) => void): void {
  spec.databases.forEach((db, i) => {
    db.extraRoles?.forEach((x, j) => {
      checkSearchPathSchemas(x.guardrails?.searchPath, db.schemas, `databases[${i}].extraRoles[${j}].guardrails.searchPath`, fail);
      x.members?.forEach((m, k) => {
        const by = managed.get(m);
        if (by) fail(`databases[${i}].extraRoles[${j}].members[${k}]`, `"${m}" is managed (${by}); members are unmanaged roles (people's logins): a managed role gets its privileges from its own slot, never from a group`);
      });
    });
  });
}
