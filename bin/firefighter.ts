#!/usr/bin/env node
// firefighter COMMAND [flags]: one file per subcommand in bin/firefighter/commands/ behind the table in
// bin/firefighter/commands/index.ts (request, revoke, status, extend, approve, deny, history, sweep); this file
// reaches the broker (the Lambda in bin/firefighter/lambda.ts, or --direct) and prints the answer. --connect is
// in bin/firefighter/psql.ts, --tunnel in bin/firefighter/tunnel.ts.
// Exit codes: 0 done, 2 refused or invalid input, 1 failure, 3 pending approval. The password is printed once (or handed to psql
// in its environment with --connect); it never reaches argv, stderr or an error message.
import { hostname, userInfo } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createBrokerService, type AuditLogger, type BrokerResponse, type InstanceReport, type Settled } from '../lib/broker/service.js';
import { directConfig, directConnector, parseDirectUrl } from '../lib/broker/direct.js';
import { BROKER_ERROR_CODES, exitCodeOf, redact } from '../lib/broker/errors.js';
import { directHost, psqlTlsPreflight } from '../lib/broker/psql-tls.js';
import { type LocatedBroker } from './firefighter-cluster.js';
import { firefighterVersion } from './firefighter-version.js';
import { loadRdsCa } from '../lib/postgres/rds-ca.js';
import { TlsRefusal } from '../lib/postgres/tls.js';
import { InfoRequest, parseCli, UsageError, type Cli } from './firefighter/args.js';
import type { PrintContext } from './firefighter/commands/command.js';
import { revokeLine } from './firefighter/commands/request.js';
import { connectionUri, rootCert, shellQuote } from './firefighter/connection-lines.js';
import { awsError, cliError, CLI_ERROR_CODES, EXIT, type CliError } from './firefighter/errors.js';
import { humanizeTimes } from './firefighter/time.js';
import { printable } from '../lib/spec/text-rules.js';
import { defaultTunnelDeps, openTunnel, tunnelPreflight, type TunnelTarget } from './firefighter/tunnel.js';
import { AwsFailure, invokeLambda, located, type LambdaOptions } from './firefighter/lambda.js';
import { connectPsql, psqlPreflight, type PsqlTunnel } from './firefighter/psql.js';
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

const directOptions = (cli: Cli, io: CliIo) => ({
  ...(cli.caFile ? { caFile: cli.caFile } : {}), ...(io.env.PGPASSWORD ? { fallbackPassword: io.env.PGPASSWORD } : {}),
  env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify, rdsCa: loadRdsCa,
});

async function runDirect(cli: Cli, io: CliIo): Promise<BrokerResponse> {
  const target = await parseDirectUrl(cli.direct?.url ?? '', directOptions(cli, io));
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

/** The flags that reached this broker, for the commands the output tells someone to run; never a password. */
function reachFlags(cli: Cli): string {
  if (cli.direct) {
    try {
      const url = new URL(cli.direct.url);
      url.password = '';
      return `--direct --database-url ${shellQuote(url.toString())}`;
    } catch {
      return '--direct --database-url URL';
    }
  }
  const l = cli.lambda;
  if (!l) return '';
  if (l.cluster !== undefined) return `--cluster ${shellQuote(l.cluster)}`;
  return `--function ${shellQuote(l.functionName)}${l.brokerId !== l.functionName.split(':').pop() ? ` --broker-id ${shellQuote(l.brokerId)}` : ''}`;
}

function printContext(cli: Cli, env: NodeJS.ProcessEnv): PrintContext {
  let urlRoot: string | undefined;
  try {
    urlRoot = cli.direct ? new URL(cli.direct.url).searchParams.get('sslrootcert') ?? undefined : undefined;
  } catch {
    urlRoot = undefined;
  }
  const sslrootcert = cli.caFile ?? urlRoot ?? env.PGSSLROOTCERT;
  return { event: cli.event, reach: reachFlags(cli), connect: cli.connect, ...(sslrootcert ? { sslrootcert } : {}) };
}

/** One error on stderr (or stdout with --json, in the one shape); `labelled` adds "refused (CODE)" / "failed (CODE)". */
function printError(error: CliError, json: boolean, io: CliIo, labelled = true): number {
  if (json) io.stdout(JSON.stringify(error));
  else io.stderr(`firefighter: ${labelled ? `${error.refusal ? 'refused' : 'failed'} (${error.code}): ` : ''}${error.message}`);
  return error.exitCode;
}

/** A usage error: its one line, then where the command's help is. */
function printUsageError(error: UsageError, argv: string[], io: CliIo): number {
  // --json is honoured even when the rest of the line could not be parsed.
  if (argv.includes('--json')) return printError(cliError(CLI_ERROR_CODES.usage, error.message), true, io);
  io.stderr(`firefighter: ${error.message}`);
  io.stderr(`see \`firefighter ${error.command ? `${error.command} --help` : '--help'}\``);
  return EXIT.refused;
}

/** Runs the CLI; returns the exit code. */
export async function runFirefighter(argv: string[], io: CliIo): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(argv, io.env, firefighterVersion);
  } catch (error) {
    if (error instanceof InfoRequest) {
      (error.exitCode === 0 ? io.stdout : io.stderr)(error.text);
      return error.exitCode;
    }
    if (!(error instanceof UsageError)) throw error;
    return printUsageError(error, argv, io);
  }
  if (cli.connect) {
    const noPsql = await psqlPreflight(io);
    if (noPsql) return printError(noPsql, cli.json, io);
    const noTls = await tlsPreflight(cli, io);
    if (noTls) return printError(noTls, cli.json, io, false);
  }
  let tunnel: PsqlTunnel | undefined;
  try {
    return await ask(cli, io, (opened) => (tunnel = opened));
  } finally {
    tunnel?.open?.close();
  }
}

/** --connect: what psql needs of TLS, decided before the broker is asked so a refusal leaves nothing issued. */
async function tlsPreflight(cli: Cli, io: CliIo): Promise<CliError | undefined> {
  try {
    await psqlTlsPreflight(cli.direct ? directHost(cli.direct.url) : undefined, { caFile: cli.caFile, env: io.env, insecureSkipTlsVerify: cli.insecureSkipTlsVerify });
  } catch (error) {
    if (!(error instanceof TlsRefusal)) throw error;
    return cliError(CLI_ERROR_CODES.precondition, `not requesting a password that psql could not use: ${error.message}`);
  }
  if (!cli.direct) return undefined;
  // The broker's own connection decides the sslmode the answer carries: without TLS, psql would be refused it.
  const mode = await parseDirectUrl(cli.direct.url, directOptions(cli, io)).then((t) => t.tls.mode, () => undefined);
  if (mode !== 'disable') return undefined;
  return cliError(CLI_ERROR_CODES.precondition, 'not requesting a password that psql could not use: --connect needs TLS, and --database-url asks for none; add ?sslmode=verify-full&sslrootcert=CA.pem (or sslmode=require on a loopback host). Nothing was issued');
}

/** Asks the broker and answers; with --connect --tunnel, the tunnel is opened first when the writer is known. */
async function ask(cli: Cli, io: CliIo, opened: (tunnel: PsqlTunnel) => void): Promise<number> {
  let response: BrokerResponse;
  let tunnel: PsqlTunnel | undefined;
  try {
    if (cli.direct) response = await runDirect(cli, io);
    else {
      const found = await located(cli.lambda as LambdaOptions, io.getParameter, io.listParameters);
      if (cli.tunnel) {
        // Checked here, after the locator named the host and before the broker is asked: nothing issued in vain.
        const target = tunnelTarget(cli, found.lambda, found.accessHost);
        const missing = await tunnelPreflight(target, { ...defaultTunnelDeps(io.env), ...io.tunnel });
        if (missing || !target) return printError(cliError(CLI_ERROR_CODES.precondition, missing ?? '--tunnel needs the access host'), cli.json, io, false);
        tunnel = { target };
        // The writer known from the locator: the tunnel is opened now, so one that cannot open leaves nothing issued.
        if (target.host && target.port) {
          try {
            tunnel = { target, open: await openTunnel({ ...target, host: target.host, port: target.port }, { ...defaultTunnelDeps(io.env), ...io.tunnel }) };
          } catch (error) {
            return printError(cliError(CLI_ERROR_CODES.precondition, `${(error as Error).message}. Nothing was issued`), cli.json, io, false);
          }
          opened(tunnel);
        }
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
  const context = printContext(cli, io.env);
  if (!response.ok) {
    const shaped = { ...response, exitCode: exitCodeOf(response.code) };
    if (cli.json) {
      io.stdout(JSON.stringify(shaped));
      return shaped.exitCode;
    }
    const label = response.code === 'APPROVAL_PENDING' ? 'pending' : response.code === BROKER_ERROR_CODES.nothingToRevoke ? 'not done' : response.refusal ? 'refused' : 'failed';
    io.stderr(`firefighter: ${label} (${response.code}): ${printable(humanizeTimes(response.message))}`);
    const pending = response.code === 'APPROVAL_PENDING' ? response.details?.requestId : undefined;
    if (pending) io.stderr(`an approver runs: firefighter approve ${pending}${context.reach ? ` ${context.reach}` : ''}   (firefighter requests lists what is pending)`);
    return shaped.exitCode;
  }
  const connect = cli.connect && response.action === 'request';
  if (connect && response.action === 'request') {
    const revoke = revokeLine(response, context);
    // --json: one document, after psql, saying how it ended (the password is for psql only, never printed).
    if (!cli.json) for (const line of cli.command.print?.(response, context) ?? []) io.stdout(printable(line));
    const outcome = await connectPsql(response, { ...cli, revoke }, io, tunnel);
    if (cli.json) {
      io.stdout(JSON.stringify(outcome.problem ?? { ...response, password: undefined, uri: connectionUri(response, rootCert(response.host, context.sslrootcert).file) }));
    } else {
      // psql has said why it ended; the rest is the CLI's to say.
      if (outcome.problem && outcome.problem.code !== 'PSQL') io.stderr(`firefighter: ${outcome.problem.message}`);
      if (outcome.after) io.stdout(outcome.after);
    }
    return outcome.exitCode;
  }
  if (cli.json) {
    // The URI never holds the password.
    io.stdout(JSON.stringify(response.action === 'request' ? { ...response, uri: connectionUri(response, rootCert(response.host, context.sslrootcert).file) } : response));
  } else {
    const lines = cli.command.print?.(response, context) ?? [JSON.stringify(response)];
    // Names, holders and reasons come from the database: control characters in them are shown escaped, not obeyed.
    const note = (response as Settled).note;
    for (const line of [...lines, ...(note ? [`note: ${note}`] : []), ...instanceLines(response as InstanceReport)]) io.stdout(printable(line));
  }
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
