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

export async function connectPsql(response: RequestResponse, cli: PsqlCli, io: CliIo, tunnelTo?: TunnelTarget): Promise<number> {
  if (!response.password) {
    io.stderr(`firefighter: --connect needs the password in the response; this broker writes it to ${response.secretArn ?? 'a secret'}, read it from there`);
    return 1;
  }
  if (response.sslmode === 'disable') {
    io.stderr('firefighter: --connect needs TLS, and this server was reached without it; use sslmode=verify-full');
    return 2;
  }
  let tls;
  try {
    tls = await psqlTls(response.host, { caFile: cli.caFile, env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify, rdsCa: loadRdsCa });
  } catch (error) {
    if (!(error instanceof TlsRefusal)) throw error;
    io.stderr(`firefighter: not starting psql: ${error.message}; the password is active until ${humanTime(response.expiresAt)} (end it with: ${cli.revoke})`);
    return 2;
  }
  if (tls.warning) io.stderr(`firefighter: ${tls.warning}`);
  let tunnel: OpenTunnel | undefined;
  try {
    if (tunnelTo) {
      try {
        tunnel = await openTunnel({ ...tunnelTo, host: response.host, port: response.port }, { ...defaultTunnelDeps(io.env), ...io.tunnel });
      } catch (error) {
        io.stderr(`firefighter: not starting psql: ${(error as Error).message}; the password is active until ${humanTime(response.expiresAt)} (end it with: ${cli.revoke})`);
        return 1;
      }
      io.stderr(`firefighter: tunnel to ${response.host}:${response.port} through ${tunnelTo.instanceId} on 127.0.0.1:${tunnel.localPort}`);
    }
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
    io.stdout(`${response.username} is still yours until ${humanTime(response.expiresAt)}; end it now with \`${cli.revoke}\``);
    return code === 0 ? 0 : 1;
  } finally {
    tunnel?.close();
    tls.cleanup();
  }
}
