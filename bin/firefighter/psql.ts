// --connect: psql is checked for before anything is issued, then started with the password in its environment
// (never argv), TLS verified for the writer's name, optionally through the SSM tunnel (./tunnel.ts).
import { spawn } from 'node:child_process';
import type { RequestResponse } from '../../lib/broker/service.js';
import { psqlTls } from '../../lib/broker/psql-tls.js';
import { loadRdsCa } from '../../lib/postgres/rds-ca.js';
import { TlsRefusal } from '../../lib/postgres/tls.js';
import type { CliIo } from './io.js';
import { cliError, CLI_ERROR_CODES, type CliError } from './errors.js';
import { humanTime } from './time.js';
import { defaultTunnelDeps, openTunnel, tunnelPsqlEnv, type OpenTunnel, type TunnelTarget } from './tunnel.js';

/** What --connect needs of the parsed command line. */
export interface PsqlCli {
  readonly event: Record<string, unknown>;
  readonly caFile?: string;
  readonly insecureSkipTlsVerify: boolean;
  /** The command that ends it, with the flags that reached the broker. */
  readonly revoke: string;
}

function spawnPsql(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [], { env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** --connect: psql must be there before anything is issued, not after (TLS is checked beside it). */
export async function psqlPreflight(io: CliIo): Promise<CliError | undefined> {
  const available = io.psqlAvailable ?? (io.psql ? async () => true : psqlRuns);
  if (await available()) return undefined;
  return cliError(CLI_ERROR_CODES.precondition, 'psql was not found on PATH, and --connect starts it; install the PostgreSQL client (e.g. apt install postgresql-client, brew install libpq) or leave out --connect. Nothing was issued');
}

function psqlRuns(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('psql', ['--version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

/** What --connect came to after the password was issued: the exit code, and the problem or the closing line. */
export interface PsqlOutcome {
  readonly exitCode: number;
  /** Why psql did not start or did not end well; the password stays active (details say until when). */
  readonly problem?: CliError;
  /** After psql: until when the access lasts and how to end it now. */
  readonly after?: string;
}

/** A tunnel opened before the broker was asked (the writer known from the locator), or one to open now. */
export interface PsqlTunnel {
  readonly target: TunnelTarget;
  readonly open?: OpenTunnel;
}

export async function connectPsql(response: RequestResponse, cli: PsqlCli, io: CliIo, tunnelTo?: PsqlTunnel): Promise<PsqlOutcome> {
  const active = { passwordActiveUntil: response.expiresAt, revokeWith: cli.revoke };
  const problem = (code: string, exitCode: number, message: string): PsqlOutcome =>
    ({ exitCode, problem: { ok: false, code, message, refusal: exitCode === 2, exitCode, details: active } });
  if (!response.password) {
    return problem('FAILURE', 1, `--connect needs the password in the response; this broker writes it to ${response.secretArn ?? 'a secret'}, read it from there`);
  }
  if (response.sslmode === 'disable') {
    return problem(CLI_ERROR_CODES.precondition, 2, '--connect needs TLS, and this server was reached without it; use sslmode=verify-full');
  }
  let tls;
  try {
    tls = await psqlTls(response.host, { caFile: cli.caFile, env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify, rdsCa: loadRdsCa });
  } catch (error) {
    if (!(error instanceof TlsRefusal)) throw error;
    return problem(CLI_ERROR_CODES.precondition, 2, `not starting psql: ${error.message}; the password is active until ${humanTime(response.expiresAt)} (end it with: ${cli.revoke})`);
  }
  if (tls.warning) io.stderr(`firefighter: ${tls.warning}`);
  let tunnel = tunnelTo?.open;
  try {
    if (tunnelTo && !tunnel) {
      try {
        tunnel = await openTunnel({ ...tunnelTo.target, host: response.host, port: response.port }, { ...defaultTunnelDeps(io.env), ...io.tunnel });
      } catch (error) {
        return problem('FAILURE', 1, `not starting psql: ${(error as Error).message}; the password is active until ${humanTime(response.expiresAt)} (end it with: ${cli.revoke})`);
      }
    }
    if (tunnelTo && tunnel) io.stderr(`firefighter: tunnel to ${response.host}:${response.port} through ${tunnelTo.target.instanceId} on 127.0.0.1:${tunnel.localPort}`);
    // A PGHOSTADDR of the caller's, or a service file (read before the environment), would send the password
    // elsewhere than the host named (and verified) here.
    const { PGSSLROOTCERT: _userRoot, PGHOSTADDR: _userAddr, PGSERVICE: _userService, PGSERVICEFILE: _userServiceFile, ...callerEnv } = io.env;
    const env: NodeJS.ProcessEnv = {
      ...callerEnv,
      PGHOST: response.host, PGPORT: String(response.port), PGUSER: response.username, PGDATABASE: response.database,
      // Through the tunnel: the socket goes to 127.0.0.1, the certificate is still checked against the writer's name.
      ...(tunnel ? tunnelPsqlEnv(response.host, tunnel.localPort) : {}),
      // In the environment, never in argv: argv is visible to every local user in `ps`.
      PGPASSWORD: response.password,
      ...tls.env,
      PGAPPNAME: 'firefighter',
    };
    const code = await (io.psql ?? spawnPsql)(env);
    // psql's exit does not end the access: say until when it lasts and how to end it now.
    const after = `${response.username} is still yours until ${humanTime(response.expiresAt)}; end it now with \`${cli.revoke}\``;
    if (code === 0) return { exitCode: 0, after };
    return { ...problem('PSQL', 1, `psql ended with exit code ${code}; ${after}`), after };
  } finally {
    // A tunnel opened before the broker was asked is closed by whoever opened it.
    if (!tunnelTo?.open) tunnel?.close();
    tls.cleanup();
  }
}
