// A real hot standby of an embedded test server, used as an Aurora reader: another server, so its sessions and
// pg_terminate_backend are its own, while roles, passwords and VALID UNTIL arrive through replication.
// Opt-in per test file (`startHotStandby(primary)`): most tests need no reader.
//
// Built without pg_basebackup (the npm packages ship only initdb, pg_ctl and postgres): PostgreSQL's low-level
// base backup, i.e. pg_backup_start on the primary, a copy of its data directory, pg_backup_stop, its label
// written as backup_label, plus standby.signal and primary_conninfo. A physical replication slot keeps the WAL
// the copy needs. About 40 MB copied and well under a second on an idle test server.
//
// Aurora's instances share the cluster port and differ by host, and the broker connects to every instance on
// one port, so the standby listens on the primary's port at 127.0.0.2 (the test certificate names that
// address too). It keeps the primary's Aurora profile: the same pg_hba (TLS only, the rds_iam rule; on 16 the
// primary's RADIUS checker, which reads the same replicated roles), the same certificate and CA, and on 17 the
// login event trigger, which replicates with the databases.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { IAM_TOKEN_FILE, tokenFileText } from './aurora-profile.js';
import {
  binDir, MASTER_PASSWORD, MASTER_USER, reloadConfig, runAsIds, serverSettings, SUPERUSER, SUPERUSER_PASSWORD, waitUntilReady,
  type EmbeddedServer,
} from './embedded-server.js';

export const STANDBY_HOST = '127.0.0.2';

export interface HotStandby extends EmbeddedServer {
  /**
   * Waits until the standby has replayed everything the primary had written when this was called (its insert
   * position: test servers commit asynchronously, so a commit may not be in the written WAL yet).
   */
  caughtUp(): Promise<void>;
}

let standbys = 0;

/** A hot standby of `primary` (an embedded server), streaming from it over TLS; stop it before the primary. */
export async function startHotStandby(primary: EmbeddedServer, options: { settings?: Record<string, string> } = {}): Promise<HotStandby> {
  const bin = binDir(primary.major);
  if (!bin || !primary.dataDir) throw new Error('a hot standby needs the embedded driver (unset PG_TEST_URL / PG_TEST_DRIVER)');
  const ids = runAsIds();
  const superuser = (host: string, database = 'postgres'): pg.ClientConfig =>
    ({ host, port: primary.port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database, ssl: primary.ssl });
  const slot = `test_standby_${process.pid}_${++standbys}`;
  const root = mkdtempSync(path.join(tmpdir(), `pg${primary.major}-standby-`));
  const dataDir = path.join(root, 'data');
  const caFile = path.join(root, 'ca.pem');
  writeFileSync(caFile, primary.ca);

  // The low-level base backup: one session from start to stop.
  const backup = new pg.Client(superuser(primary.host));
  await backup.connect();
  try {
    await backup.query('SELECT pg_catalog.pg_create_physical_replication_slot($1, true)', [slot]);
    await backup.query("SELECT pg_catalog.pg_backup_start('test hot standby', true)");
    execFileSync('cp', ['-a', primary.dataDir, dataDir]);
    const { rows } = await backup.query<{ labelfile: string; spcmapfile: string | null }>('SELECT labelfile, spcmapfile FROM pg_catalog.pg_backup_stop(true)');
    // What the docs say a base backup leaves out; the standby streams the WAL it needs through the slot.
    for (const name of ['postmaster.pid', 'postmaster.opts', 'pg_wal', 'pg_replslot']) rmSync(path.join(dataDir, name), { recursive: true, force: true });
    mkdirSync(path.join(dataDir, 'pg_wal', 'archive_status'), { recursive: true });
    mkdirSync(path.join(dataDir, 'pg_replslot'));
    writeFileSync(path.join(dataDir, 'backup_label'), rows[0]?.labelfile ?? '');
    if (rows[0]?.spcmapfile) writeFileSync(path.join(dataDir, 'tablespace_map'), rows[0].spcmapfile);
    writeFileSync(path.join(dataDir, 'standby.signal'), '');
  } finally {
    await backup.end();
  }
  if (ids) execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, root]);
  execFileSync('chmod', ['0700', dataDir]);

  const conninfo = `host=${primary.host} port=${primary.port} user=${SUPERUSER} password=${SUPERUSER_PASSWORD} sslmode=verify-full sslrootcert=${caFile}`
    // No client certificate: as root the server runs as `postgres` with root's HOME, whose ~/.postgresql it may not read.
    + ` sslcert=${path.join(root, 'none.crt')} sslkey=${path.join(root, 'none.key')} application_name=${slot}`;
  const settings = serverSettings(STANDBY_HOST, {
    hot_standby: 'on', primary_conninfo: conninfo, primary_slot_name: slot, wal_retrieve_retry_interval: '100ms', ...options.settings,
  });
  const logFile = path.join(root, 'server.log');
  const logFd = openSync(logFile, 'a');
  const args = ['-D', dataDir, '-p', String(primary.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', logFd, logFd], ...(ids ?? {}) });
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const tokenRoles = readFileSync(path.join(dataDir, IAM_TOKEN_FILE), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.slice(1, -1).replace(/""/g, '"'));
  const url = (user: string, password: string, database = 'postgres') =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${STANDBY_HOST}:${primary.port}/${encodeURIComponent(database)}`
    + `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`;
  const query = async (config: pg.ClientConfig, sql: string, params: unknown[] = []) => {
    const client = new pg.Client(config);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };

  const standby: HotStandby = {
    major: primary.major,
    host: STANDBY_HOST,
    port: primary.port,
    dataDir,
    logFile,
    ca: primary.ca,
    ssl: primary.ssl,
    masterUrl: (database) => url(MASTER_USER, MASTER_PASSWORD, database),
    superuserUrl: (database) => url(SUPERUSER, SUPERUSER_PASSWORD, database),
    url,
    // The password is set on the primary and replicates; the token line of pg_hba is per server.
    async issueIamToken(role) {
      const token = await primary.issueIamToken(role);
      if (!tokenRoles.includes(role)) {
        tokenRoles.push(role);
        writeFileSync(path.join(dataDir, IAM_TOKEN_FILE), tokenFileText(tokenRoles));
        if (ids) execFileSync('chown', [`${ids.uid}:${ids.gid}`, path.join(dataDir, IAM_TOKEN_FILE)]);
        await reloadConfig(superuser(STANDBY_HOST));
      }
      await standby.caughtUp();
      return token;
    },
    async caughtUp() {
      const lsn = (await query(superuser(primary.host), 'SELECT pg_catalog.pg_current_wal_insert_lsn()::text AS lsn'))[0]?.lsn;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const rows = await query(superuser(STANDBY_HOST), 'SELECT pg_catalog.pg_last_wal_replay_lsn() OPERATOR(pg_catalog.>=) $1::pg_catalog.pg_lsn AS done', [lsn]);
        if (rows[0]?.done === true) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`the hot standby did not replay the primary's WAL up to ${String(lsn)} within 30 s; see ${logFile}`);
    },
    readLog: () => readFileSync(logFile, 'utf8'),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // The slot would keep the primary's WAL for ever; the primary may already be gone.
      await query(superuser(primary.host), 'SELECT pg_catalog.pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await waitUntilReady(superuser(STANDBY_HOST), exited);
    await standby.caughtUp();
  } catch (error) {
    await standby.stop();
    throw error;
  }
  return standby;
}
