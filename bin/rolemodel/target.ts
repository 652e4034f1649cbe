// The prelude plan, apply, verify and retire share: flags, --help, the spec file, the databases chosen from it,
// the connection with TLS decided before anything is sent. How their errors become exit codes: failures.ts.
import { readFileSync } from 'node:fs';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import type { ConnectionOptions } from '../../lib/postgres/connection.js';
import type { EngineOptions } from '../../lib/postgres/engine.js';
import { checkDatabaseUrl, connectTimeoutMs, secureConnection, UsageError } from './connection.js';
import { CONNECTION_FLAGS, noPositionals, parseFlags, type FlagSpecs } from './flags.js';
import { setupFailure } from './failures.js';
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
  /** The same, as the engine takes it. */
  readonly scope: Pick<EngineOptions, 'databases'>;
}

function loadSpec(file: string): RoleModelSpec {
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
async function prepareTarget(values: TargetValues, io: CliIo): Promise<Target> {
  if (!values['database-url']) throw new UsageError('--database-url is required');
  if (!values.spec) throw new UsageError('--spec is required');
  const timeoutMs = connectTimeoutMs(values['connect-timeout']);
  checkDatabaseUrl(values['database-url']);
  const spec = loadSpec(values.spec);
  const unknown = (values.database ?? []).filter((d) => !spec.databases.some((x) => x.name === d));
  if (unknown.length > 0) throw new UsageError(`--database ${unknown.map((d) => JSON.stringify(d)).join(', ')} is not in the spec; choose from ${spec.databases.map((d) => d.name).join(', ')}`);
  const { connection } = await secureConnection({ url: values['database-url'], connectTimeoutMs: timeoutMs, insecureSkipTlsVerify: values['insecure-skip-tls-verify'] ?? false }, io.env, io.err);
  return { spec, connection, databases: values.database, scope: values.database ? { databases: values.database } : {} };
}

/** The parsed flags of a command whose flag table is T. */
export type FlagValues<T extends FlagSpecs> = ReturnType<typeof parseFlags<T>>['values'];

export interface TargetCommand<T extends typeof TARGET_FLAGS, E> {
  /** The command's flag table: TARGET_FLAGS and its own. */
  readonly flags: T;
  readonly usage: string;
  /** The command's own checks of its flags, before the spec is read: throw UsageError; what it returns is `checked`. */
  readonly check?: (values: FlagValues<T>) => E;
  /** The exit code for invalid input. @default 2 */
  readonly invalidInputExit?: number;
}

export type Prepared<T extends typeof TARGET_FLAGS, E> =
  | { readonly values: FlagValues<T>; readonly target: Target; readonly checked: E; readonly exit?: undefined }
  | { readonly exit: number };

/**
 * The prelude of plan, apply, verify and retire: parse the flags, answer --help, run the command's own checks,
 * read the spec and decide TLS. Either everything to run with, or the exit code (the usage and the problem
 * already printed); nothing is connected to either way.
 */
export async function prepareCommand<T extends typeof TARGET_FLAGS, E = undefined>(argv: string[], io: CliIo, command: TargetCommand<T, E>): Promise<Prepared<T, E>> {
  try {
    const parsed = parseFlags(argv, command.flags);
    const { values } = parsed;
    // Every command's flags include help and the target's (TARGET_FLAGS); a generic T hides them from the type.
    const common = values as TargetValues & { readonly help?: boolean };
    if (common.help) {
      io.out(command.usage);
      return { exit: 0 };
    }
    noPositionals(parsed.positionals);
    const checked = command.check ? command.check(values) : (undefined as E);
    const target = await prepareTarget(common, io);
    return { values, target, checked };
  } catch (error) {
    return { exit: setupFailure(error, command.usage, io, command.invalidInputExit) };
  }
}
