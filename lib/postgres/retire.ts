// Retires the managed roles of one database (the RoleModel custom resource's Delete under DESTROY).
// Order matters and every step checks state first, so a retried Delete finishes what a failed one started:
//   1. logins refused (NOLOGIN) so no new session appears while we work, then this instance's sessions ended;
//   2. the master gains the roles' privileges (needed for REASSIGN OWNED and for CONNECT to the database),
//      never those of rds_iam: the roles leave rds_iam first (Aurora would refuse the master's password);
//   3. the database is dropped only when explicitly asked; otherwise everything the roles own is reassigned
//      to the master, so tables and their data stay, and every privilege held by the roles is dropped,
//      in each database where the catalog says they hold something;
//   4. the roles are dropped. Cluster-level roles (admin, password broker) are shared and stay.
// Per-person firefighter logins (`<group>_<6 hex>`, made members of this database's firefighter groups by the
// admin role through db_admin) go the same way, first: their sessions ended, what they own reassigned, dropped.
// Only roles marked as created by this spec for this database are touched (lib/model/role-mark.ts), and only
// the spec's databases: a role that owns or holds anything elsewhere is made NOLOGIN and kept, with the reason.
import type pg from 'pg';
import { perPersonLoginMatcher } from '../drift/checks/diff-memberships.js';
import { describeMark, parseMark } from '../model/role-mark.js';
import { quoteIdent, quoteIdents } from '../plan/sql-text.js';
import { LOGIN_ROLE_SLOTS, LOGIN_SUFFIX_BYTES, type RoleModelSpec } from '../spec/spec.js';
import { connect, type ConnectionOptions } from './connection.js';
import { withRoleModelLock } from './engine.js';

export interface RetireOptions {
  /** Drop the database and all its data. Only when the user explicitly asked. */
  readonly dropDatabase: boolean;
}

export interface KeptRole {
  readonly role: string;
  readonly reason: string;
}

export interface RetireResult {
  readonly rolesDropped: string[];
  /** Roles of the database that retire left alone, and why (not created by this spec, or used elsewhere). */
  readonly rolesKept: KeptRole[];
  readonly sessionsEnded: number;
  readonly databaseDropped: boolean;
  /** Databases in which ownership was reassigned and privileges dropped. */
  readonly cleanedDatabases: string[];
}

/** The roles of one database, members before the owner so memberships never block a drop. */
export function databaseRoleNames(spec: RoleModelSpec, database: string): string[] {
  const db = spec.databases.find((d) => d.name === database);
  if (!db) throw new Error(`database "${database}" is not in the spec (${spec.databases.map((d) => d.name).join(', ')}); nothing to retire`);
  return [...(db.extraRoles ?? []).map((x) => x.name), ...[...LOGIN_ROLE_SLOTS].reverse().map((slot) => db.roles[slot].name), db.roles.owner.name];
}

export async function withClient<T>(options: ConnectionOptions, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(options, database);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Retires under the apply lock, so a concurrent apply cannot recreate what is being dropped. */
export async function retireDatabaseRoles(spec: RoleModelSpec, database: string, connection: ConnectionOptions, options: RetireOptions): Promise<RetireResult> {
  return withRoleModelLock(connection, () => retireUnlocked(spec, database, connection, options));
}

export interface Candidate {
  readonly role: string;
  readonly login: boolean;
  readonly member: boolean;
  /** A per-person login: admin created it and holds ADMIN OPTION on it (16+), so admin lends it to the master. */
  readonly personLogin?: boolean;
}

/** Which of the database's roles retire may touch: only those this spec's engine created for this database. */
export async function candidates(client: pg.Client, spec: RoleModelSpec, database: string, wanted: readonly string[]): Promise<{ ours: Candidate[]; kept: KeptRole[] }> {
  const { rows } = await client.query<{ role: string; comment: string | null; login: boolean; member: boolean }>(
    `SELECT r.rolname AS role, pg_catalog.shobj_description(r.oid, 'pg_authid') AS comment, r.rolcanlogin AS login,
            pg_catalog.pg_has_role(current_user, r.oid, 'USAGE') AS member
       FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])`,
    [wanted],
  );
  const ours: Candidate[] = [];
  const kept: KeptRole[] = [];
  for (const name of wanted) {
    const row = rows.find((r) => r.role === name);
    if (!row) continue;
    const mark = parseMark(row.comment);
    if (mark && mark.cluster === spec.cluster && mark.databases.length === 1 && mark.databases[0] === database) {
      ours.push({ role: name, login: row.login, member: row.member });
    } else {
      kept.push({ role: name, reason: mark ? `it belongs to ${describeMark(mark)}` : 'cdk-aurora-firefighter did not create it (its comment carries no mark); drop it yourself if it should go' });
    }
  }
  return { ours, kept };
}

/**
 * The per-person logins of the given firefighter groups: named `<group>_<6 hex>` and made members by the spec's
 * admin role (the grantor db_admin records), so a look-alike someone else granted is not one of them.
 */
export async function perPersonLogins(client: pg.Client, spec: RoleModelSpec, groups: readonly string[]): Promise<Candidate[]> {
  if (groups.length === 0) return [];
  const { rows } = await client.query<{ role: string; group: string; login: boolean; member: boolean }>(
    `SELECT r.rolname AS role, g.rolname AS "group", r.rolcanlogin AS login, pg_catalog.pg_has_role(current_user, r.oid, 'USAGE') AS member
       FROM pg_catalog.pg_auth_members m
       JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.member
       JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
       JOIN pg_catalog.pg_roles a ON a.oid OPERATOR(pg_catalog.=) m.grantor
      WHERE g.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) AND a.rolname OPERATOR(pg_catalog.=) $2::pg_catalog.text
      ORDER BY 1`,
    [groups, spec.admin.name],
  );
  const isLogin = perPersonLoginMatcher(spec);
  return rows.filter((r) => isLogin(r.role) && r.role.slice(0, -LOGIN_SUFFIX_BYTES) === r.group).map((r) => ({ role: r.role, login: r.login, member: r.member, personLogin: true }));
}

/** Runs `sql` as the master, or for a per-person login as admin: on 16+ only its creator holds ADMIN OPTION on it. */
async function asCreator(client: pg.Client, spec: RoleModelSpec, c: Pick<Candidate, 'role' | 'personLogin'>, sql: string): Promise<void> {
  if (!c.personLogin) {
    await client.query(sql);
    return;
  }
  await client.query(`SET ROLE ${quoteIdent(spec.admin.name)}`);
  try {
    await client.query(sql);
  } finally {
    await client.query('RESET ROLE');
  }
}

/** Why a role that owns or holds something outside the spec's databases stays. */
export function usedElsewhere(what: readonly string[]): string {
  return `it owns or holds privileges outside this spec's databases (${what.join(', ')}); reassign or revoke them, then drop the role yourself`;
}

/** Roles that own something, or hold a privilege, outside the spec's databases: retire leaves them in place. */
export async function blockedOutside(client: pg.Client, roles: readonly string[], specDatabases: readonly string[]): Promise<Map<string, string[]>> {
  // pg_shdepend: dbid is the database of the object, 0 for shared objects (a database, a tablespace, ...).
  const { rows } = await client.query<{ role: string; what: string }>(
    `SELECT DISTINCT r.rolname AS role,
            CASE WHEN s.dbid OPERATOR(pg_catalog.<>) 0::pg_catalog.oid THEN pg_catalog.concat('objects in database "', d.datname, '"')
                 WHEN od.datname IS NOT NULL THEN pg_catalog.concat('database "', od.datname, '"')
                 ELSE pg_catalog.concat('a shared ', s.classid::pg_catalog.regclass::pg_catalog.text, ' object') END AS what
       FROM pg_catalog.pg_shdepend s
       JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.refobjid
       LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.dbid
       LEFT JOIN pg_catalog.pg_database od ON s.dbid OPERATOR(pg_catalog.=) 0::pg_catalog.oid
            AND s.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_database'::pg_catalog.regclass AND od.oid OPERATOR(pg_catalog.=) s.objid
      WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass
        AND r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
        AND NOT coalesce(d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]), false)
        AND NOT coalesce(od.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]), false)
      ORDER BY 1, 2`,
    [roles, specDatabases],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.role, [...(out.get(r.role) ?? []), r.what]);
  return out;
}

async function retireUnlocked(spec: RoleModelSpec, database: string, connection: ConnectionOptions, options: RetireOptions): Promise<RetireResult> {
  const wanted = databaseRoleNames(spec, database);
  const maintenance = connection.database ?? 'postgres';
  const specDatabases = spec.databases.map((d) => d.name);

  const prepared = await withClient(connection, maintenance, async (client) => {
    const found = await candidates(client, spec, database, wanted);
    const { kept } = found;
    const db = spec.databases.find((d) => d.name === database);
    const groups = db ? [db.roles.firefighterRo.name, db.roles.firefighterRw.name].filter((g) => found.ours.some((c) => c.role === g)) : [];
    const ours = [...await perPersonLogins(client, spec, groups), ...found.ours];
    const outside = await blockedOutside(client, ours.map((c) => c.role), specDatabases);
    const v16 = Number((await client.query<{ v: string }>("SELECT pg_catalog.current_setting('server_version_num') AS v")).rows[0]?.v) >= 160000;
    const roles: string[] = [];
    for (const c of ours) {
      if (c.login) await asCreator(client, spec, c, `ALTER ROLE ${quoteIdent(c.role)} NOLOGIN`);
      const elsewhere = outside.get(c.role);
      if (elsewhere) {
        // REASSIGN/DROP OWNED would also change those; the role stays (NOLOGIN) for a human to sort out.
        kept.push({ role: c.role, reason: usedElsewhere(elsewhere) });
        continue;
      }
      roles.push(c.role);
    }
    // On Aurora a role with the privileges of rds_iam logs in with an IAM token only (pg_hba pam): borrowing a
    // role still in rds_iam would lock the master out of every later connection, this retire's included.
    const direct = (await client.query<{ role: string }>(
      `SELECT r.rolname AS role FROM pg_catalog.pg_auth_members m
         JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.member
         JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
        WHERE g.rolname OPERATOR(pg_catalog.=) 'rds_iam' AND r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) ORDER BY 1`,
      [roles],
    )).rows.map((r) => r.role);
    for (const role of direct) await client.query(`REVOKE rds_iam FROM ${quoteIdent(role)}`);
    const borrow = ours.filter((c) => roles.includes(c.role) && !c.member).map((c) => c.role);
    const stillIam = (await client.query<{ rolname: string }>(
      `SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
          AND EXISTS (SELECT FROM pg_catalog.pg_roles g WHERE g.rolname OPERATOR(pg_catalog.=) 'rds_iam')
          AND pg_catalog.pg_has_role(r.oid, 'rds_iam', $2) ORDER BY 1`,
      // 15: any membership is what Aurora's pg_hba (+rds_iam) matches; 16+: the privileges (INHERIT) are.
      [borrow, v16 ? 'USAGE' : 'MEMBER'],
    )).rows.map((r) => r.rolname);
    if (stillIam.length > 0) {
      throw new Error(`cannot retire ${stillIam.join(', ')}: they reach rds_iam through a group outside the spec, so borrowing them would give the master the privileges of rds_iam and Aurora would refuse its password; revoke that group from them, then retry the delete`);
    }
    // REASSIGN/DROP OWNED need the roles' privileges. On 16+ the master holds ADMIN on roles it created (and
    // the engine gives it SET without INHERIT on owners): the grant is added, or its INHERIT option turned on.
    for (const c of ours.filter((o) => borrow.includes(o.role))) await asCreator(client, spec, c, `GRANT ${quoteIdent(c.role)} TO SESSION_USER${v16 ? ' WITH INHERIT TRUE' : ''}`);
    const touched = ours.map((c) => c.role);
    const ended = touched.length === 0 ? 0 : Number((await client.query<{ n: string }>(
      `SELECT pg_catalog.count(pg_catalog.pg_terminate_backend(pid)) AS n FROM pg_catalog.pg_stat_activity
        WHERE usename OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()`,
      [touched],
    )).rows[0]?.n ?? 0);
    const dbExists = (await client.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1::pg_catalog.text', [database])).rowCount === 1;
    return { roles, kept, ended, dbExists, personLogins: ours.filter((c) => c.personLogin).map((c) => c.role) };
  });

  let databaseDropped = false;
  if (options.dropDatabase && prepared.dbExists) {
    // FORCE ends the remaining sessions of every user in that database; the user asked for the data to go.
    await withClient(connection, maintenance, (client) => client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
    databaseDropped = true;
  }

  const cleaned: string[] = [];
  if (prepared.roles.length > 0) {
    const roleList = quoteIdents(prepared.roles);
    // The spec's databases in which the roles own objects or hold privileges (nothing outside: checked above).
    const databases = await withClient(connection, maintenance, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.dbid
          WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass
            AND s.refobjid OPERATOR(pg_catalog.=) ANY (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]))
            AND d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]) AND d.datallowconn ORDER BY 1`,
        [prepared.roles, specDatabases],
      );
      return rows.map((r) => r.datname);
    });
    // Shared objects (the database itself) are handled from the maintenance database, where these roles
    // own nothing (a role that did would have been kept above).
    for (const name of [maintenance, ...databases.filter((d) => d !== maintenance)]) {
      await withClient(connection, name, async (client) => {
        await client.query(`REASSIGN OWNED BY ${roleList} TO CURRENT_USER`);
        await client.query(`DROP OWNED BY ${roleList}`);
      });
      cleaned.push(name);
    }
    await withClient(connection, maintenance, async (client) => {
      for (const role of prepared.roles) await asCreator(client, spec, { role, personLogin: prepared.personLogins.includes(role) }, `DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    });
  }

  return { rolesDropped: prepared.roles, rolesKept: prepared.kept, sessionsEnded: prepared.ended, databaseDropped, cleanedDatabases: cleaned };
}
