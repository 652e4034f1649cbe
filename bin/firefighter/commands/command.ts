// What every firefighter subcommand is (HashiCorp Vault's command/commands.go, one file per command behind a
// table): its name, a one-line summary for the short usage, its own help and flags, the broker event it turns
// its arguments into, and the lines a person reads for the answer. Flags that reach the broker are shared.
import type { BrokerResponse } from '../../../lib/broker/service.js';

export type Ok = Exclude<BrokerResponse, { ok: false }>;
export type Values = Readonly<Record<string, string | boolean | undefined>>;

export interface Flag {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** The placeholder in the help, for string flags. */
  readonly value?: string;
  readonly help: string;
}

/** How the caller reached the broker, repeated in commands the output tells someone to run (approve, revoke). */
export interface PrintContext {
  readonly event: Readonly<Record<string, unknown>>;
  /** `--cluster prod`, `--function f --broker-id b`, `--direct --database-url '...'` (no password), or ''. */
  readonly reach: string;
  /** --connect: the password goes to psql only. */
  readonly connect: boolean;
  /** The CA file psql should verify with, when the caller named one (--ca, the URL's sslrootcert, PGSSLROOTCERT). */
  readonly sslrootcert?: string;
}

export interface Command {
  readonly name: string;
  /** One line in `firefighter` and `firefighter --help`. */
  readonly summary: string;
  /** The synopsis after `firefighter `. */
  readonly usage: string;
  readonly description: string;
  readonly flags: readonly Flag[];
  /** It asks the broker (the Lambda or --direct): the broker flags apply. */
  readonly broker: boolean;
  /** The broker event; throws UsageError naming what is wrong. */
  readonly event: (args: readonly string[], values: Values) => Record<string, unknown>;
  /** The answer for a person; undefined prints the JSON. */
  readonly print?: (response: Ok, context: PrintContext) => string[] | undefined;
}

/** A wrong command line: one line, then where the command's help is. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

export const flag = (name: string, help: string, value?: string): Flag => ({ name, type: value ? 'string' : 'boolean', help, ...(value ? { value } : {}) });

/** The flags of every command that asks the broker: where it is, how to reach it, how to answer. */
export const BROKER_FLAGS: readonly Flag[] = [
  flag('cluster', 'the Aurora cluster: the broker is found in SSM under /cdk-aurora-firefighter/NAME/ (or FIREFIGHTER_CLUSTER)', 'NAME'),
  flag('stack', 'with --cluster: the broker\'s stack, when several stacks have one for NAME (or FIREFIGHTER_STACK)', 'STACK'),
  flag('function', 'the broker function instead (or FIREFIGHTER_FUNCTION; stack output ...BrokerFunctionName)', 'NAME'),
  flag('broker-id', 'with --function: the id your identity proof is bound to (or FIREFIGHTER_BROKER_ID; default: the function name\'s last part)', 'ID'),
  flag('profile', 'AWS profile (default: the SDK\'s usual chain)', 'NAME'),
  flag('region', 'AWS region (default: the SDK\'s usual chain)', 'REGION'),
  flag('sts-endpoint', 'STS endpoint the broker verifies at (or FIREFIGHTER_STS_ENDPOINT; default: the regional one)', 'URL'),
  flag('direct', 'straight against PostgreSQL, as the password broker, instead of the Lambda (with --database-url)'),
  flag('database-url', 'with --direct: postgres://BROKER_USER:PASSWORD@HOST:5432/DB?sslmode=verify-full&sslrootcert=CA', 'URL'),
  flag('ca', 'CA bundle to verify the server with (psql with --connect, and --direct); default: the RDS CAs for *.rds.amazonaws.com, else PGSSLROOTCERT or the system\'s', 'FILE'),
  flag('insecure-skip-tls-verify', 'let the password reach a remote host without a verified certificate; anyone on the way can read it'),
  flag('json', 'machine-readable output (ISO 8601 times); every error is {"ok":false,"code":...,"message":...,"refusal":...,"exitCode":N}'),
];

export const INCIDENT = flag('incident', 'the incident the access is for, e.g. INC-4711 (the broker\'s incident id pattern)', 'ID');
export const DATABASE = flag('database', 'which of the broker\'s databases (default: its first)', 'NAME');

export function role(command: string, value: string | undefined): 'ro' | 'rw' {
  if (value === 'ro' || value === 'rw') return value;
  throw new UsageError(`${command} needs the role: ro or rw, got ${JSON.stringify(value ?? '')}`, command);
}

export function hours(command: string, value: string | boolean | undefined): 1 | 2 {
  if (value === undefined || value === '2') return 2;
  if (value === '1') return 1;
  throw new UsageError(`--hours must be 1 or 2, got ${JSON.stringify(String(value).slice(0, 20))}`, command);
}

export function incident(command: string, value: string | boolean | undefined): string {
  if (typeof value !== 'string') throw new UsageError('--incident is required, e.g. --incident INC-4711', command);
  return value;
}

export function noMoreArgs(command: string, args: readonly string[], from: number): void {
  if (args.length > from) throw new UsageError(`unexpected argument ${JSON.stringify(args[from])}`, command);
}

export const optional = (key: string, value: string | boolean | undefined) => (typeof value === 'string' ? { [key]: value } : {});
