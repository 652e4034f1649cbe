// The one place that decides how a connection that carries a password is protected. It reads libpq's
// conventions (sslmode and sslrootcert in the URL, PGSSLMODE, PGSSLROOTCERT) but never lets a password reach a
// host that is not this machine without a verified certificate (verify-full), unless the user passed the
// loudly named opt-out. rolemodel, firefighter (--direct and --connect), the engine and the broker use it.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

/** The command-line flag that lets a password travel without a verified certificate. */
export const INSECURE_FLAG = '--insecure-skip-tls-verify';

/** How a connection is protected, as pg is told. */
export type TlsPolicy =
  /** Certificate chain and host name verified; `ca` (PEM) replaces Node's trust store when given. */
  | { readonly mode: 'verify-full'; readonly ca?: string | readonly string[]; readonly insecureSkipTlsVerify?: boolean }
  /** Chain verified, host name not: any certificate from the CA passes. Loopback or opt-out only. */
  | { readonly mode: 'verify-ca'; readonly ca?: string | readonly string[]; readonly insecureSkipTlsVerify?: boolean }
  /** TLS without checking the certificate. Loopback or opt-out only. */
  | { readonly mode: 'no-verify'; readonly insecureSkipTlsVerify?: boolean }
  /** No TLS at all. Loopback or opt-out only. */
  | { readonly mode: 'disable'; readonly insecureSkipTlsVerify?: boolean };

export class TlsRefusal extends Error {
  override readonly name = 'TlsRefusal';
}

const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;
type SslMode = (typeof SSLMODES)[number];

/**
 * True for a host a password cannot leave this machine for: 127.0.0.0/8, ::1, `localhost` (RFC 6761) and a
 * Unix socket directory. Any other name is remote, even one that happens to resolve to 127.0.0.1.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  if (h.startsWith('/')) return true;
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h) || /^::ffff:127\./.test(h);
  return false;
}

/** Aurora and RDS endpoints, whose certificates chain to the RDS CAs that Node does not trust by default. */
export function isRdsHost(host: string): boolean {
  return /\.rds\.amazonaws\.com\.?$/i.test(host.trim());
}

export interface TlsRequest {
  /** The host the connection goes to: a name, an IP literal or a Unix socket directory. */
  readonly host: string;
  /** libpq's sslmode (URL parameter, else PGSSLMODE). @default verify-full for a remote host, disable for loopback */
  readonly sslmode?: string | undefined;
  /** A PEM file to verify the server with, or `system` for Node's trust store (URL, --ca, else PGSSLROOTCERT). */
  readonly sslrootcert?: string | undefined;
  /** The user passed INSECURE_FLAG. */
  readonly insecureSkipTlsVerify?: boolean | undefined;
}

export interface TlsDecision {
  readonly tls: TlsPolicy;
  /** Where the CA came from; psql needs a file for anything but `file`. */
  readonly trust: { readonly kind: 'file'; readonly file: string } | { readonly kind: 'rds' } | { readonly kind: 'system' } | { readonly kind: 'none' };
  /** Set when the opt-out took effect: print it to stderr. */
  readonly warning?: string;
}

export interface TlsDeps {
  readonly readFile?: (file: string) => string;
  /** The RDS CA bundle for `*.rds.amazonaws.com`; without it, such hosts are verified with Node's trust store. */
  readonly rdsCa?: () => Promise<readonly string[]>;
}

/** Resolves sslmode, sslrootcert and the opt-out for one host, or refuses with what to do instead. */
export async function decideTls(request: TlsRequest, deps: TlsDeps = {}): Promise<TlsDecision> {
  const { host } = request;
  const requested = request.sslmode === undefined || request.sslmode === '' ? undefined : request.sslmode;
  if (requested !== undefined && !(SSLMODES as readonly string[]).includes(requested)) {
    throw new TlsRefusal(`sslmode ${JSON.stringify(requested.slice(0, 40))} is not one of ${SSLMODES.join(', ')}; use verify-full`);
  }
  const loopback = isLoopbackHost(host);
  const insecure = request.insecureSkipTlsVerify === true;
  const mode = effectiveMode(requested as SslMode | undefined, loopback, insecure, request.sslrootcert !== undefined && request.sslrootcert !== '');
  if (!loopback && mode !== 'verify-full' && !insecure) {
    throw new TlsRefusal(`sslmode=${requested ?? mode} ${mode === 'disable' ? 'sends the password in plaintext' : 'does not verify the server\'s certificate'}, and ${host} is not a loopback address, so anyone on the way could read the password; use sslmode=verify-full (the default; with sslrootcert=FILE when the server's CA is private), or pass ${INSECURE_FLAG} to send it anyway`);
  }
  const flag = insecure && !loopback ? { insecureSkipTlsVerify: true } : {};
  const warning = insecure && !loopback && mode !== 'verify-full'
    ? `WARNING: ${INSECURE_FLAG}: the password goes to ${host} ${mode === 'disable' ? 'in plaintext' : mode === 'verify-ca' ? 'over TLS without checking the host name' : 'over TLS without checking the certificate'}; anyone who can intercept the connection can read it`
    : undefined;
  const withWarning = <T extends object>(d: T) => (warning ? { ...d, warning } : d);
  if (mode === 'disable' || mode === 'no-verify') return withWarning({ tls: { mode, ...flag }, trust: { kind: 'none' } });
  const rootcert = request.sslrootcert === '' ? undefined : request.sslrootcert;
  if (rootcert === 'system') return withWarning({ tls: { mode, ...flag }, trust: { kind: 'system' } });
  if (rootcert !== undefined) {
    let ca: string;
    try {
      ca = (deps.readFile ?? ((f: string) => readFileSync(f, 'utf8')))(rootcert);
    } catch (error) {
      throw new TlsRefusal(`cannot read the CA file ${rootcert} (sslrootcert): ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}; give a PEM file, or sslrootcert=system for Node's trust store`);
    }
    return withWarning({ tls: { mode, ca, ...flag }, trust: { kind: 'file', file: rootcert } });
  }
  if (isRdsHost(host) && deps.rdsCa) return withWarning({ tls: { mode, ca: await deps.rdsCa(), ...flag }, trust: { kind: 'rds' } });
  // Node's trust store plus NODE_EXTRA_CA_CERTS (the Lambda runtime points it at the RDS CAs).
  return withWarning({ tls: { mode, ...flag }, trust: { kind: 'system' } });
}

function effectiveMode(requested: SslMode | undefined, loopback: boolean, insecure: boolean, hasRootCert: boolean): TlsPolicy['mode'] {
  switch (requested) {
    case undefined:
      // A local server keeps pg's default (plaintext); a remote one gets verify-full unless the user opted out.
      if (loopback) return 'disable';
      return insecure ? 'no-verify' : 'verify-full';
    case 'disable':
    case 'allow': // libpq tries plaintext first; pg cannot fall back, so take the first choice
      return 'disable';
    case 'prefer':
    case 'no-verify':
      return 'no-verify';
    case 'require':
      // libpq: require with a root certificate behaves like verify-ca.
      return hasRootCert ? 'verify-ca' : 'no-verify';
    case 'verify-ca':
    case 'verify-full':
      return requested;
  }
}

/** pg's `ssl` option for a policy; refuses anything weaker than verify-full to a remote host without the opt-out. */
export function pgSsl(host: string, tls: TlsPolicy): false | TlsConnectionOptions {
  const mode = (tls as { mode: unknown }).mode;
  if (mode !== 'verify-full' && mode !== 'verify-ca' && mode !== 'no-verify' && mode !== 'disable') {
    throw new TlsRefusal(`tls mode ${JSON.stringify(mode)} is not supported; use verify-full`);
  }
  if (tls.mode !== 'verify-full' && !isLoopbackHost(host) && tls.insecureSkipTlsVerify !== true) {
    throw new TlsRefusal(`tls mode "${tls.mode}" is refused for ${host}: only a loopback host may be reached without a verified certificate; use verify-full with the server's CA, or pass ${INSECURE_FLAG}`);
  }
  switch (tls.mode) {
    case 'disable':
      return false;
    case 'no-verify':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined, ...(tls.ca !== undefined ? { ca: tls.ca as string | string[] } : {}) };
    case 'verify-full':
      // rejectUnauthorized verifies the chain; pg passes the host to tls.connect, whose default
      // checkServerIdentity verifies the host name (or IP address) against the certificate.
      return { rejectUnauthorized: true, ...(tls.ca !== undefined ? { ca: tls.ca as string | string[] } : {}) };
  }
}

/** URL parameters pg would read to override the `ssl` option we hand it; only sslmode and sslrootcert are ours. */
const UNSUPPORTED_PARAMS = /^(ssl.*|uselibpqcompat|requiressl|gssencmode)$/i;

export interface ParsedUrlTls {
  /** The URL without sslmode and sslrootcert, for pg together with an explicit `ssl`. */
  readonly connectionString: string;
  readonly request: TlsRequest;
}

/**
 * Takes sslmode and sslrootcert out of a postgres:// URL (pg would otherwise let them override our decision) and
 * finds the host pg will connect to (`?host=` wins over the authority, as in pg and libpq; then PGHOST).
 */
export function tlsRequestFromUrl(url: string, env: NodeJS.ProcessEnv, options: { caFile?: string; insecureSkipTlsVerify?: boolean } = {}): ParsedUrlTls {
  const u = new URL(url);
  for (const key of u.searchParams.keys()) {
    if (key !== 'sslmode' && key !== 'sslrootcert' && UNSUPPORTED_PARAMS.test(key)) {
      throw new TlsRefusal(`URL parameter ${JSON.stringify(key)} is not supported; use sslmode and sslrootcert`);
    }
  }
  const sslmode = u.searchParams.get('sslmode') ?? env.PGSSLMODE;
  const sslrootcert = options.caFile ?? u.searchParams.get('sslrootcert') ?? env.PGSSLROOTCERT;
  let connectionString = url;
  if (u.searchParams.has('sslmode') || u.searchParams.has('sslrootcert')) {
    u.searchParams.delete('sslmode');
    u.searchParams.delete('sslrootcert');
    connectionString = u.toString();
  }
  const authority = decodeURIComponent(u.hostname.replace(/^\[|\]$/g, ''));
  const host = u.searchParams.get('host') || authority || env.PGHOST || 'localhost';
  return { connectionString, request: { host, sslmode, sslrootcert, insecureSkipTlsVerify: options.insecureSkipTlsVerify } };
}

/**
 * The engine's last check before pg sees a config from a library caller: a remote host gets a password only
 * with verify-full (an explicit verifying `ssl`, or sslmode=verify-full in the URL), or with the opt-out.
 */
export function refuseUnverifiedTls(config: { connectionString?: string | undefined; host?: string | undefined; ssl?: unknown; insecureSkipTlsVerify?: boolean | undefined }, env: NodeJS.ProcessEnv = process.env): void {
  if (config.insecureSkipTlsVerify === true) return;
  let host = config.host;
  let urlVerified: boolean | undefined;
  if (config.connectionString) {
    let u: URL;
    try {
      u = new URL(config.connectionString);
    } catch {
      throw new TlsRefusal('the connection string is not a URL, so its host and TLS settings cannot be checked; use postgres://user@host:5432/database');
    }
    host = u.searchParams.get('host') || decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || host;
    const keys = [...u.searchParams.keys()].filter((k) => k === 'sslmode' || UNSUPPORTED_PARAMS.test(k));
    if (keys.length > 0) urlVerified = keys.every((k) => k === 'sslrootcert' || (k === 'sslmode' && u.searchParams.get(k) === 'verify-full'));
  }
  host ||= env.PGHOST || 'localhost';
  if (isLoopbackHost(host)) return;
  const ssl = config.ssl;
  const verified = urlVerified ?? (ssl === undefined
    ? env.PGSSLMODE === 'verify-full'
    : ssl === true || (typeof ssl === 'object' && ssl !== null && (ssl as TlsConnectionOptions).rejectUnauthorized !== false && (ssl as TlsConnectionOptions).checkServerIdentity === undefined));
  if (!verified) {
    throw new TlsRefusal(`refusing to send the password to ${host} without a verified certificate; connect with sslmode=verify-full (or ssl: { rejectUnauthorized: true, ca }), or set insecureSkipTlsVerify (${INSECURE_FLAG}) to send it anyway`);
  }
}
