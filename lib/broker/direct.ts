// The CLI's --direct mode: the broker logic run on the caller's machine against a PostgreSQL where a URL logs
// in as the password broker (local use, the demo, PostgreSQL outside AWS). Holding the broker's password is
// the authorisation here, so there is no identity proof and no allowlist; the requester is recorded as given.
import type { BrokerConfig } from './protocol/broker-config.js';
import { decideTls, TlsRefusal } from '../postgres/tls.js';
import { brokerConnector, type BrokerConnector, type BrokerTls } from '../postgres/broker-connection.js';
import { BROKER_ERROR_CODES, BrokerError, fromDatabaseError } from './errors.js';

export interface DirectTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly tls: BrokerTls;
}

const invalid = (message: string) => new BrokerError(BROKER_ERROR_CODES.invalidInput, message);

export interface DirectUrlOptions {
  /** --ca: wins over the URL's sslrootcert and PGSSLROOTCERT. */
  readonly caFile?: string;
  /** PGPASSWORD, used when the URL has none. */
  readonly fallbackPassword?: string;
  /** For PGSSLMODE and PGSSLROOTCERT. @default {} */
  readonly env?: NodeJS.ProcessEnv;
  readonly insecureSkipTlsVerify?: boolean;
  /** The RDS CA bundle for *.rds.amazonaws.com (lib/postgres/rds-ca.ts). */
  readonly rdsCa?: () => Promise<readonly string[]>;
}

/**
 * postgres://broker:PASSWORD@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem, with libpq's PGSSLMODE and
 * PGSSLROOTCERT when the URL has none. A remote host needs verify-full unless the user opted out; a loopback
 * host may use any mode (lib/postgres/tls.ts decides). Refusals come before any connection.
 */
export async function parseDirectUrl(url: string, options: DirectUrlOptions = {}): Promise<DirectTarget & { readonly warning?: string }> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid('--database-url is not a URL; expected postgres://broker@host:5432/database');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw invalid(`--database-url must start with postgres://, got ${u.protocol}//`);
  for (const key of u.searchParams.keys()) if (key !== 'sslmode' && key !== 'sslrootcert') throw invalid(`--database-url parameter ${JSON.stringify(key)} is not supported; use sslmode and sslrootcert only`);
  const user = decodeURIComponent(u.username);
  const password = u.password ? decodeURIComponent(u.password) : options.fallbackPassword;
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!user) throw invalid('--database-url has no user; give the password broker\'s user, e.g. postgres://my_pg_password_broker@host/db');
  if (!password) throw invalid('--database-url has no password and PGPASSWORD is not set');
  if (!database) throw invalid('--database-url names no database; add /<database>');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw invalid('--database-url names no host; expected postgres://broker@host:5432/database');
  const env = options.env ?? {};
  let decision;
  try {
    decision = await decideTls({
      host,
      sslmode: u.searchParams.get('sslmode') ?? env.PGSSLMODE,
      sslrootcert: options.caFile ?? u.searchParams.get('sslrootcert') ?? env.PGSSLROOTCERT,
      insecureSkipTlsVerify: options.insecureSkipTlsVerify,
    }, options.rdsCa ? { rdsCa: options.rdsCa } : {});
  } catch (error) {
    if (error instanceof TlsRefusal) throw invalid(error.message);
    throw error;
  }
  return { host, port: Number(u.port || 5432), user, password, database, tls: decision.tls, ...(decision.warning ? { warning: decision.warning } : {}) };
}

export function directConnector(target: DirectTarget, timeouts: { connectTimeoutMs?: number } = {}): BrokerConnector {
  return brokerConnector({ port: target.port, user: target.user, password: () => target.password, tls: target.tls, ...timeouts });
}

/** A broker configuration for one database, with its firefighter roles read from db_admin itself. */
export async function directConfig(target: DirectTarget, connect: BrokerConnector): Promise<BrokerConfig> {
  let rows: { role: string; access: string }[];
  let perPerson = false;
  try {
    const client = await connect(target.host, target.database);
    try {
      rows = (await client.query<{ role: string; access: string }>('SELECT role, access FROM db_admin.firefighter_status()')).rows;
      // The mode is db_admin's: groups with a per-person policy row issue a login per person.
      perPerson = (await client.query<{ n: number }>('SELECT pg_catalog.count(*)::integer AS n FROM db_admin.firefighter_login_policies()')).rows[0]?.n !== 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    // A server that takes TLS only (Aurora's rds.force_ssl, the demo) answers a plaintext login with pg_hba's
    // "no pg_hba.conf entry ... no encryption", which names neither the URL nor the fix.
    if (target.tls.mode === 'disable' && /no pg_hba\.conf entry .*no encryption/.test(String((error as Error)?.message))) {
      throw new BrokerError(BROKER_ERROR_CODES.invalidInput, `${target.host}:${target.port} accepts TLS connections only, and --database-url asks for none (no sslmode, so disable on a loopback host); add ?sslmode=verify-full&sslrootcert=CA.pem to the URL (or sslmode=require to skip the certificate check on a loopback host)`);
    }
    throw fromDatabaseError(error, `reading the firefighter roles of ${target.database} as ${target.user}`, [target.password]);
  }
  const ro = rows.find((r) => r.access === 'ro')?.role;
  const rw = rows.find((r) => r.access === 'rw')?.role;
  if (!ro || !rw) throw new BrokerError(BROKER_ERROR_CODES.failure, `database ${target.database} has no ro and rw firefighter roles in db_admin.firefighter_role; apply the role model first`);
  return {
    clusterId: 'direct', brokerId: 'direct', port: target.port, writerHost: target.host, instanceHosts: [target.host],
    brokerUser: target.user, databases: [{ name: target.database, firefighterRo: ro, firefighterRw: rw }],
    allowlist: { ro: [], rw: [] }, delivery: 'response',
    ...(perPerson ? { firefighterLogins: 'per-person' as const } : {}),
  };
}
