// Flag parsing for every subcommand: node's parseArgs, with an unknown flag named and the closest known one
// suggested (`--detailed-exitcodes` -> `--detailed-exitcode`), as invalid input (exit 2, nothing connected).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../../lib/spec/suggest.js';
import { UsageError } from './connection.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly default?: string | boolean;
}
export type FlagSpecs = Record<string, FlagSpec>;

/** The flags every command that connects shares. */
export const CONNECTION_FLAGS = {
  'database-url': { type: 'string' },
  'connect-timeout': { type: 'string', default: '10' },
  'insecure-skip-tls-verify': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies FlagSpecs;

/** Throws UsageError for a flag `specs` does not know, naming the closest one. */
function checkKnown(argv: readonly string[], specs: FlagSpecs): void {
  const names = Object.keys(specs);
  const shorts = new Map(Object.entries(specs).flatMap(([name, s]: [string, FlagSpec]) => (s.short ? [[s.short, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') return;
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=')[0] ?? '';
      const spec = specs[name];
      if (!spec) throw new UsageError(`unknown flag --${name}${didYouMean(name, names, (w) => `--${w}`)}`);
      if (spec.type === 'string' && !arg.includes('=')) i++;
    } else if (/^-[^-]/.test(arg)) {
      const short = arg.slice(1, 2);
      if (!shorts.has(short)) throw new UsageError(`unknown flag ${arg}${didYouMean(arg.slice(1), names, (w) => `--${w}`)}`);
    }
  }
}

/** parseArgs for one command's flags (positionals allowed; see noPositionals); every problem is a UsageError. */
export function parseFlags<T extends FlagSpecs>(argv: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: T }>> {
  checkKnown(argv, options);
  try {
    return parseArgs<ParseArgsConfig & { args: string[]; allowPositionals: true; strict: true; options: T }>({ args: argv, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A positional argument where the command takes none. */
export function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
}
