// What plan, apply, verify and retire share: the spec file, the databases chosen from it, the connection
// (TLS decided before anything is sent), and how their errors become exit codes and lines.
import { readFileSync } from 'node:fs';
import { RoleClaimError } from '../../lib/model/role-mark.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { SpecError, parseSpec } from '../../lib/spec/validate.js';
import { printable } from '../../lib/spec/text-rules.js';
import type { ConnectionOptions } from '../../lib/postgres/connection.js';
import { TlsRefusal } from '../../lib/postgres/tls.js';
import { StepError, VerificationError } from '../../lib/postgres/engine.js';
import { checkDatabaseUrl, connectTimeoutMs, secureConnection, UsageError } from './connection.js';
import { CONNECTION_FLAGS, type FlagSpecs } from './flags.js';
import type { CliIo } from './io.js';

/** The flags of a command that reads a spec and connects. */
export const TARGET_FLAGS = {
  ...CONNECTION_FLAGS,
  spec: { type: 'string' },
  database: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

export const TARGET_USAGE = `  --database-url   postgres://master@host:5432/postgres[?sslmode=verify-full&sslrootcert=FILE] (the password
                   may also come from PGPASSWORD; PGSSLMODE and PGSSLROOTCERT apply when the URL has none).
                   A remote host needs a verified certificate; *.rds.amazonaws.com is verified with the RDS CAs
  --insecure-skip-tls-verify  send the password to a remote host without a verified certificate (sslmode
                   disable, require, ...; without sslmode: TLS, certificate not checked). Anyone on the way can read it
  --spec           role-model spec (JSON); see examples/ and schema/rolemodel.schema.json
  --database       limit the per-database work to this database (repeatable)
  --connect-timeout  seconds per connection attempt (1 to 300, default 10)
  --json           machine-readable output`;

export interface TargetValues {
  readonly 'database-url'?: string | undefined;
  readonly spec?: string | undefined;
  readonly database?: string[] | undefined;
  readonly 'connect-timeout'?: string | undefined;
  readonly 'insecure-skip-tls-verify'?: boolean | undefined;
}

export interface Target {
  readonly spec: RoleModelSpec;
  readonly connection: ConnectionOptions;
  /** The --database names, checked against the spec; undefined for every database. */
  readonly databases: string[] | undefined;
}

export function loadSpec(file: string): RoleModelSpec {
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

/** Checks the flags and the spec, then decides TLS; throws UsageError, SpecError or TlsRefusal, connects to nothing. */
export async function prepareTarget(values: TargetValues, io: CliIo): Promise<Target> {
  if (!values['database-url']) throw new UsageError('--database-url is required');
  if (!values.spec) throw new UsageError('--spec is required');
  const timeoutMs = connectTimeoutMs(values['connect-timeout']);
  checkDatabaseUrl(values['database-url']);
  const spec = loadSpec(values.spec);
  const unknown = (values.database ?? []).filter((d) => !spec.databases.some((x) => x.name === d));
  if (unknown.length > 0) throw new UsageError(`--database ${unknown.map((d) => JSON.stringify(d)).join(', ')} is not in the spec; choose from ${spec.databases.map((d) => d.name).join(', ')}`);
  const { connection } = await secureConnection({ url: values['database-url'], connectTimeoutMs: timeoutMs, insecureSkipTlsVerify: values['insecure-skip-tls-verify'] ?? false }, io.env, io.err);
  return { spec, connection, databases: values.database };
}

/**
 * An error as lines a person reads: each finding, spec issue or reason on its own line, and every name in them
 * through printable(), so a catalog name with a newline cannot start a line of its own (issue 17).
 */
export function errorLines(error: unknown): string[] {
  const head = (message: string) => printable(message.split('\n')[0] ?? '');
  if (error instanceof SpecError) return [head(error.message), ...error.issues.map((i) => `  - ${printable(`${i.path}: ${i.message}`)}`)];
  if (error instanceof VerificationError) return [head(error.message), ...error.findings.map((f) => `  - ${printable(f.message)}`)];
  if (error instanceof RoleClaimError) return [head(error.message), ...error.reasons.map((r) => `  - ${printable(r)}`)];
  if (error instanceof StepError) {
    const { step } = error;
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    const statement = step.sql.split('\n')[0] ?? '';
    return [
      printable(`${step.phase}${step.database ? ` in "${step.database}"` : ''}${step.runAs ? ` as ${step.runAs}` : ''} failed: ${cause}`),
      `  while: ${printable(step.reason)}`,
      `  statement: ${printable(statement)}${step.sql.includes('\n') ? ' ...' : ''}`,
    ];
  }
  return [printable(error instanceof Error ? error.message : String(error))];
}

function report(error: unknown, io: CliIo): void {
  const [first = '', ...rest] = errorLines(error);
  io.err(`rolemodel: ${first}`);
  for (const line of rest) io.err(line);
}

/**
 * Invalid input found before any connection (flags, spec, TLS): the message (and the usage for flag and spec
 * errors) on stderr, exit 2 unless the command says otherwise (plan --detailed-exitcode: 1). Anything else is rethrown.
 */
export function setupFailure(error: unknown, usage: string, io: CliIo, code = 2): number {
  if (error instanceof TlsRefusal) {
    // Refused before any connection: nothing was sent, nothing changed.
    report(error, io);
    return code;
  }
  if (error instanceof UsageError || error instanceof SpecError) {
    if (error.message) report(error, io);
    io.err(usage);
    return code;
  }
  throw error;
}

/** A failure after connecting: 2 for a spec naming roles it may not manage (nothing changed), else 1. */
export function runFailure(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof VerificationError && json) io.out(JSON.stringify({ ok: false, findings: error.findings }, null, 2));
  report(error, io);
  return error instanceof RoleClaimError ? 2 : 1;
}
