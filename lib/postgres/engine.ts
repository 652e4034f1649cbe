// The role-model engine: plan, apply and verify a spec against a cluster, as the (Aurora) master user.
// apply = inspect, fix what differs, inspect again and fail unless nothing differs any more.
import type pg from 'pg';
import { diffCluster, majorOf } from '../core/diff-cluster.js';
import { diffDatabase } from '../core/diff-database.js';
import type { ClusterFacts, DatabaseObjectFacts } from '../core/facts.js';
import { extraRoleWarnings } from '../core/diff-extra-roles.js';
import { lockoutWarnings } from '../core/lockout.js';
import { renderMatrix } from '../core/matrix.js';
import { tablePrivileges } from '../core/model.js';
import type { Finding, Step } from '../core/plan-types.js';
import type { DatabaseSpec, RoleModelSpec } from '../core/spec.js';
import { quoteIdent } from '../core/sql-text.js';
import { parseSpec } from '../core/validate.js';
import { asVerifier } from '../core/verifier.js';
import { verifySession } from './verify-session.js';
import { privilegedRefusal, privilegedRoles, withPrivilegedFindings } from '../core/privileged-roles.js';
import { connect, inTransaction, StatementCounter, type ConnectionOptions } from './connection.js';
import { inspectCluster, inspectDatabase, inspectUnmanagedLogins } from './inspect.js';
import { acquireRoleModelLock, releaseRoleModelLock } from './lock.js';
import { publicRelianceWarnings } from './public-reliance.js';
import { dbAdminMarker, dbAdminText } from './sql-files.js';

export type { ConnectionOptions } from './connection.js';
export type { Finding, Step } from '../core/plan-types.js';
export { RoleClaimError } from '../core/role-mark.js';

const DEFAULT_LOCK_WAIT = '5min';

export interface EngineOptions {
  /** Restrict the per-database work (create, settings, objects, verification) to these databases.
   *  Cluster-wide roles are always converged from the whole spec. @default - every database in the spec */
  readonly databases?: readonly string[];
  /** How long to wait for another apply to finish (a PostgreSQL interval). @default '5min' */
  readonly lockWait?: string;
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

export class VerificationError extends Error {
  constructor(readonly findings: readonly Finding[], readonly matrix: string) {
    super(`role model does not match the spec (${findings.length} finding${findings.length === 1 ? '' : 's'}):\n${findings.map((f) => `  - ${f.message}`).join('\n')}`);
    this.name = 'VerificationError';
  }
}

/** Apply refused before changing anything: only a superuser (on Aurora: AWS) can fix what it found. */
export class NeedsOperatorError extends VerificationError {
  constructor(findings: readonly Finding[], message: string) {
    super(findings, '');
    this.message = message;
    this.name = 'NeedsOperatorError';
  }
}

export class StepError extends Error {
  constructor(readonly step: Step, cause: unknown) {
    const firstLine = step.sql.split('\n')[0] ?? '';
    super(`${step.phase}${step.database ? ` in "${step.database}"` : ''}${step.runAs ? ` as ${step.runAs}` : ''} failed: ${(cause as Error).message}\n  while: ${step.reason}\n  statement: ${firstLine}${step.sql.includes('\n') ? ' ...' : ''}`, { cause });
    this.name = 'StepError';
  }
}

function selected(spec: RoleModelSpec, options: EngineOptions): DatabaseSpec[] {
  if (!options.databases) return [...spec.databases];
  for (const name of options.databases) {
    if (!spec.databases.some((d) => d.name === name)) throw new Error(`database "${name}" is not in the spec; choose one of ${spec.databases.map((d) => d.name).join(', ')}`);
  }
  return spec.databases.filter((d) => options.databases?.includes(d.name));
}

function inScope(dbs: DatabaseSpec[]) {
  const names = new Set(dbs.map((d) => d.name));
  return (x: { database?: string }) => x.database === undefined || names.has(x.database);
}

function dbAdminSql(): { sql: string; marker: string } {
  // Part 2 (per-person logins) builds on part 1's tables and helpers; one marker covers both.
  const sql = dbAdminText();
  return { sql, marker: dbAdminMarker(sql) };
}

async function runSteps(client: pg.Client, steps: readonly Step[]): Promise<void> {
  let role: string | undefined;
  for (const step of steps) {
    if (step.manual) continue;
    try {
      if (step.runAs !== role) {
        await client.query(step.runAs ? `SET ROLE ${quoteIdent(step.runAs)}` : 'RESET ROLE');
        role = step.runAs;
      }
      await client.query(step.sql);
    } catch (error) {
      throw new StepError(step, error);
    }
  }
  if (role) await client.query('RESET ROLE');
}

async function withMaintenanceLock<T>(connection: ConnectionOptions, lockWait: string, counter: StatementCounter, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(connection, undefined, counter);
  try {
    await client.query('SELECT pg_catalog.set_config($1, $2, false)', ['lock_timeout', lockWait]);
    // 16+: a cluster or the master may carry createrole_self_grant = 'set, inherit'; the master would then inherit
    // every role it creates, the rds_iam ones too, and Aurora would accept only an IAM token for it.
    await client.query(`SELECT pg_catalog.set_config('createrole_self_grant', '', false)
      WHERE pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 160000`);
    await acquireRoleModelLock(client, { lockWait, transaction: false });
    try {
      return await work(client);
    } finally {
      await releaseRoleModelLock(client).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs work while holding the lock every apply takes, so nothing else changes the role model meanwhile. */
export async function withRoleModelLock<T>(connection: ConnectionOptions, work: () => Promise<T>, lockWait = DEFAULT_LOCK_WAIT): Promise<T> {
  return withMaintenanceLock(connection, lockWait, new StatementCounter(), () => work());
}

/** Inspects everything in scope and diffs it: the shared core of plan, apply and verify. */
async function inspectAll(maint: pg.Client, spec: RoleModelSpec, dbs: DatabaseSpec[], connection: ConnectionOptions, counter: StatementCounter) {
  const cluster = await inspectCluster(maint, spec);
  const major = majorOf(cluster);
  const clusterDiff = diffCluster(spec, cluster);
  const admin = dbAdminSql();
  const databases: DatabaseObjectFacts[] = [];
  const findings: Finding[] = clusterDiff.findings.filter(inScope(dbs));
  const dbSteps: Step[] = [];
  for (const db of dbs) {
    const exists = cluster.databases.some((d) => d.name === db.name);
    let facts: DatabaseObjectFacts | undefined;
    if (exists) {
      const client = await connect(connection, db.name, counter);
      try {
        facts = await inspectDatabase(client, spec, db, major, false);
      } finally {
        await client.end().catch(() => undefined);
      }
      databases.push(facts);
    }
    const diff = diffDatabase({ spec, db, major, facts, dbAdminSql: admin.sql, dbAdminMarker: admin.marker });
    findings.push(...diff.findings);
    dbSteps.push(...diff.steps);
  }
  const privileged = privilegedRoles(spec, cluster);
  return { cluster, major, clusterSteps: clusterDiff.steps.filter(inScope(dbs)), dbSteps, findings: withPrivilegedFindings(privileged, findings), databases, privileged };
}

function matrixOf(spec: RoleModelSpec, cluster: ClusterFacts, databases: DatabaseObjectFacts[], dbs: DatabaseSpec[]): string {
  const scoped = { ...spec, databases: dbs };
  return renderMatrix(scoped, cluster, databases, tablePrivileges(majorOf(cluster)));
}

/** One read-only inspection of everything in scope, on a fresh connection. */
async function inspectOnce(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions) {
  const spec = parseSpec(specInput);
  const dbs = selected(spec, options);
  const counter = new StatementCounter();
  const client = await connect(connection, undefined, counter);
  try {
    const session = await verifySession(client, spec);
    return { spec, dbs, counter, session, state: await inspectAll(client, spec, dbs, connection, counter) };
  } finally {
    await client.end().catch(() => undefined);
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
  const spec = parseSpec(specInput);
  const dbs = selected(spec, options);
  const counter = new StatementCounter();
  const client = await connect(connection, undefined, counter);
  try {
    const state = await inspectAll(client, spec, dbs, connection, counter);
    const warnings = [...lockoutWarnings(dbs, await inspectUnmanagedLogins(client, spec)), ...extraRoleWarnings(spec, dbs, state.cluster)];
    warnings.push(...await publicRelianceWarnings(connection, counter, spec, dbs, state.cluster));
    // A role only a superuser can fix blocks apply; the plan is the remedy (issue 10.6).
    if (state.privileged.findings.length > 0) return { steps: state.privileged.steps, warnings };
    return { steps: [...state.clusterSteps, ...state.dbSteps], warnings };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Compares the server with the spec; changes nothing. */
export async function verifyRoleModel(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions = {}): Promise<VerifyResult> {
  const { spec, dbs, counter, state, session } = await inspectOnce(specInput, connection, options);
  const matrix = matrixOf(spec, state.cluster, state.databases, dbs);
  if (session.kind === 'master') return { findings: state.findings, matrix, statementsSent: counter.count };
  return { ...asVerifier(spec, session.user, state.findings, state.databases, dbAdminSql().marker), matrix, statementsSent: counter.count };
}

/**
 * Converges the server to the spec, then verifies it. Idempotent; safe to run concurrently (an advisory
 * lock serialises appliers). Throws VerificationError when the server still differs afterwards.
 */
export async function applyRoleModel(specInput: RoleModelSpec, connection: ConnectionOptions, options: EngineOptions = {}): Promise<ApplyResult> {
  const spec = parseSpec(specInput);
  const dbs = selected(spec, options);
  const counter = new StatementCounter();
  const lockWait = options.lockWait ?? DEFAULT_LOCK_WAIT;
  return withMaintenanceLock(connection, lockWait, counter, async (maint) => {
    const ran: Step[] = [];
    const fixed: Finding[] = [];
    // Named before anything changes: the unmanaged logins this apply cuts off.
    const warnings = lockoutWarnings(dbs, await inspectUnmanagedLogins(maint, spec));

    // 1. Roles and memberships, in one transaction.
    let cluster = await inspectCluster(maint, spec);
    const privileged = privilegedRoles(spec, cluster);
    if (privileged.findings.length > 0) throw new NeedsOperatorError(privileged.findings, privilegedRefusal(privileged));
    warnings.push(...extraRoleWarnings(spec, dbs, cluster));
    warnings.push(...await publicRelianceWarnings(connection, counter, spec, dbs, cluster));
    let diff = diffCluster(spec, cluster);
    fixed.push(...diff.findings.filter(inScope(dbs)));
    const roleSteps = diff.steps.filter((s) => s.phase === 'roles');
    if (roleSteps.length > 0) await inTransaction(maint, () => runSteps(maint, roleSteps));
    ran.push(...roleSteps.filter((s) => !s.manual));

    // 2. Missing databases; CREATE DATABASE cannot run inside a transaction.
    const createSteps = diff.steps.filter((s) => s.phase === 'create-database').filter(inScope(dbs));
    await runSteps(maint, createSteps);
    ran.push(...createSteps);

    // 3. Database ownership, ACLs and role settings, from the maintenance database, in one transaction.
    if (createSteps.length > 0 || roleSteps.length > 0) {
      cluster = await inspectCluster(maint, spec);
      diff = diffCluster(spec, cluster);
    }
    const settingSteps = diff.steps.filter((s) => s.phase === 'database-settings').filter(inScope(dbs));
    if (settingSteps.length > 0) await inTransaction(maint, () => runSteps(maint, settingSteps));
    ran.push(...settingSteps);

    // 4. Inside each database: schemas, ownership, grants, default privileges, db_admin.
    const major = majorOf(cluster);
    const admin = dbAdminSql();
    for (const db of dbs) {
      const client = await connect(connection, db.name, counter);
      try {
        await inTransaction(client, async () => {
          await client.query('SELECT pg_catalog.set_config($1, $2, true)', ['lock_timeout', lockWait]);
          await acquireRoleModelLock(client, { lockWait, transaction: true });
          const facts = await inspectDatabase(client, spec, db, major, true);
          const dbDiff = diffDatabase({ spec, db, major, facts, dbAdminSql: admin.sql, dbAdminMarker: admin.marker });
          fixed.push(...dbDiff.findings);
          await runSteps(client, dbDiff.steps);
          ran.push(...dbDiff.steps);
        });
      } finally {
        await client.end().catch(() => undefined);
      }
    }

    // 5. Verify what the server now grants, exactly as `verify` would.
    const after = await inspectAll(maint, spec, dbs, connection, counter);
    const matrix = matrixOf(spec, after.cluster, after.databases, dbs);
    if (after.findings.length > 0) throw new VerificationError(after.findings, matrix);
    return { steps: ran, fixed, warnings, matrix, statementsSent: counter.count };
  });
}

/** One line that says what a plan does, e.g. `-- plan: 12 statements (roles 4, database settings 3, objects in "my-pg-db" 5)`. */
export function planSummary(steps: readonly Step[]): string {
  if (steps.length === 0) return '-- nothing to do: the server matches the spec';
  const parts = new Map<string, number>();
  for (const s of steps) {
    const key = s.phase === 'database-objects' ? `objects in "${s.database ?? ''}"` : s.phase.replace('-', ' ');
    parts.set(key, (parts.get(key) ?? 0) + 1);
  }
  return `-- plan: ${steps.length} statement${steps.length === 1 ? '' : 's'} (${[...parts].map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

/** Renders steps as a SQL script a DBA can read (the output of `rolemodel plan`): a summary line first; long
 *  statements with a `brief` (the db_admin.sql install) as that one line unless verbose. */
export function renderPlan(steps: readonly Step[], options: { verbose?: boolean } = {}): string {
  if (steps.length === 0) return `${planSummary(steps)}\n`;
  const out: string[] = [planSummary(steps)];
  let context = '';
  for (const step of steps) {
    const where = `${step.phase}${step.database ? ` in database "${step.database}"` : ''}`;
    if (where !== context) {
      out.push('', `-- ${where}${step.phase === 'create-database' ? ' (outside a transaction)' : ''}`);
      if (step.database && step.phase === 'database-objects') out.push(`\\connect ${quoteIdent(step.database)}`);
      context = where;
    }
    out.push(`-- ${step.reason}`);
    if (step.manual) {
      out.push(`-- (apply does not run this; run it yourself if you mean it) ${step.sql};`);
      continue;
    }
    if (step.runAs) out.push(`SET ROLE ${quoteIdent(step.runAs)};`);
    out.push(step.brief && !options.verbose ? step.brief : `${step.sql};`);
    if (step.runAs) out.push('RESET ROLE;');
  }
  return `${out.join('\n').trim()}\n`;
}
