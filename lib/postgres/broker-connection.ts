// Connections for the password broker: as the broker user, with a password or a fresh IAM token per
// connection, TLS with full verification (or, for a local server only, explicitly none), finite timeouts.
import pg from 'pg';
import { pgSsl, type TlsPolicy } from './tls.js';

/** Returns the password (or IAM auth token) for one new connection to `host`. */
export type PasswordProvider = (host: string) => string | Promise<string>;

/** verify-full for the Lambda; the weaker modes only for a loopback host or with the CLI's opt-out (./tls.ts). */
export type BrokerTls = TlsPolicy;

export interface BrokerConnectionOptions {
  readonly port: number;
  readonly user: string;
  readonly password: PasswordProvider;
  readonly tls: BrokerTls;
  /** @default 5_000 */
  readonly connectTimeoutMs?: number;
  /** Server-side statement_timeout and client-side query timeout. @default 15_000 */
  readonly statementTimeoutMs?: number;
  /** How long a request waits for another request's row lock on the same role. @default 5_000 */
  readonly lockTimeoutMs?: number;
  /**
   * How long to keep retrying an instance that refuses or drops connections: an Aurora Serverless v2 cluster
   * allowed to scale to 0 ACU pauses, and resuming takes tens of seconds. 0 tries once. @default 40_000
   */
  readonly resumeWaitMs?: number;
  /** For tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Opens one connection as the broker to a host and database. */
export type BrokerConnector = (host: string, database: string) => Promise<pg.Client>;

/** How long a warm container keeps an idle connection. */
export const KEPT_IDLE_MS = 300_000;

/** pg's ssl options for a TLS mode; refuses anything but verify-full to a remote host (see ./tls.ts). */
export function sslOptions(host: string, tls: BrokerTls): pg.ClientConfig['ssl'] {
  return pgSsl(host, tls);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const out = value ?? fallback;
  if (!Number.isInteger(out) || out <= 0) throw new Error(`${name} must be a positive integer of milliseconds, got ${String(value)}`);
  return out;
}

/**
 * Session settings the broker relies on, sent in the startup packet so they override whatever the database or
 * role carries (`ALTER DATABASE ... SET standard_conforming_strings = off` or `default_transaction_read_only = on`
 * by the database's owner would otherwise break or bend every request). Timeouts are added per connector.
 */
export const PINNED_SETTINGS: Readonly<Record<string, string>> = {
  search_path: 'pg_catalog,pg_temp',
  standard_conforming_strings: 'on',
  default_transaction_read_only: 'off',
  default_transaction_isolation: 'read committed',
  default_transaction_deferrable: 'off',
  exit_on_error: 'off',
  DateStyle: 'ISO',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  client_min_messages: 'warning',
  'plpgsql.extra_errors': 'none',
  'plpgsql.variable_conflict': 'error',
};

/** `-c name=value` switches for the startup packet; spaces and backslashes escaped as the server expects. */
export function startupOptions(settings: Readonly<Record<string, string>>): string {
  return Object.entries(settings).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`setting name ${JSON.stringify(name)} is not a PostgreSQL parameter name`);
    return `-c ${name}=${value.replace(/[\\ ]/g, (c) => `\\${c}`)}`;
  }).join(' ');
}

// Failures an instance that is resuming from auto-pause (or restarting) gives; never an authentication error.
const RESUMING_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', '57P03', '08006', '08001', '53300']);

function resuming(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return RESUMING_CODES.has(code);
  return /timeout|terminated unexpectedly|Connection terminated/i.test(error.message);
}

/** Connects, retrying for up to `resumeWaitMs` while the instance refuses connections (auto-pause, restart). */
export function brokerConnector(options: BrokerConnectionOptions): BrokerConnector {
  const resumeWait = options.resumeWaitMs ?? 40_000;
  if (!Number.isInteger(resumeWait) || resumeWait < 0) throw new Error(`resumeWaitMs must be a non-negative integer of milliseconds, got ${String(options.resumeWaitMs)}`);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const once = connectOnce(options);
  return async (host, database) => {
    const started = Date.now();
    for (let attempt = 1, backoff = 1_000; ; attempt++, backoff = Math.min(backoff * 2, 8_000)) {
      try {
        return await once(host, database);
      } catch (error) {
        const elapsed = Date.now() - started;
        if (!resuming(error) || resumeWait === 0) throw error;
        if (elapsed + backoff > resumeWait) {
          throw new Error(`instance ${host} did not accept a connection within ${Math.round(resumeWait / 1000)} s (${attempt} attempts; last error: ${(error as Error).message}); a cluster that scales to 0 ACU may still be resuming from auto-pause, so try again in a minute`, { cause: error });
        }
        await sleep(backoff);
      }
    }
  };
}

function connectOnce(options: BrokerConnectionOptions): BrokerConnector {
  const connectTimeout = positive(options.connectTimeoutMs, 5_000, 'connectTimeoutMs');
  const statementTimeout = positive(options.statementTimeoutMs, 15_000, 'statementTimeoutMs');
  const lockTimeout = positive(options.lockTimeoutMs, 5_000, 'lockTimeoutMs');
  const settings = startupOptions({
    ...PINNED_SETTINGS,
    statement_timeout: String(statementTimeout),
    lock_timeout: String(lockTimeout),
    // The broker never waits inside a transaction; a stuck one must not hold the role's row lock.
    idle_in_transaction_session_timeout: String(statementTimeout),
    // A frozen Lambda container cannot close the connection it keeps; the server ends it a minute after the
    // container would have dropped it (keepOneConnection's 5 minutes), so it cannot hold a slot for long.
    idle_session_timeout: String(KEPT_IDLE_MS + 60_000),
  });
  return async (host, database) => {
    const client = new pg.Client({
      host,
      port: options.port,
      user: options.user,
      database,
      // A function, so pg asks for it on connect: each connection gets a fresh IAM token (they live 15 minutes).
      password: () => options.password(host),
      ssl: sslOptions(host, options.tls),
      connectionTimeoutMillis: connectTimeout,
      options: settings,
      // The client gives up a little after the server would, so a dead socket cannot hang the broker.
      query_timeout: statementTimeout + 2_000,
      application_name: 'firefighter-broker',
    });
    // An error on an idle client (failover, a terminated backend) must not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      // transaction_timeout exists from PostgreSQL 17 on, so it cannot go in the startup packet of a 15 or 16.
      await client.query(`SELECT pg_catalog.set_config('transaction_timeout', '0', false) WHERE pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 170000`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  };
}

/** Returns a client to whoever opened it; `healthy` is false when the work failed without a SQLSTATE. */
export type BrokerRelease = (client: pg.Client, healthy: boolean) => Promise<void>;

export interface KeptConnection {
  readonly connect: BrokerConnector;
  readonly release: BrokerRelease;
  /** Closes the kept connection, if any. */
  close(): Promise<void>;
}

/**
 * How long a released connection is reused without a check, as PgBouncer's `server_check_delay` (default 30 s):
 * back-to-back actions (request, then status, then revoke) skip a round trip. A client whose socket already
 * ended or errored is never reused; one that dies unnoticed fails with a connection error, which withClient
 * (lib/broker/db/connection.ts) retries once on a fresh connection (see `reusedUnchecked`).
 */
const CHECK_DELAY_MS = 30_000;

/** Clients handed out again without a check; a connection error on them is worth one retry. */
const unchecked = new WeakSet<pg.Client>();

/** Whether `client` was a kept connection handed out again without a round trip to check it. */
export function reusedUnchecked(client: pg.Client): boolean {
  return unchecked.has(client);
}

/**
 * Keeps the last healthy connection open between invocations of a warm Lambda container, so a request pays
 * neither the TLS and IAM-token handshake nor a cold backend (the db_admin functions compiled, catalogs cached).
 * At most one connection is kept, and it is closed before any other is opened, so each container counts once
 * against the broker role's connection limit on every server. A kept connection idle
 * for longer than `checkDelayMs` is checked with a round trip before reuse, and dropped once idle for `maxIdleMs`.
 */
export function keepOneConnection(connect: BrokerConnector, maxIdleMs = KEPT_IDLE_MS, now: () => number = Date.now, checkDelayMs = CHECK_DELAY_MS): KeptConnection {
  const keys = new WeakMap<pg.Client, string>();
  const gone = new WeakSet<pg.Client>();
  let kept: { key: string; client: pg.Client; since: number } | undefined;
  const end = (client: pg.Client) => client.end().catch(() => undefined);
  return {
    async connect(host, database) {
      const key = `${host}\0${database}`;
      const previous = kept;
      kept = undefined;
      if (previous) {
        const idle = now() - previous.since;
        if (previous.key === key && idle < maxIdleMs && !gone.has(previous.client)) {
          if (idle < checkDelayMs) {
            unchecked.add(previous.client);
            return previous.client;
          }
          try {
            await previous.client.query('SELECT 1');
            return previous.client;
          } catch {
            // Failover, an idle timeout or a terminated backend: connect afresh below.
          }
        }
        await end(previous.client);
      }
      const client = await connect(host, database);
      keys.set(client, key);
      // A backend terminated while idle says so (FATAL 57P01) and closes the socket: never hand that client out.
      client.once('end', () => gone.add(client));
      client.once('error', () => gone.add(client));
      return client;
    },
    async release(client, healthy) {
      unchecked.delete(client);
      const key = keys.get(client);
      if (!healthy || key === undefined || kept || gone.has(client)) return void (await end(client));
      kept = { key, client, since: now() };
    },
    async close() {
      const previous = kept;
      kept = undefined;
      if (previous) await end(previous.client);
    },
  };
}
