// Connections for the engine: finite timeouts, a recognisable application_name, a count of statements,
// and a session that trusts nothing the database's owner controls (search_path, string syntax).
import pg from 'pg';
import { refuseUnverifiedTls } from './tls.js';
import { parse } from 'pg-connection-string';

export type ConnectionOptions = pg.ClientConfig & {
  /** Lets the password reach a remote host without a verified certificate (the CLIs' --insecure-skip-tls-verify). @default false */
  readonly insecureSkipTlsVerify?: boolean;
};

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The first statement of every engine session, as pg_dump starts its scripts. The master works inside
 * databases whose owner (and so the migrator) may create functions and operators in `public`, in the
 * application schemas or in a schema named after the master: with the default `"$user", public` a better
 * overload there (`unnest(text[])` over `pg_catalog.unnest(anyarray)`) would run with the master's rights.
 * pg_temp last: temporary objects never shadow anything. standard_conforming_strings on: quoteLiteral
 * relies on it, and the database owner may `ALTER DATABASE ... SET standard_conforming_strings = off`.
 * A statement (not the startup `options` packet) so that it also holds through poolers that drop options.
 */
export const PIN_SESSION_SQL =
  "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', false), pg_catalog.set_config('standard_conforming_strings', 'on', false)";

/** Counts the statements the engine sends, for the benchmark and for `--json` output. */
export class StatementCounter {
  count = 0;
}

export async function connect(options: ConnectionOptions, database: string | undefined, counter?: StatementCounter): Promise<pg.Client> {
  // Before any socket is opened: a password never leaves for a remote host without verify-full.
  refuseUnverifiedTls(options);
  const { insecureSkipTlsVerify: _optOut, ...config } = options;
  const client = new pg.Client({
    application_name: 'cdk-aurora-firefighter',
    ...withDatabase(config, database),
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS,
  });
  // An error on an idle client (server restart, terminated backend) must not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot connect to ${describeTarget(options, database)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await client.query(PIN_SESSION_SQL);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot prepare the session on ${describeTarget(options, database)}: ${(error as Error).message}`, { cause: error });
  }
  if (counter) {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      counter.count++;
      return query(...args);
    };
  }
  return client;
}

/**
 * The options for one database. pg lets a connection string override an explicit `database`, and decodes
 * the string's path with decodeURI, which leaves `%3F`, `%23`, `%2F`, `%3B`, `%24`, `%2B` ... encoded: a
 * database called `a?b` could never be reached through a URL. So the string is parsed here, as pg would
 * parse it (its values still win over explicit ones), and the database is set explicitly: the one asked
 * for, else the URL's path decoded as a URI component (as libpq does).
 */
export function withDatabase(options: ConnectionOptions, database: string | undefined): ConnectionOptions {
  const { connectionString, ...explicit } = options;
  if (!connectionString) return database ? { ...explicit, database } : options;
  const { database: parsedDatabase, ...parsed } = parse(connectionString);
  const name = database ?? databaseInUrl(connectionString) ?? parsedDatabase ?? undefined;
  return { ...explicit, ...(parsed as ConnectionOptions), ...(name ? { database: name } : {}) };
}

function databaseInUrl(connectionString: string): string | undefined {
  try {
    const url = new URL(connectionString);
    if (url.protocol === 'socket:') return undefined;
    const path = url.pathname.slice(1);
    return path ? decodeURIComponent(path) : undefined;
  } catch {
    return undefined;
  }
}

/** host:port/database and user, never the password. */
export function describeTarget(options: ConnectionOptions, database?: string): string {
  let host = options.host;
  let port = options.port;
  let db = database ?? options.database;
  let user = options.user;
  if (options.connectionString) {
    try {
      const u = new URL(options.connectionString);
      host ??= u.hostname;
      port ??= Number(u.port || 5432);
      db ??= decodeURIComponent(u.pathname.slice(1));
      user ??= decodeURIComponent(u.username);
    } catch {
      return 'the database (unparseable connection string)';
    }
  }
  return `postgresql://${user ?? '?'}@${host ?? 'localhost'}:${port ?? 5432}/${db ?? 'postgres'}`;
}

/** Runs work between BEGIN and COMMIT; rolls back and rethrows on any error. */
/** `readWrite`: BEGIN READ WRITE, for the engine: a database or cluster may make transactions read-only by default
 *  (default_transaction_read_only), and verify, which compares db_admin the same way, then matches too. */
export async function inTransaction<T>(client: pg.Client, work: () => Promise<T>, readWrite = false): Promise<T> {
  await client.query(readWrite ? 'BEGIN READ WRITE' : 'BEGIN');
  try {
    const out = await work();
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
