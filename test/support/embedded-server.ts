// A throwaway PostgreSQL cluster from the npm registry's binaries, prepared to behave like Aurora
// (aurora-profile.ts): a bootstrap superuser (`rdsadmin`, as on RDS) only sets the stage, everything else runs
// as the NOSUPERUSER master `postgres`, TLS is forced and members of rds_iam log in with IAM tokens only.
// Used by the tests, the benchmarks and the local demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir, platform, arch } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { applyProfileSql, fakeIamToken, hbaConf, IAM_TOKEN_FILE, MASTER_PASSWORD, MASTER_USER, SUPERUSER, SUPERUSER_PASSWORD, tokenFileText } from './aurora-profile.js';
import { binDir, chownTree, freePort, runAsIds, waitUntilReady } from './pg-binaries.js';
import { clusterFromTemplate } from './pg-template.js';
import { makeTls, type TestTls } from './tls.js';

export { MASTER_PASSWORD, MASTER_USER, SUPERUSER, SUPERUSER_PASSWORD } from './aurora-profile.js';
export { binDir, freePort, runAsIds, waitUntilReady } from './pg-binaries.js';

export type { PgMajor } from './pg-major.js';
import type { PgMajor } from './pg-major.js';


export interface EmbeddedServerOptions {
  major: PgMajor;
  /** Extra `-c name=value` server settings, e.g. `{ log_statement: 'all' }`. */
  settings?: Record<string, string>;
  /** The server certificate, key and the CA that signed them. @default - one test CA per process (makeTls) */
  tls?: TestTls;
  /** Keep the data directory after stop (the demo's --keep). */
  keepDataDir?: boolean;
  /** Listen on this port (e.g. one a client is already retrying). @default - a free port */
  port?: number;
}

export interface EmbeddedServer {
  readonly major: PgMajor;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** PEM of the CA the server certificate chains to ('' when the server is not ours and has no known CA). */
  readonly ca: string;
  /** pg's `ssl` option that verifies the server (chain and host name), for a client built from host/port. */
  readonly ssl: pg.ClientConfig['ssl'];
  /** The Aurora-like master (`postgres`, NOSUPERUSER CREATEROLE CREATEDB, member of rds_superuser). */
  masterUrl(database?: string): string;
  /** Bootstrap superuser: for test set-up that Aurora's operator would do, never for the code under test. */
  superuserUrl(database?: string): string;
  /** Every URL asks for TLS with full verification (`sslmode=verify-full&sslrootcert=<the CA file>`). */
  url(user: string, password: string, database?: string): string;
  /**
   * The emulated IAM service: a fresh token-sized credential the role can log in with (as a cleartext password
   * inside TLS, like an RDS IAM auth token), replacing the role's previous token or password.
   */
  /** The emulated IAM service: a token for `role`; `token` picks it (the demo's --keep prints one to paste). */
  issueIamToken(role: string, token?: string): Promise<string>;
  readLog(): string;
  stop(): Promise<void>;
}

/** The majors the tests run on: `PG_TEST_VERSIONS=17,15` or all that are installed. */
export function testedMajors(env: NodeJS.ProcessEnv = process.env): PgMajor[] {
  const external = env.PG_TEST_URL !== undefined || env.PG_TEST_DRIVER === 'testcontainers';
  const wanted = (env.PG_TEST_VERSIONS ?? (env.PG_TEST_URL ? '17' : '17,16,15'))
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((v): v is PgMajor => v === 15 || v === 16 || v === 17);
  return external ? wanted : wanted.filter((major) => binDir(major) !== undefined);
}

/**
 * A fresh Aurora-like server for one test file or the demo. By default an embedded PostgreSQL from npm;
 * `PG_TEST_DRIVER=testcontainers` starts `postgres:<major>` in Docker instead (install
 * `@testcontainers/postgresql` first); `PG_TEST_URL=postgres://superuser:pw@host/postgres` uses an existing,
 * disposable server, which is RESET (every non-system database and role dropped) each time.
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const driver = process.env.PG_TEST_DRIVER ?? (process.env.PG_TEST_URL ? 'url' : 'embedded');
  if (driver === 'url') return attachToExistingServer(options, process.env.PG_TEST_URL ?? '');
  if (driver === 'testcontainers') return startContainer(options);
  if (driver !== 'embedded') throw new Error(`PG_TEST_DRIVER must be embedded, testcontainers or url, got ${JSON.stringify(driver)}`);
  return startBinaries(options);
}

let processTls: TestTls | undefined;

async function startBinaries(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const bin = binDir(options.major);
  if (!bin) throw new Error(`postgresql ${options.major} binaries are not installed for ${platform()}-${arch()}; run npm ci`);
  const tls = options.tls ?? (processTls ??= makeTls());
  const ids = runAsIds();
  const dataRoot = mkdtempSync(path.join(tmpdir(), `pg${options.major}-`));
  chmodSync(dataRoot, 0o755);
  const dataDir = path.join(dataRoot, 'data');
  const caFile = path.join(dataRoot, 'ca.pem');
  writeFileSync(caFile, tls.ca);
  chownTree(dataRoot, ids);
  await clusterFromTemplate(options.major, dataDir);

  const port = options.port ?? await freePort();
  const host = '127.0.0.1';
  const ssl = { ca: tls.ca, rejectUnauthorized: true };
  const superuserConfig = (database = 'postgres'): pg.ClientConfig => ({ host, port, user: SUPERUSER, password: SUPERUSER_PASSWORD, database, ssl });
  const radius = options.major === 16 ? await startRadiusChecker(superuserConfig()) : undefined;
  const dataFile = (name: string, text: string, mode = 0o644) => {
    writeFileSync(path.join(dataDir, name), text, { mode });
    if (ids) chownSync(path.join(dataDir, name), ids.uid, ids.gid);
  };
  dataFile('pg_hba.conf', hbaConf({ major: options.major, ...(radius ? { radius } : {}) }));
  const tokenRoles: string[] = [];
  dataFile(IAM_TOKEN_FILE, tokenFileText(tokenRoles));
  dataFile('server.crt', tls.cert);
  dataFile('server.key', tls.key, 0o600);

  const settings = serverSettings(host, options.settings);

  const logFile = path.join(dataRoot, 'server.log');
  const logFd = openSync(logFile, 'a');
  const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child: ChildProcess = spawn(path.join(bin, 'postgres'), args, {
    stdio: ['ignore', logFd, logFd],
    ...(ids ?? {}),
    // libpq inside the server (dblink, postgres_fdw) reads ~/.postgresql; the dropped user cannot read ours.
    env: { ...process.env, HOME: dataRoot },
  });
  closeSync(logFd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = (user: string, password: string, database = 'postgres') =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`
    + `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caFile)}`;

  const server: EmbeddedServer = {
    major: options.major,
    host,
    port,
    dataDir,
    logFile,
    ca: tls.ca,
    ssl,
    masterUrl: (database) => url(MASTER_USER, MASTER_PASSWORD, database),
    superuserUrl: (database) => url(SUPERUSER, SUPERUSER_PASSWORD, database),
    url,
    async issueIamToken(role, given) {
      const token = given ?? fakeIamToken(host, port, role);
      // A verifier, not the token, travels in the statement: a test server may log every statement.
      await superuserQuery(superuserConfig(), `ALTER ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(scramSha256Verifier(token))}`);
      if (!tokenRoles.includes(role)) {
        tokenRoles.push(role);
        dataFile(IAM_TOKEN_FILE, tokenFileText(tokenRoles));
        await reloadConfig(superuserConfig());
      }
      return token;
    },
    readLog: () => readFileSync(logFile, 'utf8'),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await radius?.stop();
      if (!options.keepDataDir) rmSync(dataRoot, { recursive: true, force: true });
    },
  };

  try {
    // The Aurora operator's roles (and on 17 the login rule) are in the template already.
    await waitUntilReady(superuserConfig(), exited);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** The command-line settings of a test server (a hot standby, hot-standby.ts, gets the same). */
export function serverSettings(host: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    listen_addresses: host,
    unix_socket_directories: '',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: '300',
    password_encryption: 'scram-sha-256',
    log_line_prefix: '%m [%p] %q%u@%d ',
    log_connections: 'on',
    ssl: 'on',
    ...extra,
  };
}

async function superuserQuery(config: pg.ClientConfig, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** pg_reload_conf() only signals the postmaster: wait until a new session was forked with the new pg_hba. */
export async function reloadConfig(config: pg.ClientConfig): Promise<void> {
  const before = (await superuserQuery(config, 'SELECT pg_catalog.pg_conf_load_time() AS t, pg_catalog.pg_reload_conf()')).rows[0]?.t as Date;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const now = (await superuserQuery(config, 'SELECT pg_catalog.pg_conf_load_time() AS t')).rows[0]?.t as Date;
    if (now.getTime() > before.getTime()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the test server did not reload pg_hba.conf within 10 s; see its server.log');
}

/** The PostgreSQL 16 rds_iam checker (iam-radius.mjs) in a worker thread. */
async function startRadiusChecker(superuser: pg.ClientConfig): Promise<{ port: number; secret: string; stop(): Promise<void> }> {
  const secret = randomBytes(16).toString('hex');
  const worker = new Worker(new URL('./iam-radius.mjs', import.meta.url), { workerData: { secret, superuser } });
  worker.unref();
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  return {
    port,
    secret,
    async stop() {
      await worker.terminate();
    },
  };
}

/**
 * What the Aurora operator sets up before the customer ever connects (aurora-profile.ts). On a server that is
 * not ours (PG_TEST_URL, testcontainers) only the roles: its pg_hba and TLS are out of reach, so the
 * rds_iam rule and forced TLS are not emulated there.
 */
export async function prepareAuroraLikeServer(server: Pick<EmbeddedServer, 'superuserUrl' | 'major'>): Promise<void> {
  await applyProfileSql((database) => ({ connectionString: server.superuserUrl(database) }), server.major, { loginRule: false });
}

function remoteServer(major: PgMajor, host: string, port: number, superuser: { user: string; password: string }, stop: () => Promise<void>, search = ''): EmbeddedServer {
  // The TLS parameters of PG_TEST_URL, if any, apply to every connection.
  const url = (user: string, password: string, database = 'postgres') =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}${search}`;
  const server: EmbeddedServer = {
    major, host, port, dataDir: '', logFile: '', ca: '', ssl: undefined,
    masterUrl: (database) => url(MASTER_USER, MASTER_PASSWORD, database),
    superuserUrl: (database) => url(superuser.user, superuser.password, database),
    url,
    async issueIamToken(role, given) {
      const token = given ?? fakeIamToken(host, port, role);
      const client = new pg.Client({ connectionString: server.superuserUrl() });
      await client.connect();
      try {
        await client.query(`ALTER ROLE ${pg.escapeIdentifier(role)} PASSWORD ${pg.escapeLiteral(scramSha256Verifier(token))}`);
      } finally {
        await client.end();
      }
      return token;
    },
    readLog: () => {
      throw new Error('the server log is only readable with the embedded server (unset PG_TEST_URL / PG_TEST_DRIVER)');
    },
    stop,
  };
  return server;
}

function refuseEmbeddedOnly(options: EmbeddedServerOptions, driver: string): void {
  if (options.tls) throw new Error(`a TLS test server needs the embedded driver, not ${driver}`);
}

/** Drops every non-system database and role so each test file starts from an empty cluster. */
async function resetCluster(superuserUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  try {
    const dbs = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')");
    for (const { datname } of dbs.rows) await client.query(`DROP DATABASE ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    const roles = await client.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> current_user");
    if (roles.rows.length > 0) {
      const list = roles.rows.map((r) => pg.escapeIdentifier(r.rolname)).join(', ');
      await client.query(`REASSIGN OWNED BY ${list} TO current_user; DROP OWNED BY ${list}`);
      for (const { rolname } of roles.rows) await client.query(`DROP ROLE ${pg.escapeIdentifier(rolname)}`);
    }
  } finally {
    await client.end();
  }
}

async function attachToExistingServer(options: EmbeddedServerOptions, superuserUrl: string): Promise<EmbeddedServer> {
  refuseEmbeddedOnly(options, 'PG_TEST_URL');
  const parsed = new URL(superuserUrl);
  const client = new pg.Client({ connectionString: superuserUrl });
  await client.connect();
  const version = Number((await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v);
  for (const [name, value] of Object.entries(options.settings ?? {})) await client.query(`ALTER SYSTEM SET ${pg.escapeIdentifier(name)} = ${pg.escapeLiteral(value)}`);
  if (options.settings) await client.query('SELECT pg_reload_conf()');
  await client.end();
  if (Math.floor(version / 10_000) !== options.major) {
    throw new Error(`PG_TEST_URL is PostgreSQL ${Math.floor(version / 10_000)}, the test asked for ${options.major}; set PG_TEST_VERSIONS=${Math.floor(version / 10_000)}`);
  }
  await resetCluster(superuserUrl);
  const server = remoteServer(options.major, parsed.hostname, Number(parsed.port || 5432),
    { user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }, async () => undefined, parsed.search);
  await prepareAuroraLikeServer(server);
  return server;
}

async function startContainer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  refuseEmbeddedOnly(options, 'testcontainers');
  const moduleName = '@testcontainers/postgresql';
  let mod: { PostgreSqlContainer: new (image: string) => TestContainerBuilder };
  try {
    mod = (await import(moduleName)) as typeof mod;
  } catch {
    throw new Error('PG_TEST_DRIVER=testcontainers needs Docker and the package: npm install --no-save @testcontainers/postgresql');
  }
  const settings = Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  const container = await new mod.PostgreSqlContainer(`postgres:${options.major}`)
    .withUsername(SUPERUSER).withPassword(SUPERUSER_PASSWORD).withCommand(['postgres', ...settings]).start();
  const server = remoteServer(options.major, container.getHost(), container.getPort(), { user: SUPERUSER, password: SUPERUSER_PASSWORD },
    async () => { await container.stop(); });
  await prepareAuroraLikeServer(server);
  return server;
}

interface TestContainerBuilder {
  withUsername(user: string): TestContainerBuilder;
  withPassword(password: string): TestContainerBuilder;
  withCommand(command: string[]): TestContainerBuilder;
  start(): Promise<{ getHost(): string; getPort(): number; stop(): Promise<unknown> }>;
}
