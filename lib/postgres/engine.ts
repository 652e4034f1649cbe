// The role-model engine: plan, apply and verify a spec against a cluster, as the (Aurora) master user.
// apply = inspect, fix what differs, inspect again and fail unless nothing differs any more.
// Shared machinery in engine-run.ts, errors in engine-errors.ts, the plan's text in lib/plan/render-plan.ts.
import type pg from 'pg';
import { diffCluster, majorOf } from '../drift/diff-cluster.js';
import { diffDatabase, securityDefinerWarnings } from '../drift/diff-database.js';
import { foreignServerWarnings } from '../drift/checks/diff-foreign-servers.js';
import { grantOptionWarnings } from '../drift/checks/diff-grant-options.js';
import { extraRoleWarnings } from '../drift/checks/diff-extra-roles.js';
import { unmanagedMemberWarnings } from '../drift/checks/diff-unmanaged-members.js';
import { lockoutWarnings } from '../plan/lockout.js';
import type { Finding, Step } from '../plan/plan-types.js';
import { privilegedRefusal, privilegedRoles } from '../drift/checks/privileged-roles.js';
import type { RoleModelSpec } from '../spec/spec.js';
import { parseSpec } from '../spec/validate.js';
import { asVerifier } from '../drift/verifier.js';
import { connect, inTransaction, StatementCounter, type ConnectionOptions } from './connection.js';
import { DatabaseSessions } from './database-sessions.js';
import { NeedsOperatorError, VerificationError } from './engine-errors.js';
import { dbAdminSql, DEFAULT_LOCK_WAIT, inScope, inspectAll, matrixOf, runSteps, selected, withMaintenanceLock } from './engine-run.js';
import { inspectCluster, inspectDatabase, inspectUnmanagedLogins } from './inspect.js';
import type { BlockerPolicy } from './blockers.js';
import { acquireRoleModelLock } from './lock.js';
import { publicRelianceWarnings } from './public-reliance.js';
import { verifySession } from './verify-session.js';
import { resolveModel, type RoleModel, type DatabaseModel } from '../model/model.js';

export type { ConnectionOptions } from './connection.js';
export type { Finding, Step } from '../plan/plan-types.js';
export { RoleClaimError } from '../model/role-mark.js';
export { NeedsOperatorError, StepError, VerificationError } from './engine-errors.js';
export { planSummary, renderPlan } from '../plan/render-plan.js';

export interface EngineOptions {
  /** Restrict the per-database work (create, settings, objects, verification) to these databases.
   *  Cluster-wide roles are always converged from the whole spec. @default - every database in the spec */
  readonly databases?: readonly string[];
  /** How long to wait for another apply to finish, or for a lock (a PostgreSQL interval). @default '5min' */
  readonly lockWait?: string;
  /**
   * A session of another role holding a lock a role or setting change needs (a login that left `ALTER ROLE
   * CURRENT_USER SET ...` open): false fails apply within about a second, naming it (role, pid, what it holds);
   * true waits for it up to `lockWait`, then fails naming it. Changes inside a database always wait up to
   * `lockWait` and name the blocker when the wait runs out. @default false
   */
  readonly waitForSessions?: boolean;
  /** Told the name of each phase as it starts (apply, verify), for progress lines. @default - nothing told */
  readonly progress?: (phase: string) => void;
}

export interface ApplyResult {
  /** The steps that ran, in order. Empty when the server already matched the spec. */
  readonly steps: readonly Step[];
  /** Findings before the apply (what it fixed). */
  readonly fixed: readonly Finding[];
  /** Unmanaged logins that lost CONNECT or TEMPORARY on a managed database, or privileges they had through PUBLIC, in this apply. */
  readonly warnings: readonly Finding[];
  /** The effective-access matrix the verifier saw afterwards. */
  readonly matrix: string;
  /** Statements sent to the server, inspection included. */
  readonly statementsSent: number;
}

export interface VerifyResult {
  readonly findings: readonly Finding[];
  /** What was not checked, and why (verify as the spec's verifier: what needs the admin role). */
  readonly notes?: readonly string[];
  readonly matrix: string;
  readonly statementsSent: number;
}

/** Runs work while holding the lock every apply takes, so nothing else changes the role model meanwhile. */
export async function withRoleModelLock<T>(connection: ConnectionOptions, work: () => Promise<T>, lockWait = DEFAULT_LOCK_WAIT): Promise<T> {
  return withMaintenanceLock(connection, lockWait, new StatementCounter(), () => work());
}

/** One read-only inspection of everything in scope, on fresh connections. */
async function inspectOnce(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions) {
  const model = resolveModel(parseSpec(specInput));
  const dbs = selected(model, options.databases);
  const counter = new StatementCounter();
  const sessions = new DatabaseSessions(connection, counter);
  const client = await connect(connection, undefined, counter);
  try {
    const session = await verifySession(client, model);
    return { model, dbs, counter, session, state: await inspectAll(client, model, dbs, sessions, options.progress) };
  } finally {
    await client.end().catch(() => undefined);
    await sessions.closeAll();
  }
}

/** What apply would run now, in order; changes nothing. */
export async function planRoleModel(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions = {}): Promise<Step[]> {
  return (await planWithWarnings(specInput, connection, options)).steps;
}

export interface PlanResult {
  readonly steps: Step[];
  /** Unmanaged logins apply would cut off (lose CONNECT or TEMPORARY on a managed database, or what they reach
   *  only through PUBLIC in it), each named with the objects. */
  readonly warnings: Finding[];
}

/** The plan and who it would lock out; changes nothing. */
export async function planWithWarnings(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions = {}): Promise<PlanResult> {
  const model = resolveModel(parseSpec(specInput));
  const dbs = selected(model, options.databases);
  const counter = new StatementCounter();
  const sessions = new DatabaseSessions(connection, counter);
  const client = await connect(connection, undefined, counter);
  try {
    const state = await inspectAll(client, model, dbs, sessions);
    const warnings = [...lockoutWarnings(dbs, await inspectUnmanagedLogins(client, model)), ...extraRoleWarnings(model, dbs, state.cluster), ...unmanagedMemberWarnings(model, state.cluster)];
    warnings.push(...await publicRelianceWarnings(sessions, model, dbs, state.cluster));
    warnings.push(...dbs.flatMap((db) => grantOptionWarnings(model, db, state.databases.find((f) => f.database === db.name)?.grantOptions)));
    warnings.push(...dbs.flatMap((db) => foreignServerWarnings(model, db, state.databases.find((f) => f.database === db.name)?.wide?.foreignGrants)));
    warnings.push(...dbs.flatMap((db) => securityDefinerWarnings(db, state.databases.find((f) => f.database === db.name))));
    // A role only a superuser can fix blocks apply; the plan is the remedy (issue 10.6).
    if (state.privileged.findings.length > 0) return { steps: state.privileged.steps, warnings };
    return { steps: [...state.clusterSteps, ...state.dbSteps], warnings };
  } finally {
    await client.end().catch(() => undefined);
    await sessions.closeAll();
  }
}

/** Compares the server with the spec; changes nothing. */
export async function verifyRoleModel(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions = {}): Promise<VerifyResult> {
  const { model, dbs, counter, state, session } = await inspectOnce(specInput, connection, options);
  const matrix = matrixOf(model, state.cluster, state.databases, dbs);
  if (session.kind === 'master') return { findings: state.findings, matrix, statementsSent: counter.count };
  return { ...asVerifier(model, session.user, state.findings, state.databases, dbAdminSql().marker), matrix, statementsSent: counter.count };
}

/**
 * Converges the server to the spec, then verifies it. Idempotent; safe to run concurrently (an advisory
 * lock serialises appliers). Throws VerificationError when the server still differs afterwards.
 */
export async function applyRoleModel(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions = {}): Promise<ApplyResult> {
  const model = resolveModel(parseSpec(specInput));
  const dbs = selected(model, options.databases);
  const counter = new StatementCounter();
  const lockWait = options.lockWait ?? DEFAULT_LOCK_WAIT;
  // One session per database for the whole apply: the PUBLIC-reliance check, the changes, the verification.
  const sessions = new DatabaseSessions(connection, counter);
  const progress = options.progress ?? (() => undefined);
  try {
    progress('waiting for the role-model lock');
    const blockers = { connection, waitForSessions: options.waitForSessions ?? false };
    return await withMaintenanceLock(connection, lockWait, counter, (maint) => converge(maint, model, dbs, sessions, lockWait, counter, blockers, progress));
  } finally {
    await sessions.closeAll();
  }
}

async function converge(
  maint: pg.Client, model: RoleModel, dbs: DatabaseModel[], sessions: DatabaseSessions, lockWait: string, counter: StatementCounter, blockers: BlockerPolicy,
  progress: (phase: string) => void,
): Promise<ApplyResult> {
  const ran: Step[] = [];
  const fixed: Finding[] = [];
  await assertMaySetPasswords(maint);
  // Named before anything changes: the unmanaged logins this apply cuts off.
  const warnings = lockoutWarnings(dbs, await inspectUnmanagedLogins(maint, model));

  // 1. Roles and memberships, in one transaction.
  progress('roles and memberships');
  let cluster = await inspectCluster(maint, model, sessions);
  const privileged = privilegedRoles(model, cluster);
  if (privileged.findings.length > 0) throw new NeedsOperatorError(privileged.findings, privilegedRefusal(privileged));
  warnings.push(...extraRoleWarnings(model, dbs, cluster), ...unmanagedMemberWarnings(model, cluster));
  warnings.push(...await publicRelianceWarnings(sessions, model, dbs, cluster));
  let diff = diffCluster(model, cluster);
  fixed.push(...diff.findings.filter(inScope(dbs)));
  const roleSteps = diff.steps.filter((s) => s.phase === 'roles');
  if (roleSteps.length > 0) await inTransaction(maint, () => runSteps(maint, roleSteps, blockers), true);
  ran.push(...roleSteps.filter((s) => !s.manual));

  // 2. Missing databases; CREATE DATABASE cannot run inside a transaction.
  progress('databases and their settings');
  const createSteps = diff.steps.filter((s) => s.phase === 'create-database').filter(inScope(dbs));
  await runSteps(maint, createSteps);
  ran.push(...createSteps);

  // 3. Database ownership, ACLs and role settings, from the maintenance database, in one transaction.
  if (createSteps.length > 0 || roleSteps.length > 0) {
    cluster = await inspectCluster(maint, model, sessions);
    diff = diffCluster(model, cluster);
  }
  const settingSteps = diff.steps.filter((s) => s.phase === 'database-settings').filter(inScope(dbs));
  if (settingSteps.length > 0) await inTransaction(maint, () => runSteps(maint, settingSteps, blockers), true);
  ran.push(...settingSteps);
  // A session keeps the settings its database gave it at the start (ALTER DATABASE ... SET): where apply just
  // reset some (a read-only default, a short timeout), the changes below run in a fresh session without them; and
  // where the master was just exempted from the statement audit, in a fresh session that is not audited.
  for (const f of diff.findings.filter((x) => (x.code === 'database-setting-extra' || x.code === 'master-setting') && inScope(dbs)(x))) {
    if (f.database) await sessions.close(f.database);
  }

  // 4. Inside each database: schemas, ownership, grants, default privileges, db_admin.
  const major = majorOf(cluster);
  const admin = dbAdminSql();
  for (const db of dbs) {
    progress(`objects in database "${db.name}"`);
    const client = await sessions.get(db.name);
    await inTransaction(client, async () => {
      await client.query('SELECT pg_catalog.set_config($1, $2, true)', ['lock_timeout', lockWait]);
      await acquireRoleModelLock(client, { lockWait, transaction: true });
      const facts = await inspectDatabase(client, model, db, major, true);
      const dbDiff = diffDatabase({ model, db, major, facts, dbAdminSql: admin.sql, dbAdminMarker: admin.marker });
      const blocked = dbDiff.steps.filter((s) => s.manual && s.blocking);
      if (blocked.length > 0) throw new NeedsOperatorError(dbDiff.findings, `apply stopped before changing "${db.name}": ${blocked.map((s) => `${s.reason}:\n  ${s.sql}`).join('\n')}`);
      fixed.push(...dbDiff.findings);
      warnings.push(...grantOptionWarnings(model, db, facts.grantOptions), ...foreignServerWarnings(model, db, facts.wide?.foreignGrants),
        ...securityDefinerWarnings(db, facts));
      await runSteps(client, dbDiff.steps, { ...blockers, waitForSessions: true });
      ran.push(...dbDiff.steps);
    }, true);
  }

  // 5. Verify what the server now grants, exactly as `verify` would.
  progress('verifying');
  const after = await inspectAll(maint, model, dbs, sessions, progress);
  const matrix = matrixOf(model, after.cluster, after.databases, dbs);
  if (after.findings.length > 0) throw new VerificationError(after.findings, matrix);
  return { steps: ran, fixed, warnings, matrix, statementsSent: counter.count };
}

/**
 * With Aurora's `rds.restrict_password_commands` on, only members of `rds_password` may run the password and
 * `VALID UNTIL` statements apply runs for the spec's roles. Checked before anything changes, so an apply run as a
 * role without it stops here, naming the fix, instead of half way through. The setting is read as the session
 * sees it (a role or database setting counts too); missing means off (not Aurora).
 */
async function assertMaySetPasswords(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ restricted: string | null; exists: boolean; member: boolean | null; who: string }>(
    `SELECT pg_catalog.current_setting('rds.restrict_password_commands', true) AS restricted,
            pg_catalog.to_regrole('rds_password') IS NOT NULL AS exists,
            CASE WHEN pg_catalog.to_regrole('rds_password') IS NOT NULL
                 THEN pg_catalog.pg_has_role(CURRENT_USER, 'rds_password', 'MEMBER') END AS member,
            CURRENT_USER AS who`,
  );
  const row = rows[0];
  if (!row || !['on', 'true', '1', 'yes'].includes((row.restricted ?? '').toLowerCase())) return;
  if (row.member === true) return;
  throw new Error(`rds.restrict_password_commands is on and ${row.who} is not a member of rds_password${row.exists ? '' : ' (no such role here)'}, so the password and VALID UNTIL statements of this apply would fail half way; nothing was changed. Run apply as the master user (a member of rds_superuser, which holds rds_password), or have the master run GRANT rds_password TO "${row.who.replace(/"/g, '""')}"`);
}
