// The firefighter CLI's command line: flags and positionals checked and turned into the broker event plus how to
// reach the broker (the Lambda, or --direct). Usage errors say what to pass instead; nothing is sent before.
import { parseArgs } from 'node:util';
import { INSTANCE_ID } from '../../lib/broker/protocol/broker-locator.js';
import { EXTRA_OPTIONS, EXTRA_USAGE, extraEvent, isExtraCommand } from './commands.js';
import type { LambdaOptions } from './lambda.js';

export const USAGE = `usage: firefighter request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover [--end-sessions]] [--connect [--tunnel]] [--json]
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

export class UsageError extends Error {}
export class VersionRequest extends Error {}

export interface Cli {
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

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): Cli {
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
