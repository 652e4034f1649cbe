// libpq settings for `firefighter request --connect`: psql gets the same TLS decision as every other connection
// here (lib/postgres/tls.ts), expressed as PGSSLMODE and PGSSLROOTCERT. The RDS CAs go to a temporary file,
// since psql reads its roots from a file, and the file is removed when psql exits.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decideTls, isLoopbackHost, type TlsDeps } from '../postgres/tls.js';

export interface PsqlTlsOptions {
  /** --ca: wins over PGSSLROOTCERT. */
  readonly caFile?: string | undefined;
  /** The caller's environment, for PGSSLMODE and PGSSLROOTCERT. */
  readonly env: NodeJS.ProcessEnv;
  readonly insecureSkipTlsVerify?: boolean | undefined;
  readonly rdsCa?: TlsDeps['rdsCa'];
}

export interface PsqlTls {
  /** PGSSLMODE and PGSSLROOTCERT for psql (PGSSLROOTCERT removed when nothing is verified). */
  readonly env: { PGSSLMODE: string; PGSSLROOTCERT?: string };
  readonly warning?: string;
  /** Removes the temporary CA file, if one was written. */
  readonly cleanup: () => void;
}

const LIBPQ_MODE = { 'verify-full': 'verify-full', 'verify-ca': 'verify-ca', 'no-verify': 'require', disable: 'disable' } as const;

/** Throws TlsRefusal (before psql starts, so before the password leaves) when the host needs verify-full. */
export async function psqlTls(host: string, options: PsqlTlsOptions): Promise<PsqlTls> {
  const rootcert = options.caFile ?? options.env.PGSSLROOTCERT;
  // A local server may not have a CA the caller knows; libpq's own default there would be prefer.
  const fallback = isLoopbackHost(host) && !rootcert ? 'require' : 'verify-full';
  const decision = await decideTls(
    { host, sslmode: options.env.PGSSLMODE || fallback, sslrootcert: rootcert, insecureSkipTlsVerify: options.insecureSkipTlsVerify },
    options.rdsCa ? { rdsCa: options.rdsCa } : {},
  );
  const mode = LIBPQ_MODE[decision.tls.mode];
  const warning = decision.warning ? { warning: decision.warning } : {};
  const none = () => undefined;
  switch (decision.trust.kind) {
    case 'none':
      return { env: { PGSSLMODE: mode }, cleanup: none, ...warning };
    case 'file':
      return { env: { PGSSLMODE: mode, PGSSLROOTCERT: decision.trust.file }, cleanup: none, ...warning };
    case 'system':
      // libpq 16+ reads the system trust store for `system`; older psql refuses to connect, which fails closed.
      return { env: { PGSSLMODE: mode, PGSSLROOTCERT: 'system' }, cleanup: none, ...warning };
    case 'rds': {
      const ca = (decision.tls as { ca?: string | readonly string[] }).ca ?? [];
      const dir = mkdtempSync(path.join(tmpdir(), 'firefighter-rds-ca-'));
      const file = path.join(dir, 'rds-ca-bundle.pem');
      writeFileSync(file, typeof ca === 'string' ? ca : ca.join('\n'), { mode: 0o600 });
      return { env: { PGSSLMODE: mode, PGSSLROOTCERT: file }, cleanup: () => rmSync(dir, { recursive: true, force: true }), ...warning };
    }
  }
}

/**
 * The same decision before the broker is asked, so a refusal does not leave an issued password behind. The
 * host is unknown until the broker answers (the cluster's writer), so it is taken as remote unless given.
 */
export async function psqlTlsPreflight(host: string | undefined, options: Omit<PsqlTlsOptions, 'rdsCa'>): Promise<void> {
  const { cleanup } = await psqlTls(host ?? 'the cluster endpoint', options);
  cleanup();
}

/** The host of a --direct URL, or undefined when it cannot be read (parseDirectUrl reports that). */
export function directHost(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}
