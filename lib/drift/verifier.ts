// rolemodel verify as the spec's verifier (issue 10.7): a login with CONNECT and nothing else. It reads the
// catalog like the master does, but not what only the admin role can read (db_admin's allowlist, login policies
// and audit) nor a scratch install of sql/db_admin*.sql (which needs CREATE). Those checks are left out with a
// note naming what they need, never reported as drift.
import type { DatabaseObjectFacts } from './facts.js';
import type { Finding } from '../plan/plan-types.js';
import type { RoleModel } from '../model/model.js';

/** Findings that come from what only admin may read or do; as the verifier they would be false drift. */
const NEEDS_ADMIN = new Set(['db-admin-unverified', 'db-admin-allowlist', 'db-admin-login-policy']);

export function asVerifier(
  model: RoleModel, user: string, findings: readonly Finding[], databases: readonly DatabaseObjectFacts[], marker: string,
): { findings: Finding[]; notes: string[] } {
  const admin = model.admin.name;
  const notes = [`not checked as ${user}: db_admin's allowlist, per-person login policies and its functions and tables against sql/db_admin*.sql (they need SET ROLE ${admin} and CREATE in the database; run verify as the master for them)`];
  const unread = databases.filter((d) => d.firefighterPasswords?.auditUnreadable).map((d) => `"${d.database}"`);
  if (unread.length > 0) notes.push(`not checked as ${user}: firefighter passwords valid for less than the broker's 2 hours against its audit in ${unread.join(', ')} (needs SET ROLE ${admin}); passwords with no, an infinite or a longer validity are checked`);
  // "not the current version" stands when the recorded marker or a routine says so; the comparison with the files
  // (which the verifier cannot run) alone does not make it.
  const current = new Set(databases.filter((d) => d.dbAdmin.comment === marker && d.dbAdmin.missingRoutines.length === 0).map((d) => d.database));
  return { findings: findings.filter((f) => !NEEDS_ADMIN.has(f.code) && !(f.code === 'db-admin-version' && f.database !== undefined && current.has(f.database))), notes };
}
