// What a request prints so the password can be used at once without ever reaching a process's argv (visible to
// every local user in `ps`): a psql line with the password in PGPASSWORD, the connection URI without it, and
// the ~/.pgpass line that supplies it instead. The lines holding the password are marked as secret.
import type { RequestResponse } from '../../lib/broker/service.js';

const LIBPQ_MODE = { 'verify-full': 'verify-full', 'verify-ca': 'verify-ca', 'no-verify': 'require', disable: 'disable' } as const;
const RDS_CA_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/** Single-quoted for a POSIX shell. */
export const shellQuote = (text: string): string => (/^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** The CA file psql verifies the server with: --ca or the URL's, else the RDS bundle for RDS hosts, else the system's. */
export function rootCert(host: string, given: string | undefined): { file: string; note?: string } {
  if (given) return { file: given };
  if (/\.rds\.amazonaws\.com$/i.test(host)) return { file: 'global-bundle.pem', note: `the RDS CA bundle: curl -so global-bundle.pem ${RDS_CA_URL}` };
  return { file: 'system' };
}

/** postgresql://user@host:port/db?sslmode=...: no password, so it may go into argv, a ticket or a config. */
export function connectionUri(r: Pick<RequestResponse, 'username' | 'host' | 'port' | 'database' | 'sslmode'>, sslrootcert?: string): string {
  const host = r.host.includes(':') ? `[${r.host}]` : r.host;
  const mode = LIBPQ_MODE[r.sslmode];
  const root = sslrootcert && mode.startsWith('verify') ? `&sslrootcert=${encodeURIComponent(sslrootcert)}` : '';
  return `postgresql://${encodeURIComponent(r.username)}@${host}:${r.port}/${encodeURIComponent(r.database)}?sslmode=${mode}${root}`;
}

/** ~/.pgpass escapes `:` and `\` in every field. */
const pgpassField = (text: string) => text.replace(/[\\:]/g, (c) => `\\${c}`);

export function connectionLines(r: RequestResponse, sslrootcert: string | undefined): string[] {
  const root = rootCert(r.host, sslrootcert);
  const uri = connectionUri(r, root.file);
  const lines = [`uri:      ${uri}`];
  if (r.password) {
    lines.push(
      `psql:     PGPASSWORD=${shellQuote(r.password)} psql ${shellQuote(uri)}   (secret: the password is in psql's environment, not its argv)`,
      `pgpass:   ${[r.host, String(r.port), r.database, r.username, r.password].map(pgpassField).join(':')}   (secret: a line for ~/.pgpass, mode 0600; then psql ${shellQuote(uri)})`,
    );
  }
  if (root.note) lines.push(`          sslrootcert=${root.file} is ${root.note}`);
  return lines;
}
