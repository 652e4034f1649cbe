// What `rolemodel plan|apply|verify` and `rolemodel init` share before they connect: the --connect-timeout
// and --database-url checks and the TLS decision (lib/postgres/tls.ts), so both follow one rule.
import type { ConnectionOptions } from '../../lib/postgres/connection.js';
import { loadRdsCa } from '../../lib/postgres/rds-ca.js';
import { decideTls, pgSsl, tlsRequestFromUrl } from '../../lib/postgres/tls.js';

/** Invalid command-line input: the caller prints the message and its usage and exits 2. */
export class UsageError extends Error {}

/** --connect-timeout in seconds (1 to 300), as milliseconds. */
export function connectTimeoutMs(value: string | undefined): number {
  const timeout = Number(value);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 300) throw new UsageError(`--connect-timeout must be 1 to 300 seconds, got ${JSON.stringify(value)}`);
  return timeout * 1000;
}

export function checkDatabaseUrl(url: string): void {
  if (!URL.canParse(url)) throw new UsageError('--database-url is not a URL; expected postgres://user@host:5432/postgres');
}

export interface ConnectionFlags {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly insecureSkipTlsVerify: boolean;
}

/**
 * The URL, libpq's environment and the opt-out, resolved before any connection: a password reaches a remote
 * host only over verified TLS. Throws TlsRefusal when it may not connect; the warning for an opt-out goes to err.
 */
export async function secureConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv, err: (line: string) => void): Promise<{ connection: ConnectionOptions; host: string }> {
  const { connectionString, request } = tlsRequestFromUrl(flags.url, env, { insecureSkipTlsVerify: flags.insecureSkipTlsVerify });
  const decision = await decideTls(request, { rdsCa: loadRdsCa });
  if (decision.warning) err(`rolemodel: ${decision.warning}`);
  const connection: ConnectionOptions = {
    connectionString, connectionTimeoutMillis: flags.connectTimeoutMs, ssl: pgSsl(request.host, decision.tls),
    ...(decision.tls.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
  };
  return { connection, host: request.host };
}
