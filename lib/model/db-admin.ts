// The contract between the role-model engine (which installs `sql/db_admin.sql` in every managed database)
// and the broker (which calls it). Names live here once so neither side spells them twice.
//
// Installation, done by the engine as the spec's admin role (`SET ROLE <admin>`), in each managed database:
//   1. schema `db_admin` owned by admin; PUBLIC has nothing on it; the broker has USAGE only.
//   2. the db_admin files (DB_ADMIN_FILES in lib/postgres/sql-files.ts: sql/db_admin.sql first) run verbatim
//      (static: no names of the spec inside), creating
//      - table db_admin.firefighter_role(role name primary key, access text check in ('ro','rw'),
//        holder text, incident_id text, expires_at timestamptz, guardrails jsonb, incident_minutes integer,
//        guardrails_asserted jsonb, settings_asserted text[]): the allowlist, one row per managed firefighter
//        role of this database, filled by the engine with the role's guardrails (guardrailSettings below); holder
//        columns kept by the functions, the *_asserted columns by db_admin.assert_guardrails (what it last left
//        in pg_db_role_setting, so an unchanged role is read, not rewritten).
//      - table db_admin.identity_proof: identity proofs already used, so each is accepted once.
//      - table db_admin.firefighter_audit: one row per issue / takeover / expire (and, part 3, reissue /
//        extend / end-sessions), written in the same
//        transaction as the password change. Neither table is readable or writable by the broker.
//      - the functions below, SECURITY DEFINER, `SET search_path = pg_catalog, pg_temp`, `SET TimeZone = 'UTC'`.
//   3. EXECUTE on exactly the functions below revoked from PUBLIC and granted to the broker role.
//   4. admin holds what the functions need: CREATEROLE, ADMIN OPTION on the firefighter roles (16+),
//      rds_password, pg_signal_backend.
// `COMMENT ON SCHEMA db_admin` records the sha256 of the files so unchanged files are not re-run.

import type { Guardrails, LoginRoleSlot } from '../spec/spec.js';

export const DB_ADMIN_FUNCTIONS = {
  /** (p_role name, p_password text, p_hours integer, p_requested_by text, p_incident_id text, p_reason text,
   *  p_takeover boolean DEFAULT false) RETURNS timestamptz. p_password must be a SCRAM-SHA-256 verifier. */
  setPassword: 'set_firefighter_password(name, text, integer, text, text, text, boolean)',
  /** (p_role name, p_requested_by text, p_incident_id text, p_reason text) RETURNS (expired_at timestamptz,
   *  sessions_ended integer): the role's sessions on the writer end first (a holder's open transaction cannot make
   *  it wait), then the password expires. */
  expirePassword: 'expire_firefighter_password(name, text, text, text)',
  /** (p_role name) RETURNS integer: sessions of that role ended on the instance the caller is connected to. */
  endSessions: 'end_firefighter_sessions(name)',
  /** (p_proof_sha256 text, p_valid_until timestamptz, p_caller text, p_action text) RETURNS void: records a
   *  proof as used, refuses (FF007) one used before. Called in the same statement as the action it authorises. */
  acceptProof: 'accept_identity_proof(text, timestamp with time zone, text, text)',
  /** () RETURNS TABLE(role name, access text, holder text, incident_id text, expires_at timestamptz,
   *  active boolean, sessions integer): who holds which role until when, sessions on this instance. */
  status: 'firefighter_status()',
  // Part 2, sql/db_admin_per_person.sql, db_admin_per_person_end.sql, db_admin_approvals_history.sql: per-person
  // logins, approvals, history.
  /** (p_role, p_password, p_hours, p_requested_by, p_incident_id, p_reason) RETURNS TABLE(outcome text
   *  ('issued' | 'reissued' | 'pending'), login name, expires_at timestamptz, request_id bigint). */
  issueLogin: 'issue_firefighter_login(name, text, integer, text, text, text)',
  /** (p_role, p_hours, p_requested_by, p_incident_id, p_reason) RETURNS TABLE(login name, expires_at timestamptz). */
  extendLogin: 'extend_firefighter_login(name, integer, text, text, text)',
  /** (p_role, p_requested_by, p_incident_id, p_reason, p_all boolean) RETURNS TABLE(login, holder, incident_id,
   *  sessions_ended): each login's sessions on the writer end before it expires. */
  revokeLogins: 'revoke_firefighter_logins(name, text, text, text, boolean)',
  /** () RETURNS TABLE(login, role, ended): sessions of expired logins ended on this instance; writes nothing. */
  endExpiredLoginSessions: 'end_expired_login_sessions()',
  /** (p_logins name[]) RETURNS TABLE(login, role, ended): sessions of the named logins (the writer found them
   *  expired) ended on this instance, whatever a lagging reader's copy says; writes nothing. */
  endLoginSessions: 'end_login_sessions(name[])',
  /** (p_logins name[], p_ended integer[]) RETURNS TABLE(login, role, dropped, sessions_ended): on the writer. */
  dropExpiredLogins: 'drop_expired_firefighter_logins(name[], integer[])',
  /** (p_request_id bigint, p_decided_by text, p_approve boolean, p_reason text) RETURNS TABLE(request_id, role,
   *  requested_by, incident_id, decision, expires_at). */
  decideApproval: 'decide_firefighter_approval(bigint, text, boolean, text)',
  /** () RETURNS TABLE(role, access, max_logins, connection_limit, approval, incident_minutes). */
  loginPolicies: 'firefighter_login_policies()',
  /** () RETURNS TABLE(login, role, requested_by, incident_id, issued_at, expires_at, active, sessions). */
  logins: 'firefighter_logins()',
  /** (p_incident_id text, p_since timestamptz, p_limit integer) RETURNS TABLE(at, action, role, login, actor,
   *  incident_id, reason, expires_at, previous_holder, sessions_ended, request_id): no secret in it. */
  history: 'firefighter_history(text, timestamp with time zone, integer)',
  /** (p_request_id bigint) RETURNS TABLE(request_id, role, requested_by, incident_id, reason, requested_at,
   *  expires_at, state ('pending' | 'approved' | 'denied' | 'used' | 'lapsed'), decided_by, decided_at): the
   *  pending read-write requests newest first, or the one named. No secret in it. */
  approvalRequests: 'firefighter_approval_requests(bigint)',
  // Part 3, sql/db_admin_holder.sql: the holder's workflow for shared roles.
  /** (p_role, p_password, p_hours, p_requested_by, p_incident_id, p_reason, p_takeover, p_end_sessions) RETURNS
   *  (outcome text ('issued' | 'reissued' | 'takeover'), expires_at, previous_holder, previous_incident_id,
   *  sessions_ended): a reissue for the holder on the same incident, otherwise set_firefighter_password; a
   *  takeover with p_end_sessions ends the previous holder's sessions on the writer before it writes anything. */
  requestPassword: 'request_firefighter_password(name, text, integer, text, text, text, boolean, boolean)',
  /** (p_role, p_requested_by, p_incident_id, p_reason, p_all boolean) RETURNS (expired_at, sessions_ended): the
   *  caller's hold for that incident (every holder's with p_all) expired by expirePassword; FF008 when they hold
   *  it for another incident, FF009 when there is nothing of theirs to revoke. */
  revokePassword: 'revoke_firefighter_password(name, text, text, text, boolean)',
  /** (p_role, p_hours, p_requested_by, p_incident_id, p_reason) RETURNS timestamptz: the holder's new expiry. */
  extendPassword: 'extend_firefighter_password(name, integer, text, text, text)',
  /** (p_role, p_requested_by, p_incident_id, p_ended integer) RETURNS text (the previous holder): audits the
   *  sessions a takeover ended. */
  recordTakeoverSessionsEnded: 'record_takeover_sessions_ended(name, text, text, integer)',
} as const;

/**
 * SQLSTATEs raised by the functions, so callers can map refusals without parsing messages.
 * Class `FF` is not used by PostgreSQL itself.
 */
export const DB_ADMIN_ERRORS = {
  roleNotAllowed: 'FF001',
  badVerifier: 'FF002',
  badHours: 'FF003',
  roleHeld: 'FF004',
  badAuditField: 'FF005',
  /** Per-person logins (class FP). */
  notPerPerson: 'FP001',
  tooManyLogins: 'FP002',
  noActiveLogin: 'FP003',
  incidentTotalUsed: 'FP004',
  noSuchApprovalRequest: 'FP005',
  selfApproval: 'FP006',
  approvalClosed: 'FP007',
  /** A reissue asked by a role whose sessions the broker cannot tell apart (lib/broker/protocol/person.ts). */
  heldByRole: 'FP008',
  /** A guardrail in db_admin.firefighter_role has no value: apply the role model again. */
  badGuardrail: 'FF006',
  /** The identity proof was used before, or its digest or lifetime is malformed. */
  proofRefused: 'FF007',
  /** A revoke for another incident than the one the caller holds the role (or login) for. */
  heldForOtherIncident: 'FF008',
  /** A revoke of what the caller does not hold (or, with all, what nobody holds). */
  nothingToRevoke: 'FF009',
} as const;

/**
 * A role's guardrails as PostgreSQL settings, each a list of values (`SET name = 'v1', 'v2'`): what the engine
 * sets with ALTER ROLE ... IN DATABASE ... SET and records in db_admin.firefighter_role.guardrails, so that
 * set_firefighter_password can set them again for each new holder. Keys in a stable order.
 */
export function guardrailSettings(g: Guardrails | undefined, slot?: LoginRoleSlot): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  // Privileges already stop writes; this also stops what PUBLIC may still do (lo_create on 16+, for one)
  // unless the session turns it off on purpose. Not a spec field: firefighterRo always has it.
  if (slot === 'firefighterRo') out.default_transaction_read_only = ['on'];
  if (!g) return out;
  if (g.statementTimeout !== undefined) out.statement_timeout = [g.statementTimeout];
  if (g.lockTimeout !== undefined) out.lock_timeout = [g.lockTimeout];
  if (g.idleInTransactionSessionTimeout !== undefined) out.idle_in_transaction_session_timeout = [g.idleInTransactionSessionTimeout];
  if (g.searchPath) out.search_path = [...g.searchPath];
  return out;
}

/**
 * The statement audit (docs/security.md, "What the firefighter did"), set on each firefighter role in its database
 * where pgaudit is loaded: every statement class (`all`: a break-glass session is short, and any class left out is
 * a question the auditor cannot answer), and never the bound parameters, which may hold secrets whatever the
 * cluster's parameter group says. Not on the password broker: its session sets passwords (as SCRAM verifiers).
 */
export const STATEMENT_AUDIT_SETTINGS: Readonly<Record<string, readonly string[]>> = {
  'pgaudit.log': ['all'],
  'pgaudit.log_parameter': ['off'],
};

/**
 * The same settings are each managed database's default (`ALTER DATABASE ... SET`), so a per-person login, which
 * db_admin's admin creates and may not give a superuser setting, is audited from its first statement: PostgreSQL
 * applies a role's setting in the database over the role's own over the database's. Every other role that
 * connects is exempted in the database with this: the password broker (its session sends SCRAM verifiers), the
 * admin, the owner, the migrator, the app, the verifier and extra roles (an application's every statement would
 * be volume, not an answer to "what did the firefighter do"), and the applying master (its sessions may carry
 * secrets that pgaudit does not redact: it hides a CREATE/ALTER ROLE password, not one in a DO block or a function's
 * arguments).
 */
export const STATEMENT_AUDIT_EXEMPT: Readonly<Record<string, readonly string[]>> = {
  'pgaudit.log': ['none'],
};

/** Audit columns' maximum lengths, enforced by the functions and by the broker before it calls them. */
export const AUDIT_LIMITS = { requestedBy: 512, incidentId: 128, reason: 1000 } as const;
