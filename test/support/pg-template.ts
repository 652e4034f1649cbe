// A test server's cluster is a copy of a template, not a fresh initdb: initdb costs about a second of CPU and the
// suite starts some 180 servers. Each major's template is initdb'ed once with the Aurora operator's set-up
// (aurora-profile.ts: the roles, and on 17 the login rule) already applied, stopped cleanly, and kept under the
// temporary directory, named after a hash of everything that shapes it, so a changed profile or binary makes a
// new one. The copy is a whole cluster of its own: nothing is shared between servers.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { applyProfileSql, LOGIN_RULE_SQL, rolesSql, SUPERUSER, SUPERUSER_PASSWORD } from './aurora-profile.js';
import { binDir, chownTree, freePort, runAsIds, waitUntilReady } from './pg-binaries.js';
import type { PgMajor } from './pg-major.js';

const INITDB_ARGS = ['-U', SUPERUSER, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C', '-N'];
// Bump when what the template holds changes in a way the hash below does not see.
const FORMAT = 1;

function binaryVersion(bin: string): string {
  const manifest = path.join(bin, '..', '..', 'package.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? bin : bin;
}

/** Where the template of `major` lives: one directory per major and content hash. */
export function templatePath(major: PgMajor, bin: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([FORMAT, binaryVersion(bin), INITDB_ARGS, SUPERUSER_PASSWORD, rolesSql(major), major >= 17 ? LOGIN_RULE_SQL : '', userInfo().uid]))
    .digest('hex')
    .slice(0, 16);
  return path.join(tmpdir(), 'firefighter-pg-templates', `${major}-${hash}`);
}

/** The template's data directory for `major`, made first if it is missing. Safe to call from parallel processes. */
export async function ensureTemplate(major: PgMajor): Promise<string> {
  const bin = binDir(major);
  if (!bin) throw new Error(`postgresql ${major} binaries are not installed; run npm ci`);
  const final = templatePath(major, bin);
  const ready = path.join(final, 'data', 'PG_VERSION');
  if (existsSync(ready)) return path.join(final, 'data');

  mkdirSync(path.dirname(final), { recursive: true, mode: 0o755 });
  const building = mkdtempSync(`${final}.building-`);
  try {
    await buildTemplate(major, bin, building);
    try {
      renameSync(building, final);
    } catch (error) {
      // Another process finished the same template first: use theirs.
      if (!existsSync(ready)) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return path.join(final, 'data');
}

async function buildTemplate(major: PgMajor, bin: string, root: string): Promise<void> {
  const ids = runAsIds();
  chmodSync(root, 0o755);
  const dataDir = path.join(root, 'data');
  const pwFile = path.join(root, 'pw');
  writeFileSync(pwFile, SUPERUSER_PASSWORD);
  chownTree(root, ids);
  execFileSync(path.join(bin, 'initdb'), ['-D', dataDir, `--pwfile=${pwFile}`, ...INITDB_ARGS], { stdio: 'pipe', ...(ids ?? {}) });
  rmSync(pwFile);

  // Started once, without TLS, on loopback, for the superuser only: each copy gets its own pg_hba and certificate.
  const host = '127.0.0.1';
  const port = await freePort();
  const logFile = path.join(root, 'template.log');
  const logFd = openSync(logFile, 'a');
  const args = ['-D', dataDir, '-p', String(port), '-c', `listen_addresses=${host}`, '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'ssl=off'];
  const child = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', logFd, logFd], ...(ids ?? {}) });
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  try {
    const superuser = (database: string) => ({ host, port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database, ssl: false });
    await waitUntilReady(superuser('postgres'), exited);
    await applyProfileSql(superuser, major, { loginRule: true });
  } catch (error) {
    throw new Error(`could not make the postgresql ${major} template: ${(error as Error).message}\n${readFileSync(logFile, 'utf8')}`);
  } finally {
    // A clean (fast) shutdown, so a copy starts without crash recovery.
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
    process.removeListener('exit', killOnExit);
  }
  rmSync(logFile);
}

/** A new cluster at `dataDir` (which must not exist), copied from the template of `major`. */
export async function clusterFromTemplate(major: PgMajor, dataDir: string): Promise<void> {
  cpSync(await ensureTemplate(major), dataDir, { recursive: true });
  chownTree(dataDir, runAsIds());
  chmodSync(dataDir, 0o700);
}
