// A throwaway CA and a server certificate for 127.0.0.1 and 127.0.0.2 (where a hot standby listens,
// hot-standby.ts) (openssl), so TLS verification in tests and in the local demo is as real as against Aurora's RDS CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** `names`: extra DNS names in the server certificate, e.g. a test alias for 127.0.0.1 (test/support/host-alias.ts). */
export function makeTls(names: readonly string[] = []): TestTls {
  const dir = mkdtempSync(path.join(tmpdir(), 'firefighter-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=local test rds ca');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(path.join(dir, 'san.ext'), `subjectAltName=${['IP:127.0.0.1', 'IP:127.0.0.2', 'DNS:localhost', ...names.map((n) => `DNS:${n}`)].join(',')}\n`);
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
    return { ca: read('ca.pem'), cert: read('server.pem'), key: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
