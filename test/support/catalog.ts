// Observation helpers for tests: a catalog snapshot to prove "changes nothing", and logins as managed roles.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import type { EmbeddedServer } from './embedded-server.js';

const CLUSTER_SNAPSHOT = `
SELECT json_build_object(
  'roles', (SELECT json_agg(json_build_object('n', rolname, 'login', rolcanlogin, 'inherit', rolinherit,
              'createrole', rolcreaterole, 'createdb', rolcreatedb, 'super', rolsuper, 'limit', rolconnlimit,
              'validuntil', rolvaliduntil) ORDER BY rolname) FROM pg_roles WHERE rolname !~ '^pg_'),
  'members', (SELECT json_agg(x ORDER BY x) FROM (
              SELECT concat_ws(' ', roleid::regrole, member::regrole, grantor::regrole, admin_option,
                     to_jsonb(m) ->> 'inherit_option', to_jsonb(m) ->> 'set_option') AS x FROM pg_auth_members m) s),
  'databases', (SELECT json_agg(json_build_object('n', datname, 'owner', datdba::regrole::text, 'limit', datconnlimit,
              'acl', (SELECT json_agg(a::text ORDER BY a::text) FROM unnest(datacl) a)) ORDER BY datname) FROM pg_database),
  'settings', (SELECT json_agg(concat_ws(' ', setrole::regrole, setdatabase, setconfig::text) ORDER BY 1) FROM pg_db_role_setting)
) AS s`;

const DATABASE_SNAPSHOT = `
SELECT json_build_object(
  'namespaces', (SELECT json_agg(json_build_object('n', nspname, 'owner', nspowner::regrole::text,
              'acl', (SELECT json_agg(a::text ORDER BY a::text) FROM unnest(nspacl) a),
              'comment', obj_description(oid, 'pg_namespace')) ORDER BY nspname) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'),
  'relations', (SELECT json_agg(json_build_object('n', oid::regclass::text, 'owner', relowner::regrole::text,
              'acl', (SELECT json_agg(a::text ORDER BY a::text) FROM unnest(relacl) a)) ORDER BY oid::regclass::text)
              FROM pg_class WHERE relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)),
  'routines', (SELECT json_agg(json_build_object('n', oid::regprocedure::text, 'owner', proowner::regrole::text, 'md5', md5(prosrc),
              'acl', (SELECT json_agg(a::text ORDER BY a::text) FROM unnest(proacl) a)) ORDER BY oid::regprocedure::text)
              FROM pg_proc WHERE pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)),
  'defaults', (SELECT json_agg(concat_ws(' ', defaclrole::regrole, defaclnamespace, defaclobjtype,
              (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(defaclacl) a)) ORDER BY 1) FROM pg_default_acl),
  'foreign', (SELECT json_agg(x ORDER BY x) FROM (
              SELECT concat_ws(' ', 'server', srvname, srvowner::regrole, srvacl::text) AS x FROM pg_foreign_server
              UNION ALL SELECT concat_ws(' ', 'wrapper', fdwname, fdwowner::regrole, fdwacl::text) FROM pg_foreign_data_wrapper
              UNION ALL SELECT concat_ws(' ', 'mapping', srvname, usename) FROM pg_user_mappings) f)
) AS s`;

export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Roles, memberships, database ACLs, role settings, and per database: namespaces, relations, routines, default ACLs,
 *  foreign servers, wrappers and user mappings. */
export async function catalogSnapshot(server: EmbeddedServer, databases: readonly string[]): Promise<unknown> {
  const cluster = (await query<{ s: unknown }>(server.masterUrl(), CLUSTER_SNAPSHOT))[0]?.s;
  const perDb: Record<string, unknown> = {};
  for (const db of databases) perDb[db] = (await query<{ s: unknown }>(server.masterUrl(db), DATABASE_SNAPSHOT))[0]?.s;
  return { cluster, perDb };
}

/** The aurora profile's rds_iam rule (aurora-profile.ts): membership on 15, its privileges on 16+. */
export async function needsIamToken(server: EmbeddedServer, role: string): Promise<boolean> {
  const how = server.major >= 16 ? 'USAGE' : 'MEMBER';
  const [row] = await query<{ iam: boolean }>(server.masterUrl(), `SELECT pg_has_role($1, 'rds_iam', '${how}') AS iam`, [role]);
  return row?.iam === true;
}

/**
 * A password a managed login role can log in with now: set by the master, as an operator would; a role under
 * the rds_iam rule gets an IAM token instead, since the Aurora-like server refuses its password.
 */
export async function loginPassword(server: EmbeddedServer, role: string): Promise<string> {
  if (await needsIamToken(server, role)) return server.issueIamToken(role);
  const issued = await brokerPassword(server, role);
  if (issued) return issued;
  const password = `test-only-${role}-password`;
  await query(server.masterUrl(), `ALTER ROLE "${role.replace(/"/g, '""')}" PASSWORD '${password}'`);
  return password;
}

/**
 * A firefighter role is born expired and takes a password only from the broker (a hand-set one is drift): give
 * it one through db_admin.set_firefighter_password, as the broker would (audited, 1 hour, a takeover if held).
 * undefined for any other role.
 */
async function brokerPassword(server: EmbeddedServer, role: string): Promise<string | undefined> {
  const [r] = await query<{ expired: boolean }>(server.masterUrl(), 'SELECT coalesce(rolvaliduntil < now(), false) AS expired FROM pg_roles WHERE rolname = $1', [role]);
  if (!r?.expired) return undefined;
  const databases = await query<{ datname: string }>(server.masterUrl(), 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1');
  for (const { datname } of databases) {
    const client = new pg.Client({ connectionString: server.masterUrl(datname) });
    await client.connect();
    try {
      const [admin] = (await client.query<{ owner: string }>("SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'db_admin'")).rows;
      if (!admin) continue;
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${admin.owner}`);
      if ((await client.query('SELECT 1 FROM db_admin.firefighter_role WHERE role = $1', [role])).rowCount === 0) {
        await client.query('ROLLBACK');
        continue;
      }
      const password = `test-only-${role}-${randomBytes(6).toString('hex')}`;
      await client.query("SELECT db_admin.set_firefighter_password($1, $2, 1, 'test-support', 'TEST', 'a test logs in', true)", [role, scramSha256Verifier(password)]);
      await client.query('COMMIT');
      return password;
    } finally {
      await client.end();
    }
  }
  return undefined;
}

/** Connects with a password over the server's TLS; a session the server ends later is no unhandled error. */
export async function connectWith(server: EmbeddedServer, user: string, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url(user, password, database) });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Connects as a managed login role with a fresh loginPassword. */
export async function loginAs(server: EmbeddedServer, role: string, database: string): Promise<pg.Client> {
  return connectWith(server, role, await loginPassword(server, role), database);
}

/** Runs a statement and returns the error message, or 'ok'. */
export async function attempt(client: pg.Client, sql: string): Promise<string> {
  try {
    await client.query(sql);
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Logs in as `user` with the test password `pw-<user>` and out again: 'connected', or the server's refusal. */
export async function tryLogin(server: EmbeddedServer, user: string, database: string): Promise<string> {
  const c = new pg.Client({ connectionString: server.url(user, `pw-${user}`, database) });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.end();
    return 'connected';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Runs a read query as the master after SET ROLE to a role it may become (e.g. the owner), as a DBA would. */
export async function queryAs<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, role: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE "${role.replace(/"/g, '""')}"`);
    const rows = (await client.query<T>(sql, params)).rows;
    await client.query('ROLLBACK');
    return rows;
  } finally {
    await client.end();
  }
}
