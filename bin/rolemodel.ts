#!/usr/bin/env node
// rolemodel plan|apply|verify --database-url URL --spec FILE [--json] [--database NAME]...
// Exit codes: 0 the server matches the spec (or was made to), 2 drift found by verify or invalid input
// (usage, spec, a --database not in the spec), 1 failure (connection, permissions, a failed apply).
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RoleClaimError } from '../lib/model/role-mark.js';
import type { RoleModelSpec } from '../lib/spec/spec.js';
import { SpecError, parseSpec } from '../lib/spec/validate.js';
import { describeTarget, type ConnectionOptions } from '../lib/postgres/connection.js';
import { TlsRefusal } from '../lib/postgres/tls.js';
import { initMain } from './rolemodel-init.js';
import { checkDatabaseUrl, connectTimeoutMs, secureConnection, UsageError } from './rolemodel-connection.js';
import { applyRoleModel, planWithWarnings, renderPlan, StepError, VerificationError, verifyRoleModel } from '../lib/postgres/engine.js';

const USAGE = `usage: rolemodel plan|apply|verify --database-url URL --spec FILE [--database NAME]... [--connect-timeout SECONDS] [--json]
                 [--verbose] [--insecure-skip-tls-verify]
       rolemodel init --database-url URL --database NAME [--cluster ID] [--out FILE]   (init --help for more)
       rolemodel --help | --version

  plan     print the SQL apply would run now; changes nothing
  apply    converge the server to the spec, then verify it
  verify   compare the server with the spec; exit 2 and list each finding on drift; changes nothing
  init     write a starting spec from an existing database; changes nothing

  --database-url   postgres://master@host:5432/postgres[?sslmode=verify-full&sslrootcert=FILE] (the password
                   may also come from PGPASSWORD; PGSSLMODE and PGSSLROOTCERT apply when the URL has none).
                   A remote host needs a verified certificate; *.rds.amazonaws.com is verified with the RDS CAs
  --insecure-skip-tls-verify  send the password to a remote host without a verified certificate (sslmode
                   disable, require, ...; without sslmode: TLS, certificate not checked). Anyone on the way can read it
  --spec           role-model spec (JSON); see examples/
  --database       limit the per-database work to this database (repeatable)
  --json           machine-readable output (findings carry the full list of objects in "objects")
  --verbose        plan: print the whole of sql/db_admin.sql instead of one line with its hash

exit codes: 0 matches (or was made to match), 2 drift or invalid input, 1 error`;

/** Thrown for --help and --version: print to stdout and exit 0. */
class InfoRequest extends Error {}

function packageVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'cdk-aurora-firefighter' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

interface Cli {
  command: 'plan' | 'apply' | 'verify';
  url: string;
  specFile: string;
  databases: string[] | undefined;
  json: boolean;
  verbose: boolean;
  connectTimeoutMs: number;
  insecureSkipTlsVerify: boolean;
}

function parseCli(argv: string[]): Cli {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'database-url': { type: 'string' },
        spec: { type: 'string' },
        database: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        'connect-timeout': { type: 'string', default: '10' },
        'insecure-skip-tls-verify': { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new InfoRequest(USAGE);
  if (values.version) throw new InfoRequest(`rolemodel ${packageVersion()}`);
  const [command, ...extra] = positionals;
  if (command !== 'plan' && command !== 'apply' && command !== 'verify') throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}; use plan, apply or verify`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (!values['database-url']) throw new UsageError('--database-url is required');
  if (!values.spec) throw new UsageError('--spec is required');
  const timeoutMs = connectTimeoutMs(values['connect-timeout']);
  checkDatabaseUrl(values['database-url']);
  return { command, url: values['database-url'], specFile: values.spec, databases: values.database, json: values.json ?? false, verbose: values.verbose ?? false, connectTimeoutMs: timeoutMs, insecureSkipTlsVerify: values['insecure-skip-tls-verify'] ?? false };
}

function loadSpec(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read spec ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`spec ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseSpec(json);
}

export async function main(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`), err: (line: string) => void = (l) => process.stderr.write(`${l}\n`), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === 'init') return initMain(argv.slice(1), out, err, env);
  let cli: Cli;
  let spec: RoleModelSpec;
  let connection: ConnectionOptions;
  try {
    cli = parseCli(argv);
    spec = loadSpec(cli.specFile);
    const unknown = (cli.databases ?? []).filter((d) => !spec.databases.some((x) => x.name === d));
    if (unknown.length > 0) throw new UsageError(`--database ${unknown.map((d) => JSON.stringify(d)).join(', ')} is not in the spec; choose from ${spec.databases.map((d) => d.name).join(', ')}`);
    connection = (await secureConnection(cli, env, err)).connection;
  } catch (error) {
    if (error instanceof InfoRequest) {
      out(error.message);
      return 0;
    }
    if (error instanceof TlsRefusal) {
      // Refused before any connection: nothing was sent, nothing changed.
      err(`rolemodel: ${error.message}`);
      return 2;
    }
    if (error instanceof UsageError || error instanceof SpecError) {
      if (error.message) err(`rolemodel: ${error.message}`);
      err(USAGE);
      return 2;
    }
    throw error;
  }
  const options = cli.databases ? { databases: cli.databases } : {};
  try {
    if (cli.command === 'plan') {
      const { steps, warnings } = await planWithWarnings(spec, connection, options);
      if (cli.json) out(JSON.stringify({ steps, warnings }, null, 2));
      else {
        const [summary, ...rest] = renderPlan(steps, { verbose: cli.verbose }).trimEnd().split('\n');
        out([summary, ...warnings.map((w) => `-- WARNING: ${w.message}`), ...rest].join('\n'));
      }
      return 0;
    }
    if (cli.command === 'verify') {
      const result = await verifyRoleModel(spec, connection, options);
      if (cli.json) out(JSON.stringify({ ok: result.findings.length === 0, findings: result.findings, ...(result.notes ? { notes: result.notes } : {}), statementsSent: result.statementsSent }, null, 2));
      else {
        out(result.matrix);
        out('');
        for (const n of result.notes ?? []) out(`note: ${n}`);
        if (result.findings.length === 0) out(`verify: ${describeTarget(connection)} matches the spec`);
        else for (const f of result.findings) out(`drift: ${f.message}`);
      }
      return result.findings.length === 0 ? 0 : 2;
    }
    const result = await applyRoleModel(spec, connection, options);
    if (cli.json) out(JSON.stringify({ ok: true, steps: result.steps, fixed: result.fixed, warnings: result.warnings, statementsSent: result.statementsSent }, null, 2));
    else {
      for (const w of result.warnings) out(`warning: ${w.message}`);
      out(result.matrix);
      out('');
      out(result.steps.length === 0 ? 'apply: nothing to do, the server already matched the spec' : `apply: ran ${result.steps.length} statements fixing ${result.fixed.length} findings; verified`);
    }
    return 0;
  } catch (error) {
    if (error instanceof VerificationError) {
      if (cli.json) out(JSON.stringify({ ok: false, findings: error.findings }, null, 2));
      err(`rolemodel: ${error.message}`);
      return 1;
    }
    if (error instanceof StepError) {
      err(`rolemodel: ${error.message}`);
      return 1;
    }
    if (error instanceof RoleClaimError) {
      // The spec names roles it may not manage on this cluster: invalid input, nothing was changed.
      err(`rolemodel: ${error.message}`);
      return 2;
    }
    err(`rolemodel: ${(error as Error).message}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] && /rolemodel(\.[cm]?[jt]s)?$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`rolemodel: unexpected failure: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
