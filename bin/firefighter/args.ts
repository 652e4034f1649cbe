// The firefighter CLI's command line: the subcommand (./commands/index.ts), its own flags checked, and how to
// reach the broker (the Lambda, or --direct). Usage errors are one line that says what to pass instead, then
// where that command's help is; nothing is sent before.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INSTANCE_ID } from '../../lib/broker/protocol/broker-locator.js';
import { BROKER_FLAGS, UsageError, type Command, type Flag, type Values } from './commands/command.js';
import { COMMANDS } from './commands/index.js';
import { commandHelp, overview, shortUsage } from './help.js';
import type { LambdaOptions } from './lambda.js';
import { closest } from '../../lib/spec/suggest.js';

export { UsageError };

/** --help, help COMMAND, --version, or a bare `firefighter`: text to print, not a command to run. */
export class InfoRequest extends Error {
  constructor(readonly text: string, readonly exitCode = 0) {
    super(text);
  }
}

export interface Cli {
  readonly command: Command;
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

type Options = NonNullable<ParseArgsConfig['options']>;
const COMMON: Options = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
const options = (flags: readonly Flag[]): Options => Object.fromEntries(flags.map((f) => [f.name, { type: f.type }]));
const flagsOf = (command: Command) => [...command.flags, ...(command.broker ? BROKER_FLAGS : [])];
const ALL_FLAGS = [...new Map([...Object.values(COMMANDS).flatMap((c) => c.flags), ...BROKER_FLAGS].map((f) => [f.name, f])).values()];

function unknownCommand(name: string): UsageError {
  const guess = closest(name, Object.keys(COMMANDS));
  return new UsageError(`unknown command ${JSON.stringify(name)}${guess ? `; did you mean ${guess}?` : `; the commands are ${Object.keys(COMMANDS).join(', ')}`}`);
}

/** Node's parseArgs messages, said the CLI's way: the flag, what is wrong, the likely meant one. */
function flagError(error: Error & { code?: string }, command: Command): UsageError {
  const name = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1] ?? '';
  const bare = name.replace(/^-+/, '');
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const owners = Object.values(COMMANDS).filter((c) => c.flags.some((f) => f.name === bare)).map((c) => c.name);
    if (owners.length > 0) return new UsageError(`${name} does not belong to ${command.name}; it goes with ${owners.join(', ')}`, command.name);
    const guess = closest(bare, flagsOf(command).map((f) => f.name));
    return new UsageError(`unknown flag ${name}${guess ? `; did you mean --${guess}?` : ''}`, command.name);
  }
  const known = flagsOf(command).find((f) => f.name === bare);
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && known?.value) return new UsageError(`${name} needs a value: --${bare} ${known.value}`, command.name);
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && known) return new UsageError(`${name} takes no value`, command.name);
  return new UsageError(error.message.split('\n')[0] ?? error.message, command.name);
}

function commandOf(argv: string[]): { name?: string; rest: string[]; help: boolean; version: boolean } {
  // Loose first pass: where the subcommand is, whatever flags come before it.
  const { values, positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { ...options(ALL_FLAGS), ...COMMON } });
  const [name, ...rest] = positionals;
  return { ...(name !== undefined ? { name } : {}), rest, help: values.help === true, version: values.version === true };
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv, version: () => string): Cli {
  if (argv.length === 0) throw new InfoRequest(shortUsage(), 2);
  const loose = commandOf(argv);
  if (loose.version) throw new InfoRequest(version());
  if (loose.name === undefined) {
    if (loose.help) throw new InfoRequest(overview());
    throw new UsageError(`no command given; e.g. firefighter request ro --incident INC-4711 --reason "orders stuck"`);
  }
  if (loose.name === 'help') {
    const [topic] = loose.rest;
    if (topic === undefined) throw new InfoRequest(overview());
    const found = COMMANDS[topic];
    if (!found) throw unknownCommand(topic);
    throw new InfoRequest(commandHelp(found));
  }
  const command = COMMANDS[loose.name];
  if (!command) throw unknownCommand(loose.name);
  if (loose.help) throw new InfoRequest(commandHelp(command));
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ...options(flagsOf(command)), ...COMMON } });
  } catch (error) {
    throw flagError(error as Error, command);
  }
  const v = parsed.values as Values;
  const event = command.event(parsed.positionals.slice(1), v);
  return { command, event, ...reach(command, v, env) };
}

/** The flags every broker command shares: TLS, --connect/--tunnel (request's), and where the broker is. */
function reach(command: Command, v: Values, env: NodeJS.ProcessEnv): Omit<Cli, 'command' | 'event'> {
  const usage = (message: string) => new UsageError(message, command.name);
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  if (v.tunnel && !v.connect) throw usage('--tunnel opens the way for psql and goes with --connect: firefighter request ro ... --connect --tunnel');
  const accessHost = str('access-host');
  if (accessHost !== undefined && !v.tunnel) throw usage('--access-host goes with --tunnel');
  if (accessHost !== undefined && !INSTANCE_ID.test(accessHost)) throw usage(`--access-host must be an EC2 instance id (i-0123456789abcdef0), got ${JSON.stringify(accessHost.slice(0, 40))}`);
  if (v.tunnel && v.direct) throw usage('--tunnel goes through the broker Lambda\'s access host, not --direct; with --direct, open the tunnel yourself and point --database-url at it');
  const caFile = str('ca');
  const base = {
    tunnel: v.tunnel === true, ...(accessHost !== undefined ? { accessHost } : {}), json: v.json === true, connect: v.connect === true,
    insecureSkipTlsVerify: v['insecure-skip-tls-verify'] === true, ...(caFile !== undefined ? { caFile } : {}),
  };
  const url = str('database-url');
  if (v.direct) {
    if (!url) throw usage('--direct needs --database-url postgres://BROKER_USER@HOST/DB');
    return { ...base, direct: { url } };
  }
  if (url) throw usage('--database-url needs --direct');
  const cluster = v.function === undefined ? str('cluster') ?? env.FIREFIGHTER_CLUSTER : undefined;
  const stack = cluster === undefined ? undefined : str('stack') ?? env.FIREFIGHTER_STACK;
  if (str('stack') !== undefined && str('cluster') === undefined && env.FIREFIGHTER_CLUSTER === undefined) throw usage('--stack goes with --cluster NAME: firefighter status --cluster my-pg --stack Prod-FirefighterExample');
  const functionName = str('function') ?? (cluster === undefined ? env.FIREFIGHTER_FUNCTION : '');
  if (functionName === undefined) throw usage('the broker is unknown; pass --cluster NAME (or set FIREFIGHTER_CLUSTER), or --function NAME with --broker-id ID');
  const stsEndpoint = str('sts-endpoint') ?? env.FIREFIGHTER_STS_ENDPOINT;
  const profile = str('profile');
  const region = str('region');
  return {
    ...base,
    lambda: {
      functionName,
      brokerId: str('broker-id') ?? env.FIREFIGHTER_BROKER_ID ?? functionName.split(':').pop() ?? functionName,
      ...(cluster !== undefined ? { cluster } : {}),
      ...(stack !== undefined ? { stack } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(region !== undefined ? { region } : {}),
      ...(stsEndpoint !== undefined ? { stsEndpoint } : {}),
    },
  };
}
