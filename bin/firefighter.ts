#!/usr/bin/env node
// firefighter request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover] [--connect] [--json]
// firefighter revoke ro|rw --incident ID [--reason TEXT]
// firefighter status
// Exit codes: 0 done, 2 refused or invalid input, 1 failure. The password is printed once (or handed to psql
// in its environment with --connect); it never reaches argv, stderr or an error message.
import { spawn } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBrokerService, type AuditLogger, type BrokerResponse, type RequestResponse } from '../lib/broker/service.js';
import { directConfig, directConnector, parseDirectUrl } from '../lib/broker/direct.js';
import { exitCodeOf, redact } from '../lib/broker/errors.js';
import { directHost, psqlTls, psqlTlsPreflight } from '../lib/broker/psql-tls.js';
import { locateBroker, type GetParameter } from './firefighter-cluster.js';
import { firefighterVersion } from './firefighter-version.js';
import { loadRdsCa } from '../lib/postgres/rds-ca.js';
import { TlsRefusal } from '../lib/postgres/tls.js';
import { parseBrokerInput, proofBinding } from '../lib/core/broker-input.js';

const USAGE = `usage: firefighter request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover] [--connect] [--json]
       firefighter revoke ro|rw --incident ID [--reason TEXT] [--json]
       firefighter status [--json]
       firefighter --version

  through the broker Lambda (default):
    --cluster NAME       the Aurora cluster: finds the broker in SSM /cdk-aurora-firefighter/NAME/broker (or FIREFIGHTER_CLUSTER)
    --function NAME      the broker function instead (or FIREFIGHTER_FUNCTION; stack output ...BrokerFunctionName)
    --broker-id ID       with --function: the id your identity proof is bound to (or FIREFIGHTER_BROKER_ID; stack output
                         ...BrokerBrokerId; default: the last part of the function name)
    --profile, --region  AWS profile and region (default: the SDK's usual chain)
    --sts-endpoint URL   STS endpoint the broker verifies at (or FIREFIGHTER_STS_ENDPOINT; default: the regional one)
  straight against PostgreSQL:
    --direct --database-url postgres://BROKER_USER:PASSWORD@HOST:5432/DB[?sslmode=verify-full&sslrootcert=CA]
  --database NAME   which of the broker's databases (default: its first)
  --ca FILE         CA bundle to verify the server with (psql with --connect, and --direct); default: the RDS CAs
                    for *.rds.amazonaws.com, else PGSSLROOTCERT or Node's (psql: the system's) trust store
  --insecure-skip-tls-verify
                    let the password reach a remote host without a verified certificate (PGSSLMODE/sslmode
                    require, disable, ...); anyone on the way can read it
  --connect         start psql logged in as the firefighter role (password in its environment, TLS required)
  --json            machine-readable output (stable field names)

exit codes: 0 done, 2 refused or invalid input, 1 failure`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Runs psql with this environment and no arguments; resolves to its exit code. */
  readonly psql?: (env: NodeJS.ProcessEnv) => Promise<number>;
  /** Sends an event to the broker Lambda; the default uses @aws-sdk/client-lambda. */
  readonly invoke?: (options: LambdaOptions, event: Record<string, unknown>) => Promise<BrokerResponse>;
  /** Reads the broker locator from SSM (--cluster); the default uses @aws-sdk/client-ssm. */
  readonly getParameter?: GetParameter;
}

export interface LambdaOptions {
  readonly functionName: string;
  readonly brokerId: string;
  readonly profile?: string;
  readonly region?: string;
  readonly stsEndpoint?: string;
  /** Set with --cluster: functionName and brokerId are then read from SSM before the invoke. */
  readonly cluster?: string;
}

class UsageError extends Error {}
class VersionRequest extends Error {}

interface Cli {
  readonly event: Record<string, unknown>;
  readonly json: boolean;
  readonly connect: boolean;
  readonly caFile?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly direct?: { url: string };
  readonly lambda?: LambdaOptions;
}

function parseCli(argv: string[], env: NodeJS.ProcessEnv): Cli {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        incident: { type: 'string' }, reason: { type: 'string' }, hours: { type: 'string' }, takeover: { type: 'boolean' },
        database: { type: 'string' }, connect: { type: 'boolean' }, json: { type: 'boolean' }, ca: { type: 'string' },
        function: { type: 'string' }, 'broker-id': { type: 'string' }, cluster: { type: 'string' }, version: { type: 'boolean' }, profile: { type: 'string' }, region: { type: 'string' },
        'sts-endpoint': { type: 'string' }, direct: { type: 'boolean' }, 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'insecure-skip-tls-verify': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) throw new UsageError('');
  if (v.version) throw new VersionRequest();
  const [command, role, ...extra] = positionals;
  if (command !== 'request' && command !== 'revoke' && command !== 'status') throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}; use request, revoke or status`);
  if (command === 'status' ? role !== undefined : extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(command === 'status' ? role : extra[0])}`);
  const event: Record<string, unknown> = { action: command };
  if (command !== 'status') {
    if (role !== 'ro' && role !== 'rw') throw new UsageError(`${command} needs the role: ro or rw, got ${JSON.stringify(role ?? '')}`);
    if (v.incident === undefined) throw new UsageError('--incident is required, e.g. --incident INC-4711');
    Object.assign(event, { role, incidentId: v.incident, ...(v.reason !== undefined ? { reason: v.reason } : {}), ...(v.database !== undefined ? { database: v.database } : {}) });
  }
  if (command === 'request') {
    if (v.reason === undefined) throw new UsageError('--reason is required, e.g. --reason "orders stuck in created"');
    if (v.hours !== undefined && v.hours !== '1' && v.hours !== '2') throw new UsageError(`--hours must be 1 or 2, got ${JSON.stringify(v.hours.slice(0, 20))}`);
    Object.assign(event, { hours: v.hours === '1' ? 1 : 2, takeover: v.takeover ?? false });
  } else if (v.takeover || v.hours !== undefined || v.connect) {
    throw new UsageError('--takeover, --hours and --connect belong to request');
  }
  const base = { event, json: v.json ?? false, connect: v.connect ?? false, insecureSkipTlsVerify: v['insecure-skip-tls-verify'] ?? false, ...(v.ca !== undefined ? { caFile: v.ca } : {}) };
  if (v.direct) {
    if (!v['database-url']) throw new UsageError('--direct needs --database-url postgres://BROKER_USER@HOST/DB');
    return { ...base, direct: { url: v['database-url'] } };
  }
  if (v['database-url']) throw new UsageError('--database-url needs --direct');
  const cluster = v.function === undefined ? v.cluster ?? env.FIREFIGHTER_CLUSTER : undefined;
  const functionName = v.function ?? (cluster === undefined ? env.FIREFIGHTER_FUNCTION : '');
  if (functionName === undefined) throw new UsageError('the broker is unknown; pass --cluster NAME (or set FIREFIGHTER_CLUSTER), or --function NAME with --broker-id ID');
  const stsEndpoint = v['sts-endpoint'] ?? env.FIREFIGHTER_STS_ENDPOINT;
  return {
    ...base,
    lambda: {
      functionName,
      brokerId: v['broker-id'] ?? env.FIREFIGHTER_BROKER_ID ?? functionName.split(':').pop() ?? functionName,
      ...(cluster !== undefined ? { cluster } : {}),
      ...(v.profile !== undefined ? { profile: v.profile } : {}),
      ...(v.region !== undefined ? { region: v.region } : {}),
      ...(stsEndpoint !== undefined ? { stsEndpoint } : {}),
    },
  };
}

/** With --cluster: the function ARN, broker id and region from the cluster's SSM parameter. */
async function located(options: LambdaOptions, getParameter?: GetParameter): Promise<LambdaOptions> {
  if (options.cluster === undefined) return options;
  const broker = await locateBroker(options.cluster, options, getParameter);
  const { cluster: _cluster, ...rest } = options;
  return { ...rest, functionName: broker.functionName, brokerId: options.brokerId || broker.brokerId, region: options.region ?? broker.region };
}

const quietLogger: AuditLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function runDirect(cli: Cli, io: CliIo): Promise<BrokerResponse> {
  const target = await parseDirectUrl(cli.direct?.url ?? '', {
    ...(cli.caFile ? { caFile: cli.caFile } : {}), ...(io.env.PGPASSWORD ? { fallbackPassword: io.env.PGPASSWORD } : {}),
    env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify, rdsCa: loadRdsCa,
  });
  if (target.warning) io.stderr(`firefighter: ${target.warning}`);
  const connect = directConnector(target);
  const config = await directConfig(target, connect);
  const service = createBrokerService({
    config, connect, sslmode: target.tls.mode, logger: quietLogger,
    // The database's audit row records who asked; here that is the local account, there being no IAM identity.
    identity: { trusted: `${userInfo().username}@${hostname()} (direct)`.slice(0, 200) },
  });
  return service(cli.event);
}

/** The default invoke: signs the identity proof with the caller's credentials and invokes the function. */
async function invokeLambda(options: LambdaOptions, event: Record<string, unknown>): Promise<BrokerResponse> {
  // Loaded only here, so --direct runs with nothing but pg installed.
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const { signIdentityProof, defaultStsEndpoint } = await import('../lib/broker/sts-identity.js');
  const credentials = fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const client = new LambdaClient({ credentials, ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) });
  const region = await client.config.region();
  // The proof is signed for exactly this event (action, access, incident, a digest of the rest), parsed the way
  // the broker parses it so that defaults count the same; the broker's own rules (databases, incident format)
  // are checked there.
  const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: typeof event.database === 'string' ? [event.database] : [] });
  const identity = input.action === 'sweep' ? undefined : await signIdentityProof({
    credentials: await credentials(), region, endpoint: options.stsEndpoint ?? defaultStsEndpoint(region), brokerId: options.brokerId,
    binding: proofBinding(input),
  });
  const out = await client.send(new InvokeCommand({ FunctionName: options.functionName, Payload: Buffer.from(JSON.stringify({ ...event, ...(identity ? { identity } : {}) })) }));
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
  if (out.FunctionError) {
    let message = text;
    try {
      message = String((JSON.parse(text) as { errorMessage?: unknown }).errorMessage ?? text);
    } catch {
      // not JSON: keep the text
    }
    return { ok: false, code: 'FAILURE', message: `the broker function failed: ${message.slice(0, 500)}`, refusal: false };
  }
  return JSON.parse(text) as BrokerResponse;
}

function spawnPsql(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', [], { env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

function human(response: Exclude<BrokerResponse, { ok: false }>, connect: boolean): string[] {
  switch (response.action) {
    case 'request': {
      const lines = [`${response.role} on ${response.host}:${response.port}/${response.database} until ${response.expiresAt}${response.takeover ? ` (taken over from ${response.previousHolder ?? 'the previous holder'})` : ''}`];
      if (response.secretArn) lines.push(`password written to ${response.secretArn}`);
      else if (!connect) lines.push(`password: ${response.password}`);
      return lines;
    }
    case 'revoke':
      return [`${response.role} expired at ${response.expiredAt}; ${response.sessionsEnded} session(s) ended`];
    case 'status':
      return response.roles.map((r) => `${r.database} ${r.role} (${r.access}): ${r.active && r.holder ? `held by ${r.holder} for ${r.incidentId} until ${r.expiresAt}` : 'free'}, ${r.sessions} session(s)`);
    case 'sweep':
      return [`${response.sessionsEnded} session(s) of expired roles ended`];
  }
}

async function connectPsql(response: RequestResponse, cli: Cli, io: CliIo): Promise<number> {
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
    io.stderr(`firefighter: not starting psql: ${error.message}; the password is active until ${response.expiresAt} (end it with: firefighter revoke ${response.access} --incident ${String(cli.event.incidentId)})`);
    return 2;
  }
  if (tls.warning) io.stderr(`firefighter: ${tls.warning}`);
  const { PGSSLROOTCERT: _userRoot, ...callerEnv } = io.env;
  const env: NodeJS.ProcessEnv = {
    ...callerEnv,
    PGHOST: response.host, PGPORT: String(response.port), PGUSER: response.username, PGDATABASE: response.database,
    // In the environment, never in argv: argv is visible to every local user in `ps`.
    PGPASSWORD: response.password,
    ...tls.env,
    PGAPPNAME: 'firefighter',
  };
  try {
    const code = await (io.psql ?? spawnPsql)(env);
    return code === 0 ? 0 : 1;
  } finally {
    tls.cleanup();
  }
}

/** Runs the CLI; returns the exit code. */
export async function runFirefighter(argv: string[], io: CliIo): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(argv, io.env);
  } catch (error) {
    if (error instanceof VersionRequest) {
      io.stdout(firefighterVersion());
      return 0;
    }
    if (!(error instanceof UsageError)) throw error;
    if (error.message) io.stderr(`firefighter: ${error.message}`);
    io.stderr(USAGE);
    return error.message ? 2 : 0;
  }
  if (cli.connect) {
    try {
      await psqlTlsPreflight(cli.direct ? directHost(cli.direct.url) : undefined, { caFile: cli.caFile, env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify });
    } catch (error) {
      if (!(error instanceof TlsRefusal)) throw error;
      io.stderr(`firefighter: not requesting a password that psql could not use: ${error.message}`);
      return 2;
    }
  }
  let response: BrokerResponse;
  try {
    response = cli.direct ? await runDirect(cli, io) : await (io.invoke ?? invokeLambda)(await located(cli.lambda as LambdaOptions, io.getParameter), cli.event);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = redact((error as Error).message ?? String(error), [io.env.PGPASSWORD]);
    if (cli.json) io.stdout(JSON.stringify({ ok: false, code: typeof code === 'string' ? code : 'FAILURE', message, refusal: typeof code === 'string' && exitCodeOf(code) === 2 }));
    else io.stderr(`firefighter: ${message}`);
    return typeof code === 'string' ? exitCodeOf(code) : 1;
  }
  if (!response.ok) {
    if (cli.json) io.stdout(JSON.stringify(response));
    else io.stderr(`firefighter: ${response.refusal ? 'refused' : 'failed'} (${response.code}): ${response.message}`);
    return response.refusal ? 2 : 1;
  }
  const connect = cli.connect && response.action === 'request';
  if (cli.json) {
    // With --connect the password goes to psql only, so it is left out here too.
    io.stdout(JSON.stringify(connect && response.action === 'request' ? { ...response, password: undefined } : response));
  } else {
    for (const line of human(response, connect)) io.stdout(line);
  }
  if (connect && response.action === 'request') return connectPsql(response, cli, io);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  const code = await runFirefighter(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(`${t}\n`),
    stderr: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
  }).catch((error: unknown) => {
    process.stderr.write(`firefighter: unexpected ${(error as Error)?.name ?? 'error'}: ${redact((error as Error)?.message ?? '', [process.env.PGPASSWORD])}\n`);
    return 1;
  });
  process.exitCode = code;
}
