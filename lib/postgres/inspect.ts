// Runs the read-only inspection queries and returns plain facts for the core to compare.
import type pg from 'pg';
import { DB_ADMIN_FUNCTIONS } from '../model/db-admin.js';
import { sameSignature } from '../drift/checks/diff-db-admin.js';
import type { GrantOptionFacts } from '../drift/object-facts.js';
import type { WidePrivilegeFacts } from '../drift/object-facts.js';
import type { ClusterFacts, DatabaseObjectFacts } from '../drift/facts.js';
import type { ExtraRoleFacts } from '../drift/checks/diff-extra-roles.js';
import { privilegeQuestions } from '../drift/checks/privilege-names.js';
import type { PrivilegeNames } from '../drift/object-facts.js';
import type { UnmanagedLoginFacts } from '../plan/lockout.js';
import { tablePrivileges, type RoleModel, type DatabaseModel } from '../model/model.js';
import { DB_ADMIN_SCHEMA } from '../spec/spec.js';
import { quoteIdent } from '../plan/sql-text.js';
import { dbAdminPrints } from './db-admin-drift.js';
import { inspectIssuedLogins, type DatabaseClients } from './inspect-logins.js';
import { inspectFirefighterPasswords } from './inspect-passwords.js';
import { dbAdminText, readSql } from './sql-files.js';

/** `sessions`: the managed databases' sessions, to read which group members db_admin issued (inspect-logins.ts). */
export async function inspectCluster(client: pg.Client, model: RoleModel, sessions?: DatabaseClients): Promise<ClusterFacts & ExtraRoleFacts> {
  // keepConnect roles are inspected too (existence, effective CONNECT), though never managed.
  const roles = [...new Set([...model.managedNames, ...model.databases.flatMap((d) => d.keepConnect ?? [])])];
  const databases = model.databases.map((d) => d.name);
  const { rows } = await client.query<{ facts: ClusterFacts }>(readSql('inspect-cluster.sql'), [roles, databases]);
  const facts = rows[0]?.facts;
  const extra = (await client.query<{ facts: Pick<ClusterFacts, 'roleComments' | 'wideSettings' | 'databaseSettings' | 'databaseOwnerUsable'> }>(readSql('inspect-marks-settings.sql'), [roles, databases])).rows[0]?.facts;
  const extraRoles = model.databases.flatMap((d) => d.extraRoles ?? []);
  // No round trip for a spec without extra roles: the statement count of such a spec stays what it was.
  const members = extraRoles.length === 0 ? { extraRoleMembers: [], existingMembers: [] }
    : (await client.query<{ facts: ExtraRoleFacts }>(readSql('inspect-extra-roles.sql'), [extraRoles.map((x) => x.name), extraRoles.flatMap((x) => x.members ?? [])])).rows[0]?.facts;
  if (!facts || !extra || !members) throw new Error('cluster inspection returned nothing');
  const cluster = { ...facts, ...extra, ...members };
  return sessions ? { ...cluster, issuedLogins: await inspectIssuedLogins(cluster, model, sessions) } : cluster;
}

/** Unmanaged logins with CONNECT or TEMPORARY on a managed database (see sql/inspect-unmanaged-logins.sql). */
export async function inspectUnmanagedLogins(client: pg.Client, model: RoleModel): Promise<UnmanagedLoginFacts[]> {
  const roles = [...model.managedNames];
  const { rows } = await client.query<{ logins: UnmanagedLoginFacts[] }>(readSql('inspect-unmanaged-logins.sql'), [roles, model.databases.map((d) => d.name)]);
  return rows[0]?.logins ?? [];
}

export async function inspectDatabase(
  client: pg.Client, model: RoleModel, db: DatabaseModel, major: number, inTransaction: boolean,
): Promise<DatabaseObjectFacts> {
  const roles = db.checked.map((r) => r.name);
  const { rows } = await client.query<{ facts: DatabaseObjectFacts }>(readSql('inspect-database.sql'), [
    db.schemas, roles, quoteIdent(db.roles.owner.name), quoteIdent(model.admin.name), tablePrivileges(major),
  ]);
  const facts = rows[0]?.facts;
  if (!facts) throw new Error(`inspection of "${db.name}" returned nothing`);
  const wide = (await client.query<{ facts: WidePrivilegeFacts }>(readSql('inspect-wide-privileges.sql'), [db.schemas, roles, model.admin.name])).rows[0]?.facts;
  const grantOptions = (await client.query<{ facts: GrantOptionFacts }>(readSql('inspect-grant-options.sql'), [[...model.managedNames], db.schemas])).rows[0]?.facts;
  // Names are for the reader of plan and verify; apply (in its transaction) fixes by schema and need not pay
  // for a pass over every object (about 3 s of a 10,000-table adoption on a loaded machine).
  const questions = inTransaction ? [] : privilegeQuestions(model, db, major, facts);
  const privilegeNames = questions.length === 0 ? undefined : (await client.query<{ names: PrivilegeNames[] }>(readSql('inspect-privilege-names.sql'), [
    questions.map((q) => q.schema), questions.map((q) => q.role), questions.map((q) => q.objectClass),
    questions.map((q) => q.missing.join(',')), questions.map((q) => q.extra.join(',')),
  ])).rows[0]?.names;
  const contract = Object.values(DB_ADMIN_FUNCTIONS).map((s) => `${DB_ADMIN_SCHEMA}.${s}`);
  const missingRoutines = facts.dbAdmin.exists ? contract.filter((c) => !facts.dbAdmin.executors.some((e) => sameSignature(e.routine, c))) : [];
  const allowlist = await readAllowlist(client, model, facts, inTransaction);
  const compared = facts.dbAdmin.exists ? await compareWithFiles(client, model, db, inTransaction) : {};
  const firefighterPasswords = await inspectFirefighterPasswords(client, model, db, inTransaction);
  return { ...facts, ...(wide ? { wide } : {}), ...(grantOptions ? { grantOptions } : {}), ...(privilegeNames ? { privilegeNames } : {}), firefighterPasswords, dbAdmin: { ...facts.dbAdmin, missingRoutines, firefighterRoles: allowlist.roles, ...(allowlist.policies ? { loginPolicies: allowlist.policies } : {}), ...compared } };
}

/** The installed db_admin and a rolled-back fresh install of the files, described alike (issue 8, item 6). */
async function compareWithFiles(client: pg.Client, model: RoleModel, db: DatabaseModel, inTransaction: boolean): Promise<Pick<DatabaseObjectFacts['dbAdmin'], 'prints' | 'printError'>> {
  try {
    return { prints: await dbAdminPrints(client, dbAdminText(), db.roles.owner.name, model.admin.name, inTransaction) };
  } catch (error) {
    // What the server refused (a permission, an object the files expect) is a fact verify reports; a lost
    // connection, a cancel, a deadlock or a resource limit is an error, never drift (issue 8.11).
    const code = (error as { code?: unknown }).code;
    // A hot standby cannot run the rolled-back install: nothing to compare there, the writer's verify does it.
    if (!inTransaction && (code === '25006' || code === '0A000')
      && (await client.query<{ r: boolean }>('SELECT pg_catalog.pg_is_in_recovery() AS r')).rows[0]?.r) return {};
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !TRANSIENT_CLASSES.has(code.slice(0, 2))) return { printError: (error as Error).message };
    throw error;
  }
}

/** SQLSTATE classes: connection exception, transaction rollback, insufficient resources, operator intervention, system. */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58', 'XX']);

type LoginPolicies = NonNullable<DatabaseObjectFacts['dbAdmin']['loginPolicies']>;
const POLICIES = `SELECT role::pg_catalog.text AS role, max_logins AS "maxLogins", connection_limit AS "connectionLimit", approval,
  incident_minutes AS "incidentMinutes", approval_minutes AS "approvalMinutes" FROM ${DB_ADMIN_SCHEMA}.firefighter_login_policy ORDER BY role`;

/** SQLSTATEs of an allowlist admin cannot read: no SET ROLE admin (42501, 22023), no table or column yet. */
const UNREADABLE = new Set(['42501', '22023', '42P01', '42703', '42704']);

/** The allowlist table belongs to admin; read it as admin, in a read-only transaction. */
async function readAllowlist(
  client: pg.Client, model: RoleModel, facts: DatabaseObjectFacts, inTransaction: boolean,
): Promise<{ roles: DatabaseObjectFacts['dbAdmin']['firefighterRoles']; policies?: LoginPolicies }> {
  if (!facts.dbAdmin.exists) return { roles: [] };
  await client.query(inTransaction ? 'SAVEPOINT read_allowlist' : 'BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL ROLE ${quoteIdent(model.admin.name)}`);
    const exists = await client.query<{ ok: boolean }>(`SELECT pg_catalog.to_regclass('${DB_ADMIN_SCHEMA}.firefighter_role') IS NOT NULL AS ok`);
    if (!exists.rows[0]?.ok) return { roles: [] };
    // to_jsonb(f) reads the guardrails column when an older db_admin does not have it yet.
    const { rows } = await client.query<{ role: string; access: string; guardrails: Record<string, string[]> | null; incidentMinutes: number | null }>(
      `SELECT f.role::pg_catalog.text AS role, f.access, pg_catalog.to_jsonb(f) OPERATOR(pg_catalog.->) 'guardrails' AS guardrails,
              (pg_catalog.to_jsonb(f) OPERATOR(pg_catalog.->>) 'incident_minutes')::pg_catalog.int4 AS "incidentMinutes"
         FROM ${DB_ADMIN_SCHEMA}.firefighter_role f ORDER BY f.role`);
    const policyTable = await client.query<{ ok: boolean }>(`SELECT pg_catalog.to_regclass('${DB_ADMIN_SCHEMA}.firefighter_login_policy') IS NOT NULL AS ok`);
    if (!policyTable.rows[0]?.ok) return { roles: rows };
    return { roles: rows, policies: (await client.query<LoginPolicies[number]>(POLICIES)).rows };
  } catch (error) {
    // Only "admin cannot read it" is a fact (verify then reports the allowlist as drift); a lost connection or a
    // cancelled statement is an error: reporting it as drift would send someone to fix what is not broken.
    if (UNREADABLE.has((error as { code?: unknown }).code as string)) return { roles: [] };
    throw error;
  } finally {
    await client.query(inTransaction ? 'ROLLBACK TO SAVEPOINT read_allowlist' : 'ROLLBACK').catch(() => undefined);
  }
}
