// What retire (lib/postgres/retire.ts) would do to one database now, read from the catalog without changing
// anything: `rolemodel retire --dry-run`, and the plan `rolemodel retire` prints before it acts. The same
// candidate rules as retire itself (its own functions): only roles marked for this database, per-person logins
// admin granted, nothing that owns or holds anything outside the spec's databases.
import type pg from 'pg';
import type { RoleModelSpec } from '../spec/spec.js';
import type { ConnectionOptions } from './connection.js';
import { blockedOutside, candidates, databaseRoleNames, perPersonLogins, usedElsewhere, withClient, type KeptRole } from './retire.js';

export interface RetiredRole {
  readonly role: string;
  readonly login: boolean;
  /** A per-person firefighter login (issued by the broker). */
  readonly personLogin: boolean;
  /** Its sessions now, on the instance inspected; retire ends them. */
  readonly sessions: number;
  /** Objects it owns, per database of the spec: reassigned to the applying user, unless the database is dropped. */
  readonly owns: readonly { readonly database: string; readonly objects: number }[];
}

export interface RetirePlan {
  readonly database: string;
  readonly databaseExists: boolean;
  readonly dropDatabase: boolean;
  /** The user retire runs as, who receives what the dropped roles own. */
  readonly receiver: string;
  readonly drop: readonly RetiredRole[];
  readonly kept: readonly KeptRole[];
  /** Kept roles retire still makes NOLOGIN and whose sessions it ends (they are this database's, but used elsewhere). */
  readonly disabled: readonly string[];
  /** Why retire would stop before dropping anything; undefined when it would not. */
  readonly refusal?: string;
}

/** Roles that reach rds_iam through a group other than rds_iam itself: borrowing them would lock the master out. */
async function iamThroughGroups(client: pg.Client, roles: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ role: string }>(
    `SELECT r.rolname AS role FROM pg_catalog.pg_roles r
      WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
        AND EXISTS (SELECT FROM pg_catalog.pg_roles i WHERE i.rolname OPERATOR(pg_catalog.=) 'rds_iam')
        AND EXISTS (SELECT FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
                     WHERE m.member OPERATOR(pg_catalog.=) r.oid AND g.rolname OPERATOR(pg_catalog.<>) 'rds_iam'
                       -- 15: any membership is what Aurora's pg_hba (+rds_iam) matches; 16+: the privileges (INHERIT) are.
                       AND (pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.<) 160000
                            OR (pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'inherit_option')::pg_catalog.bool)
                       AND pg_catalog.pg_has_role(g.oid, 'rds_iam', 'MEMBER'))
      ORDER BY 1`,
    [roles],
  );
  return rows.map((r) => r.role);
}

export async function planRetire(spec: RoleModelSpec, database: string, connection: ConnectionOptions, options: { dropDatabase: boolean }): Promise<RetirePlan> {
  const wanted = databaseRoleNames(spec, database);
  const specDatabases = spec.databases.map((d) => d.name);
  return withClient(connection, connection.database ?? 'postgres', async (client) => {
    const found = await candidates(client, spec, database, wanted);
    const kept = [...found.kept];
    const db = spec.databases.find((d) => d.name === database);
    const groups = db ? [db.roles.firefighterRo.name, db.roles.firefighterRw.name].filter((g) => found.ours.some((c) => c.role === g)) : [];
    const ours = [...await perPersonLogins(client, spec, groups), ...found.ours];
    const outside = await blockedOutside(client, ours.map((c) => c.role), specDatabases);
    const dropping = ours.filter((c) => {
      const elsewhere = outside.get(c.role);
      if (elsewhere) kept.push({ role: c.role, reason: usedElsewhere(elsewhere) });
      return !elsewhere;
    });
    const names = dropping.map((c) => c.role);
    const { rows: sessions } = await client.query<{ role: string; n: string }>(
      `SELECT usename AS role, pg_catalog.count(*) AS n FROM pg_catalog.pg_stat_activity
        WHERE usename OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) GROUP BY usename`,
      [ours.map((c) => c.role)],
    );
    const { rows: owned } = await client.query<{ role: string; database: string; n: string }>(
      `SELECT r.rolname AS role, d.datname AS database, pg_catalog.count(*) AS n
         FROM pg_catalog.pg_shdepend s
         JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.refobjid
         JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.dbid
        WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.deptype OPERATOR(pg_catalog.=) 'o'
          AND r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [names],
    );
    const iam = await iamThroughGroups(client, dropping.filter((c) => !c.member).map((c) => c.role));
    const { rows: [meta] } = await client.query<{ receiver: string; exists: boolean }>(
      `SELECT CURRENT_USER AS receiver, EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname OPERATOR(pg_catalog.=) $1::pg_catalog.text) AS exists`,
      [database],
    );
    return {
      database,
      databaseExists: meta?.exists ?? false,
      dropDatabase: options.dropDatabase,
      receiver: meta?.receiver ?? '',
      drop: dropping.map((c) => ({
        role: c.role,
        login: c.login,
        personLogin: c.personLogin === true,
        sessions: Number(sessions.find((s) => s.role === c.role)?.n ?? 0),
        owns: owned.filter((o) => o.role === c.role).map((o) => ({ database: o.database, objects: Number(o.n) })),
      })),
      kept,
      disabled: ours.filter((c) => outside.has(c.role)).map((c) => c.role),
      ...(iam.length > 0 ? { refusal: `${iam.join(', ')} reach rds_iam through a group outside the spec, so borrowing them would give the master the privileges of rds_iam and Aurora would refuse its password; revoke that group from them, then retry` } : {}),
    };
  });
}
