// The engine's shared machinery: the databases in scope, the maintenance session under the role-model lock,
// running steps, and the inspection that plan, apply and verify share.
import type pg from 'pg';
import { diffCluster, majorOf } from '../drift/diff-cluster.js';
import { diffDatabase } from '../drift/diff-database.js';
import type { ClusterFacts, DatabaseObjectFacts } from '../drift/facts.js';
import { renderMatrix } from '../drift/matrix.js';
import { tablePrivileges, type RoleModel, type DatabaseModel } from '../model/model.js';
import type { Finding, Step } from '../plan/plan-types.js';
import { privilegedRoles, withPrivilegedFindings } from '../drift/checks/privileged-roles.js';
import { quoteIdent } from '../plan/sql-text.js';
import { connect, describeTarget, type ConnectionOptions, type StatementCounter } from './connection.js';
import type { DatabaseSessions } from './database-sessions.js';
import { StepError } from './engine-errors.js';
import { inspectCluster, inspectDatabase } from './inspect.js';
import { watchedQuery, type BlockerPolicy } from './blockers.js';
import { acquireRoleModelLock, releaseRoleModelLock } from './lock.js';
import { dbAdminMarker, dbAdminText } from './sql-files.js';

export const DEFAULT_LOCK_WAIT = '5min';

/** The spec's databases, or the ones named (each must be in the spec). */
export function selected(model: RoleModel, databases: readonly string[] | undefined): DatabaseModel[] {
  if (!databases) return [...model.databases];
  for (const name of databases) {
    if (!model.databases.some((d) => d.name === name)) throw new Error(`database "${name}" is not in the spec; choose one of ${model.databases.map((d) => d.name).join(', ')}`);
  }
  return model.databases.filter((d) => databases.includes(d.name));
}

export function inScope(dbs: DatabaseModel[]) {
  const names = new Set(dbs.map((d) => d.name));
  return (x: { database?: string }) => x.database === undefined || names.has(x.database);
}

export function dbAdminSql(): { sql: string; marker: string } {
  // Part 2 (per-person logins) builds on part 1's tables and helpers; one marker covers both.
  const sql = dbAdminText();
  return { sql, marker: dbAdminMarker(sql) };
}

export async function runSteps(client: pg.Client, steps: readonly Step[], blockers?: BlockerPolicy): Promise<void> {
  let role: string | undefined;
  for (const step of steps) {
    if (step.manual) continue;
    try {
      if (step.runAs !== role) {
        await client.query(step.runAs ? `SET ROLE ${quoteIdent(step.runAs)}` : 'RESET ROLE');
        role = step.runAs;
      }
      await watchedQuery(client, step.sql, blockers);
    } catch (error) {
      throw new StepError(step, error);
    }
  }
  if (role) await client.query('RESET ROLE');
}

export async function withMaintenanceLock<T>(connection: ConnectionOptions, lockWait: string, counter: StatementCounter, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(connection, undefined, counter);
  try {
    await client.query('SELECT pg_catalog.set_config($1, $2, false)', ['lock_timeout', lockWait]);
    // 16+: a cluster or the master may carry createrole_self_grant = 'set, inherit'; the master would then inherit
    // every role it creates, the rds_iam ones too, and Aurora would accept only an IAM token for it.
    await client.query(`SELECT pg_catalog.set_config('createrole_self_grant', '', false)
      WHERE pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 160000`);
    // A hot standby (an Aurora reader) accepts the lock and every read, then fails the first change: say so first.
    const standby = (await client.query<{ standby: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS standby')).rows[0]?.standby;
    if (standby) throw new Error(`${describeTarget(connection, undefined)} is a hot standby (read-only): nothing was changed; run apply against the writer (the cluster endpoint), verify may run here`);
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

/** Inspects everything in scope and diffs it: the shared core of plan, apply and verify. */
export async function inspectAll(maint: pg.Client, model: RoleModel, dbs: DatabaseModel[], sessions: DatabaseSessions, progress?: (phase: string) => void) {
  progress?.('inspecting the cluster');
  const cluster = await inspectCluster(maint, model, sessions);
  const major = majorOf(cluster);
  const clusterDiff = diffCluster(model, cluster);
  const admin = dbAdminSql();
  const databases: DatabaseObjectFacts[] = [];
  const findings: Finding[] = clusterDiff.findings.filter(inScope(dbs));
  const dbSteps: Step[] = [];
  for (const db of dbs) {
    const exists = cluster.databases.some((d) => d.name === db.name);
    let facts: DatabaseObjectFacts | undefined;
    if (exists) {
      progress?.(`inspecting database "${db.name}"`);
      facts = await inspectDatabase(await sessions.get(db.name), model, db, major, false);
      databases.push(facts);
    }
    const diff = diffDatabase({ model, db, major, facts, dbAdminSql: admin.sql, dbAdminMarker: admin.marker });
    findings.push(...diff.findings);
    dbSteps.push(...diff.steps);
  }
  const privileged = privilegedRoles(model, cluster);
  return { cluster, major, clusterSteps: clusterDiff.steps.filter(inScope(dbs)), dbSteps, findings: withPrivilegedFindings(privileged, findings), databases, privileged };
}

export function matrixOf(model: RoleModel, cluster: ClusterFacts, databases: DatabaseObjectFacts[], dbs: DatabaseModel[]): string {
  const scoped = { ...model, databases: dbs };
  return renderMatrix(scoped, cluster, databases, tablePrivileges(majorOf(cluster)));
}
