#!/usr/bin/env node
// firefighter request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover] [--connect] [--json]
// firefighter revoke ro|rw --incident ID [--reason TEXT]
// firefighter status | history | sweep | extend | approve | deny (bin/firefighter/commands.ts); the Lambda
// invoke is in bin/firefighter/lambda.ts, --connect in bin/firefighter/psql.ts, --tunnel in bin/firefighter/tunnel.ts.
// Exit codes: 0 done, 2 refused or invalid input, 1 failure, 3 pending approval. The password is printed once (or handed to psql
// in its environment with --connect); it never reaches argv, stderr or an error message.
import { hostname, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createBrokerService, type AuditLogger, type BrokerResponse, type InstanceReport } from '../lib/broker/service.js';
import { directConfig, directConnector, parseDirectUrl } from '../lib/broker/direct.js';
import { BROKER_ERROR_CODES, exitCodeOf, redact } from '../lib/broker/errors.js';
import { directHost, psqlTlsPreflight } from '../lib/broker/psql-tls.js';
import { type LocatedBroker } from './firefighter-cluster.js';
import { firefighterVersion } from './firefighter-version.js';
import { loadRdsCa } from '../lib/postgres/rds-ca.js';
import { TlsRefusal } from '../lib/postgres/tls.js';
import { parseCli, USAGE, UsageError, VersionRequest, type Cli } from './firefighter/args.js';
import { awsError, cliError, CLI_ERROR_CODES, type CliError } from './firefighter/errors.js';
import { extraLines, localAndUtc } from './firefighter/output.js';
import { defaultTunnelDeps, tunnelPreflight, type TunnelTarget } from './firefighter/tunnel.js';
import { AwsFailure, invokeLambda, located, type LambdaOptions } from './firefighter/lambda.js';
import { connectPsql, psqlPreflight } from './firefighter/psql.js';
import type { CliIo } from './firefighter/io.js';

export type { LambdaOptions };
export type { CliIo };


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
