// `firefighter request ... --connect --tunnel`: a Session Manager port forward through the stack's access host
// (AWS-StartPortForwardingSessionToRemoteHost) from a free local port to the writer, then psql through it.
// TLS is still verified against the writer's name: libpq gets host=<writer endpoint> for the certificate and
// hostaddr=127.0.0.1 for the socket. The tunnel is a child process (the AWS CLI plus session-manager-plugin),
// ended when psql exits.
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import path from 'node:path';

export const PORT_FORWARDING_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost';
const PLUGIN_DOCS = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

export interface TunnelTarget {
  /** The access host's instance id (i-...). */
  readonly instanceId: string;
  /** The writer endpoint the host forwards to; unknown until the broker answers when not in the locator. */
  readonly host?: string;
  readonly port?: number;
  readonly region?: string;
  readonly profile?: string;
}

/** The seams of the tunnel, injectable in tests. */
export interface TunnelDeps {
  /** The absolute path of an executable on PATH, or undefined. */
  readonly which: (name: string) => Promise<string | undefined>;
  readonly spawn: (command: string, args: readonly string[]) => ChildProcess;
  readonly freePort: () => Promise<number>;
  /** Resolves once something accepts connections on 127.0.0.1:port. */
  readonly portOpen: (port: number) => Promise<boolean>;
  /** How long the tunnel may take to open. @default 30 s */
  readonly timeoutMs?: number;
}

/** argv of the AWS CLI call that opens the tunnel (no secret in it: it is visible in `ps`). */
export function tunnelArgs(target: Required<Pick<TunnelTarget, 'instanceId' | 'host' | 'port'>> & TunnelTarget, localPort: number): string[] {
  return [
    'ssm', 'start-session',
    '--target', target.instanceId,
    '--document-name', PORT_FORWARDING_DOCUMENT,
    '--parameters', `host=${target.host},portNumber=${target.port},localPortNumber=${localPort}`,
    ...(target.region ? ['--region', target.region] : []),
    ...(target.profile ? ['--profile', target.profile] : []),
  ];
}

/** The command line a person can paste, with placeholders where a value is not known yet. */
export function tunnelCommandLine(target: TunnelTarget, localPort: number): string {
  const args = tunnelArgs({ ...target, host: target.host ?? '<writer endpoint>', port: target.port ?? 5432 }, localPort);
  return ['aws', ...args].map((a) => (/^[A-Za-z0-9_./:=,@-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * What is missing for --tunnel (the AWS CLI, session-manager-plugin), as the message to print before anything is
 * issued: the exact command to run once installed and how psql then connects; undefined when both are there.
 */
export async function tunnelPreflight(target: TunnelTarget | undefined, deps: Pick<TunnelDeps, 'which'>, localPort = 15432): Promise<string | undefined> {
  if (!target) {
    return '--tunnel needs the access host: deploy FirefighterDatabase with enableAccessHost: true and use --cluster NAME, or pass --access-host i-... (the stack output AccessHostInstanceId). Nothing was issued';
  }
  const missing = [];
  if (!(await deps.which('aws'))) missing.push('the AWS CLI (aws)');
  if (!(await deps.which('session-manager-plugin'))) missing.push('the Session Manager plugin (session-manager-plugin)');
  if (missing.length === 0) return undefined;
  const host = target.host ?? '<writer endpoint>';
  return [
    `--tunnel needs ${missing.join(' and ')} on PATH; install it (${PLUGIN_DOCS}) and run this again. Nothing was issued.`,
    'Or open the tunnel yourself:',
    `  ${tunnelCommandLine(target, localPort)}`,
    'then ask for a password without --connect and connect through the tunnel, the certificate checked against the writer\'s name:',
    `  psql "host=${host} hostaddr=127.0.0.1 port=${localPort} sslmode=verify-full sslrootcert=<RDS CA bundle> user=<login> dbname=<database>"`,
  ].join('\n');
}

export interface OpenTunnel {
  readonly localPort: number;
  /** Ends the tunnel (the AWS CLI and its plugin). */
  readonly close: () => void;
}

/** Starts the tunnel and waits until the local port accepts connections; the error carries the CLI's output. */
export async function openTunnel(target: Required<Pick<TunnelTarget, 'instanceId' | 'host' | 'port'>> & TunnelTarget, deps: TunnelDeps): Promise<OpenTunnel> {
  const localPort = await deps.freePort();
  const child = deps.spawn('aws', tunnelArgs(target, localPort));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString('utf8')));
  let exited: string | undefined;
  child.once('exit', (code, signal) => void (exited = signal ?? `exit code ${code}`));
  child.once('error', (error) => void (exited = error.message));
  const close = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const deadline = Date.now() + (deps.timeoutMs ?? 30_000);
  for (;;) {
    // The plugin prints this once the local listener is up; the probe covers plugins that word it differently.
    if (/Waiting for connections/i.test(output) || (exited === undefined && (await deps.portOpen(localPort)))) return { localPort, close };
    const tail = output.trim().split('\n').slice(-5).join(' | ').slice(0, 600);
    if (exited !== undefined) throw new Error(`the tunnel did not open: aws ssm start-session ended (${exited})${tail ? `: ${tail}` : ''}; check --region, your access to ${target.instanceId} (ssm:StartSession, granted with accessHost.grantTunnel) and that the instance is online in Systems Manager`);
    if (Date.now() > deadline) {
      close();
      throw new Error(`the tunnel did not open within ${Math.round((deps.timeoutMs ?? 30_000) / 1000)} s${tail ? ` (${tail})` : ''}; check that ${target.instanceId} is online in Systems Manager (Fleet Manager) and reaches its SSM endpoints`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** libpq settings that route psql through the tunnel while TLS still verifies the writer's own name. */
export function tunnelPsqlEnv(writerHost: string, localPort: number): { PGHOST: string; PGHOSTADDR: string; PGPORT: string } {
  return { PGHOST: writerHost, PGHOSTADDR: '127.0.0.1', PGPORT: String(localPort) };
}

/** The real seams; PATH from the CLI's environment. */
export const defaultTunnelDeps = (env: NodeJS.ProcessEnv): TunnelDeps => ({
  which: async (name) => {
    for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
      const candidate = path.join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
    return undefined;
  },
  // The same environment `which` searched (PATH) and the CLI was given (AWS_PROFILE, AWS_REGION, ...).
  spawn: (command, args) => nodeSpawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env }),
  freePort: () => new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  }),
  portOpen: (port) => new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  }),
});
