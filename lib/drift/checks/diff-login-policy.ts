// The per-person rows of db_admin.firefighter_login_policy: one per firefighter group in per-person mode,
// none in shared mode. db_admin issues per-person logins only for groups with a row, within its limits.
import type { DatabaseObjectFacts } from '../facts.js';
import { FIREFIGHTER_SLOTS, PER_PERSON_DEFAULTS } from '../../spec/spec.js';
import { quoteLiteral } from '../../plan/sql-text.js';
import type { RoleModel, DatabaseModel } from '../../model/model.js';

export interface LoginPolicyRow {
  readonly role: string;
  readonly maxLogins: number;
  readonly connectionLimit: number;
  readonly approval: boolean;
  readonly incidentMinutes: number;
  readonly approvalMinutes: number;
}

export function wantedLoginPolicies(model: RoleModel, db: DatabaseModel): LoginPolicyRow[] {
  if (!model.perPerson) return [];
  return FIREFIGHTER_SLOTS.map((slot) => {
    const role = db.roles[slot];
    const limit = role.connectionLimit;
    return {
      role: role.name,
      maxLogins: role.maxLogins ?? PER_PERSON_DEFAULTS.maxLogins,
      // The spec's -1 ("no limit") is no limit a person's login should have.
      connectionLimit: limit !== undefined && limit >= 1 ? Math.min(limit, 1000) : PER_PERSON_DEFAULTS.connectionLimit,
      approval: slot === 'firefighterRw' && db.readWriteApproval === true,
      incidentMinutes: model.firefighterMinutesPerIncident ?? PER_PERSON_DEFAULTS.minutesPerIncident,
      approvalMinutes: PER_PERSON_DEFAULTS.approvalMinutes,
    };
  });
}

const key = (r: LoginPolicyRow) => JSON.stringify([r.role, r.maxLogins, r.connectionLimit, r.approval, r.incidentMinutes, r.approvalMinutes]);

/** Steps (as admin) that make the policy table match the spec; `changed` says whether anything differs. */
export function diffLoginPolicies(model: RoleModel, db: DatabaseModel, have: readonly LoginPolicyRow[] | undefined): { changed: boolean; message: string; sql: string[] } {
  const want = wantedLoginPolicies(model, db);
  const current = have ?? [];
  const same = want.length === current.length && want.every((w) => current.some((h) => key(h) === key(w)));
  const message = `db_admin.firefighter_login_policy in "${db.name}" lists ${current.map((r) => `${r.role} (max ${r.maxLogins})`).join(', ') || 'nothing'}, expected ${want.map((r) => `${r.role} (max ${r.maxLogins})`).join(', ') || 'nothing (shared logins)'}`;
  const table = 'db_admin.firefighter_login_policy';
  const sql = [
    want.length === 0 ? `DELETE FROM ${table}` : `DELETE FROM ${table} WHERE role OPERATOR(pg_catalog.<>) ALL (ARRAY[${want.map((w) => quoteLiteral(w.role)).join(', ')}]::pg_catalog.name[])`,
    ...(want.length === 0 ? [] : [`INSERT INTO ${table} (role, max_logins, connection_limit, approval, incident_minutes, approval_minutes) VALUES ${want
      .map((w) => `(${quoteLiteral(w.role)}, ${w.maxLogins}, ${w.connectionLimit}, ${w.approval}, ${w.incidentMinutes}, ${w.approvalMinutes})`).join(', ')} ON CONFLICT (role) DO UPDATE SET max_logins = EXCLUDED.max_logins, connection_limit = EXCLUDED.connection_limit, approval = EXCLUDED.approval, incident_minutes = EXCLUDED.incident_minutes, approval_minutes = EXCLUDED.approval_minutes`]),
  ];
  return { changed: !same, message, sql };
}

/** The rows as the inspection reads them (undefined: not read, e.g. before db_admin exists). */
export type LoginPolicyFacts = DatabaseObjectFacts['dbAdmin']['loginPolicies'];
