#!/usr/bin/env node
// firefighter request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover] [--connect] [--json]
// firefighter revoke ro|rw --incident ID [--reason TEXT]
// firefighter status | history | sweep | extend | approve | deny (bin/firefighter/commands.ts); the Lambda
// invoke is in bin/firefighter/lambda.ts, --connect in bin/firefighter/psql.ts, --tunnel in bin/firefighter/tunnel.ts.
// Exit codes: 0 done, 2 refused or invalid input, 1 failure, 3 pending approval. The password is printed once (or handed to psql
// in its environment with --connect); it never reaches argv, stderr or an error message.
import { hostname, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createBrokerService, type AuditLogger, type BrokerResponse, type InstanceReport } from '../lib/broker/service.js';
import { directConfig, directConnector, parseDirectUrl } from '../lib/broker/direct.js';
import { BROKER_ERROR_CODES, exitCodeOf, redact } from '../lib/broker/errors.js';
import { directHost, psqlTlsPreflight } from '../lib/broker/psql-tls.js';
import { type GetParameter, type LocatedBroker } from './firefighter-cluster.js';
import { firefighterVersion } from './firefighter-version.js';
import { loadRdsCa } from '../lib/postgres/rds-ca.js';
import { TlsRefusal } from '../lib/postgres/tls.js';
import { EXTRA_OPTIONS, EXTRA_USAGE, extraEvent, isExtraCommand } from './firefighter/commands.js';
import { awsError, cliError, CLI_ERROR_CODES, type CliError } from './firefighter/errors.js';
import { extraLines, localAndUtc } from './firefighter/output.js';
import { defaultTunnelDeps, tunnelPreflight, type TunnelDeps, type TunnelTarget } from './firefighter/tunnel.js';
import { INSTANCE_ID } from '../lib/core/broker-locator.js';
import { AwsFailure, invokeLambda, located, type LambdaOptions } from './firefighter/lambda.js';
import { connectPsql, psqlPreflight } from './firefighter/psql.js';

export type { LambdaOptions };

const USAGE = `usage: firefighter request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover [--end-sessions]] [--connect [--tunnel]] [--json]
       firefighter revoke ro|rw --incident ID [--reason TEXT] [--json]
       firefighter status [--json]
       firefighter --version
${EXTRA_USAGE}

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
  --tunnel          with --connect: reach the writer through the stack's SSM access host (aws ssm start-session
                    port forwarding; needs the AWS CLI and session-manager-plugin), TLS still verified for the writer
  --access-host ID  the access host's instance id (default: from --cluster's SSM parameter; stack output ...AccessHostInstanceId)
  --json            machine-readable output (stable field names); every error, usage errors included, is
                    {"ok":false,"code":"...","message":"...","refusal":true|false,"exitCode":N[,"details":{...}]}
  times are shown in your time zone (TZ) with UTC beside

exit codes: 0 done, 2 refused or invalid input, 1 failure, 3 pending approval (an approver runs firefighter approve ID)`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Runs psql with this environment and no arguments; resolves to its exit code. */
  readonly psql?: (env: NodeJS.ProcessEnv) => Promise<number>;
  /** Whether psql can be started; checked before anything is issued with --connect. @default - `psql --version` runs (assumed when psql is injected) */
  readonly psqlAvailable?: () => Promise<boolean>;
  /** Sends an event to the broker Lambda; the default uses @aws-sdk/client-lambda. */
  readonly invoke?: (options: LambdaOptions, event: Record<string, unknown>) => Promise<BrokerResponse>;
  /** Reads the broker locator from SSM (--cluster); the default uses @aws-sdk/client-ssm. */
  readonly getParameter?: GetParameter;
  /** PATH lookups, the AWS CLI child and port checks of --tunnel. */
  readonly tunnel?: Partial<TunnelDeps>;
}

class UsageError extends Error {}
class VersionRequest extends Error {}

interface Cli {
  readonly event: Record<string, unknown>;
  readonly json: boolean;
  readonly connect: boolean;
  readonly tunnel: boolean;
  readonly accessHost?: string;
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
        incident: { type: 'string' }, reason: { type: 'string' }, hours: { type: 'string' }, takeover: { type: 'boolean' }, 'end-sessions': { type: 'boolean' },
        database: { type: 'string' }, connect: { type: 'boolean' }, json: { type: 'boolean' }, ca: { type: 'string' },
        function: { type: 'string' }, 'broker-id': { type: 'string' }, cluster: { type: 'string' }, version: { type: 'boolean' }, profile: { type: 'string' }, region: { type: 'string' },
        'sts-endpoint': { type: 'string' }, direct: { type: 'boolean' }, 'database-url': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'insecure-skip-tls-verify': { type: 'boolean' }, tunnel: { type: 'boolean' }, 'access-host': { type: 'string' }, ...EXTRA_OPTIONS,
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) throw new UsageError('');
  if (v.version) throw new VersionRequest();
  const [command, role, ...extra] = positionals;
  let event: Record<string, unknown> = { action: command };
  if (isExtraCommand(command)) {
    const built = extraEvent(command, positionals.slice(1), v);
    if (typeof built === 'string') throw new UsageError(built);
    event = built;
  } else if (command !== 'request' && command !== 'revoke' && command !== 'status') {
    throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}; use request, revoke, status, extend, approve, deny, history or sweep`);
  } else if (command === 'status' ? role !== undefined : extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(command === 'status' ? role : extra[0])}`);
  if (v.all && command !== 'revoke') throw new UsageError('--all belongs to revoke');
  if (v['end-sessions'] && (command !== 'request' || !v.takeover)) throw new UsageError('--end-sessions belongs to request --takeover: it ends the previous holder\'s sessions');
  if (v.since !== undefined && command !== 'history') throw new UsageError('--since belongs to history');
  if (command !== 'status' && !isExtraCommand(command)) {
    if (role !== 'ro' && role !== 'rw') throw new UsageError(`${command} needs the role: ro or rw, got ${JSON.stringify(role ?? '')}`);
    if (v.incident === undefined) throw new UsageError('--incident is required, e.g. --incident INC-4711');
    Object.assign(event, { role, incidentId: v.incident, ...(v.reason !== undefined ? { reason: v.reason } : {}), ...(v.database !== undefined ? { database: v.database } : {}), ...(v.all ? { all: true } : {}) });
  }
  if (isExtraCommand(command)) {
    // extraEvent checked its own flags.
  } else if (command === 'request') {
    if (v.reason === undefined) throw new UsageError('--reason is required, e.g. --reason "orders stuck in created"');
    if (v.hours !== undefined && v.hours !== '1' && v.hours !== '2') throw new UsageError(`--hours must be 1 or 2, got ${JSON.stringify(v.hours.slice(0, 20))}`);
    Object.assign(event, { hours: v.hours === '1' ? 1 : 2, takeover: v.takeover ?? false, ...(v['end-sessions'] ? { endSessions: true } : {}) });
  } else if (v.takeover || v.hours !== undefined || v.connect) {
    throw new UsageError('--takeover, --hours and --connect belong to request');
  }
  if (v.tunnel && !v.connect) throw new UsageError('--tunnel opens the way for psql and goes with --connect: firefighter request ro ... --connect --tunnel');
  if (v['access-host'] !== undefined && !v.tunnel) throw new UsageError('--access-host goes with --tunnel');
  if (v['access-host'] !== undefined && !INSTANCE_ID.test(v['access-host'])) throw new UsageError(`--access-host must be an EC2 instance id (i-0123456789abcdef0), got ${JSON.stringify(v['access-host'].slice(0, 40))}`);
  if (v.tunnel && v.direct) throw new UsageError('--tunnel goes through the broker Lambda\'s access host, not --direct; with --direct, open the tunnel yourself and point --database-url at it');
  const tunnel = { tunnel: v.tunnel ?? false, ...(v['access-host'] !== undefined ? { accessHost: v['access-host'] } : {}) };
  const base = { event, ...tunnel, json: v.json ?? false, connect: v.connect ?? false, insecureSkipTlsVerify: v['insecure-skip-tls-verify'] ?? false, ...(v.ca !== undefined ? { caFile: v.ca } : {}) };
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

/** --tunnel's target: --access-host wins; the locator's host also names the writer it forwards to. */
function tunnelTarget(cli: Cli, lambda: LambdaOptions, found?: LocatedBroker['accessHost']): TunnelTarget | undefined {
  const where = { ...(lambda.region ? { region: lambda.region } : {}), ...(lambda.profile ? { profile: lambda.profile } : {}) };
  const writer = found?.writerHost && found.port ? { host: found.writerHost, port: found.port } : {};
  if (cli.accessHost) return { instanceId: cli.accessHost, ...writer, ...where };
  return found ? { instanceId: found.instanceId, ...writer, ...where } : undefined;
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

/** Readers that went away, or a failed instance lookup: said after the answer of revoke, status and sweep. */
function instanceLines(response: InstanceReport): string[] {
  return [
    ...(response.instancesGone?.length ? [`instances no longer in the cluster (skipped): ${response.instancesGone.join(', ')}`] : []),
    ...(response.instanceLookup ? [`warning: ${response.instanceLookup}`] : []),
  ];
}

function human(response: Exclude<BrokerResponse, { ok: false }>, connect: boolean, timeZone?: string): string[] {
  const mine = extraLines(response, timeZone);
  if (mine) return mine;
  switch (response.action) {
    case 'request': {
      const who = response.username === response.role ? response.role : `${response.username} (login of ${response.role})`;
      const ended = response.previousSessionsEnded !== undefined ? `; ${response.previousSessionsEnded} of their session(s) ended` : '';
      const reissued = response.username === response.role ? ' (a new password; you hold it for this incident, expiry unchanged)' : ' (a new password on the login you hold for this incident)';
      const lines = [`${who} on ${response.host}:${response.port}/${response.database} until ${localAndUtc(response.expiresAt, timeZone)}${response.takeover ? ` (taken over from ${response.previousHolder ?? 'the previous holder'}${ended})` : ''}${response.outcome === 'reissued' ? reissued : ''}`];
      if (response.warning) lines.push(`warning: ${response.warning}`);
      if (response.secretArn) lines.push(`password written to ${response.secretArn}`);
      else if (!connect) lines.push(`password: ${response.password}`);
      return lines;
    }
    case 'revoke':
      return [`${response.role} expired at ${localAndUtc(response.expiredAt, timeZone)}; ${response.sessionsEnded} session(s) ended`];
    case 'status':
      return response.roles.map((r) => `${r.database} ${r.role} (${r.access}): ${r.outsideBroker ? 'password set outside the broker (run rolemodel apply to expire it)' : r.active && r.holder ? `held by ${r.holder} for ${r.incidentId} until ${localAndUtc(r.expiresAt, timeZone)}` : 'free'}, ${r.sessions} session(s)`);
    case 'sweep':
      return [`${response.sessionsEnded} session(s) of expired roles ended`];
    default:
      return [JSON.stringify(response)];
  }
}

/** One error on stderr (or stdout with --json, in the one shape); `labelled` adds "refused (CODE)" / "failed (CODE)". */
function printError(error: CliError, json: boolean, io: CliIo, labelled = true): number {
  if (json) io.stdout(JSON.stringify(error));
  else io.stderr(`firefighter: ${labelled ? `${error.refusal ? 'refused' : 'failed'} (${error.code}): ` : ''}${error.message}`);
  return error.exitCode;
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
    if (!error.message) {
      io.stderr(USAGE);
      return 0;
    }
    // --json is honoured even when the rest of the line could not be parsed.
    if (argv.includes('--json')) return printError(cliError(CLI_ERROR_CODES.usage, error.message), true, io);
    io.stderr(`firefighter: ${error.message}`);
    io.stderr(USAGE);
    return 2;
  }
  if (cli.connect) {
    const refused = await psqlPreflight(io);
    if (refused) return printError(refused, cli.json, io);
    try {
      await psqlTlsPreflight(cli.direct ? directHost(cli.direct.url) : undefined, { caFile: cli.caFile, env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify });
    } catch (error) {
      if (!(error instanceof TlsRefusal)) throw error;
      return printError(cliError(CLI_ERROR_CODES.precondition, `not requesting a password that psql could not use: ${error.message}`), cli.json, io, false);
    }
  }
  let response: BrokerResponse;
  let tunnel: TunnelTarget | undefined;
  try {
    if (cli.direct) response = await runDirect(cli, io);
    else {
      const found = await located(cli.lambda as LambdaOptions, io.getParameter);
      if (cli.tunnel) {
        // Checked here, after the locator named the host and before the broker is asked: nothing issued in vain.
        tunnel = tunnelTarget(cli, found.lambda, found.accessHost);
        const missing = await tunnelPreflight(tunnel, { ...defaultTunnelDeps(io.env), ...io.tunnel });
        if (missing) return printError(cliError(CLI_ERROR_CODES.precondition, missing), cli.json, io, false);
      }
      response = await (io.invoke ?? invokeLambda)(found.lambda, cli.event);
    }
  } catch (error) {
    if (error instanceof AwsFailure) return printError(error.shaped, cli.json, io);
    // In Lambda mode whatever the invoke throws comes from AWS (an injected invoke included).
    const brokerCode = (Object.values(BROKER_ERROR_CODES) as unknown[]).includes((error as { code?: unknown }).code);
    if (!cli.direct && !brokerCode) return printError(awsError(error, cli.lambda as LambdaOptions, [io.env.PGPASSWORD]), cli.json, io);
    const code = (error as { code?: unknown }).code;
    const message = redact((error as Error).message ?? String(error), [io.env.PGPASSWORD]);
    return printError(cliError(typeof code === 'string' ? code : 'FAILURE', message), cli.json, io, false);
  }
  if (!response.ok) {
    const shaped = { ...response, exitCode: exitCodeOf(response.code) };
    if (cli.json) io.stdout(JSON.stringify(shaped));
    else io.stderr(`firefighter: ${response.code === 'APPROVAL_PENDING' ? 'pending' : response.refusal ? 'refused' : 'failed'} (${response.code}): ${response.message}`);
    return shaped.exitCode;
  }
  const connect = cli.connect && response.action === 'request';
  if (cli.json) {
    // With --connect the password goes to psql only, so it is left out here too.
    io.stdout(JSON.stringify(connect && response.action === 'request' ? { ...response, password: undefined } : response));
  } else {
    for (const line of [...human(response, connect, io.env.TZ), ...instanceLines(response as InstanceReport)]) io.stdout(line);
  }
  if (connect && response.action === 'request') return connectPsql(response, cli, io, tunnel);
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
