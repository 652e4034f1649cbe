// Retires the managed roles of one database (the RoleModel custom resource's Delete under DESTROY).
// Order matters and every step checks state first, so a retried Delete finishes what a failed one started:
//   1. logins refused (NOLOGIN) so no new session appears while we work, then this instance's sessions ended;
//   2. the master gains the roles' privileges (needed for REASSIGN OWNED and for CONNECT to the database);
//   3. the database is dropped only when explicitly asked; otherwise everything the roles own is reassigned
//      to the master, so tables and their data stay, and every privilege held by the roles is dropped,
//      in each database where the catalog says they hold something;
//   4. the roles are dropped. Cluster-level roles (admin, password broker) are shared and stay.
import type pg from 'pg';
import { quoteIdent, quoteIdents } from '../core/sql-text.js';
import { LOGIN_ROLE_SLOTS, type RoleModelSpec } from '../core/spec.js';
import { connect, type ConnectionOptions } from './connection.js';
import { withRoleModelLock } from './engine.js';

export interface RetireOptions {
  /** Drop the database and all its data. Only when the user explicitly asked. */
  readonly dropDatabase: boolean;
}

export interface RetireResult {
  readonly rolesDropped: string[];
  readonly sessionsEnded: number;
  readonly databaseDropped: boolean;
  /** Databases in which ownership was reassigned and privileges dropped. */
  readonly cleanedDatabases: string[];
}

/** The roles of one database, members before the owner so memberships never block a drop. */
export function databaseRoleNames(spec: RoleModelSpec, database: string): string[] {
  const db = spec.databases.find((d) => d.name === database);
  if (!db) throw new Error(`database "${database}" is not in the spec (${spec.databases.map((d) => d.name).join(', ')}); nothing to retire`);
  return [...[...LOGIN_ROLE_SLOTS].reverse().map((slot) => db.roles[slot].name), db.roles.owner.name];
}

async function withClient<T>(options: ConnectionOptions, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
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

async function retireUnlocked(spec: RoleModelSpec, database: string, connection: ConnectionOptions, options: RetireOptions): Promise<RetireResult> {
  const wanted = databaseRoleNames(spec, database);
  const maintenance = connection.database ?? 'postgres';

  const prepared = await withClient(connection, maintenance, async (client) => {
    const existing = (await client.query<{ rolname: string }>('SELECT rolname FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])', [wanted])).rows.map((r) => r.rolname);
    const roles = wanted.filter((name) => existing.includes(name));
    const v16 = Number((await client.query<{ v: string }>("SELECT pg_catalog.current_setting('server_version_num') AS v")).rows[0]?.v) >= 160000;
    for (const role of roles) {
      const { rows } = await client.query<{ login: boolean; member: boolean }>(
        "SELECT r.rolcanlogin AS login, pg_catalog.pg_has_role(current_user, r.oid, 'USAGE') AS member FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.text",
        [role],
      );
      if (rows[0]?.login) await client.query(`ALTER ROLE ${quoteIdent(role)} NOLOGIN`);
      // REASSIGN/DROP OWNED need the roles' privileges. On 16+ the master holds ADMIN on roles it created (and
      // the engine gives it SET without INHERIT on owners): the grant is added, or its INHERIT option turned on.
      if (rows[0] && !rows[0].member) await client.query(`GRANT ${quoteIdent(role)} TO CURRENT_USER${v16 ? ' WITH INHERIT TRUE' : ''}`);
    }
    const ended = roles.length === 0 ? 0 : Number((await client.query<{ n: string }>(
      `SELECT pg_catalog.count(pg_catalog.pg_terminate_backend(pid)) AS n FROM pg_catalog.pg_stat_activity
        WHERE usename OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) AND pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()`,
      [roles],
    )).rows[0]?.n ?? 0);
    const dbExists = (await client.query('SELECT 1 FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1::pg_catalog.text', [database])).rowCount === 1;
    return { roles, ended, dbExists };
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
    // pg_shdepend names every database in which the roles own objects or hold privileges (dbid 0: shared objects).
    const databases = await withClient(connection, maintenance, async (client) => {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT DISTINCT d.datname FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.dbid
          WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass
            AND s.refobjid OPERATOR(pg_catalog.=) ANY (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]))
            AND d.datallowconn ORDER BY 1`,
        [prepared.roles],
      );
      return rows.map((r) => r.datname);
    });
    // Shared objects (the database itself) are handled from the maintenance database, which always runs.
    for (const name of [maintenance, ...databases.filter((d) => d !== maintenance)]) {
      await withClient(connection, name, async (client) => {
        await client.query(`REASSIGN OWNED BY ${roleList} TO CURRENT_USER`);
        await client.query(`DROP OWNED BY ${roleList}`);
      });
      cleaned.push(name);
    }
    await withClient(connection, maintenance, async (client) => {
      for (const role of prepared.roles) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    });
  }

  return { rolesDropped: prepared.roles, sessionsEnded: prepared.ended, databaseDropped, cleanedDatabases: cleaned };
}
