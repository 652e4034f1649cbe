// The words around the commands: the short usage (bare `firefighter`), the overview (--help), and each
// command's own help (`firefighter request --help`, `firefighter help request`).
import { BROKER_FLAGS, type Command, type Flag } from './commands/command.js';
import { COMMANDS } from './commands/index.js';

const EXIT_CODES = 'exit codes: 0 done, 2 refused or invalid input, 1 failure, 3 pending approval';

function flagLines(flags: readonly Flag[]): string[] {
  return flags.map((f) => {
    const left = `  --${f.name}${f.value ? ` ${f.value}` : ''}`;
    return left.length < 26 ? `${left.padEnd(26)}${f.help}` : `${left}\n${' '.repeat(26)}${f.help}`;
  });
}

/** Bare `firefighter`: what there is to run, in a few lines. */
export function shortUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'usage: firefighter COMMAND [flags]',
    '',
    ...Object.values(COMMANDS).map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'firefighter help COMMAND (or firefighter COMMAND --help) for its flags; firefighter --help for how to reach the broker',
  ].join('\n');
}

/** `firefighter --help`: the commands, then the flags every broker command shares. */
export function overview(): string {
  return [
    shortUsage(),
    '',
    'how to reach the broker (every command):',
    ...flagLines(BROKER_FLAGS),
    '',
    'times are shown in UTC, e.g. 03:40 UTC (2026-12-07); --json gives ISO 8601',
    EXIT_CODES,
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `usage: firefighter ${command.usage}`,
    '',
    command.description,
    ...(command.flags.length ? ['', 'flags:', ...flagLines(command.flags)] : []),
    ...(command.broker ? ['', 'how to reach the broker (see firefighter --help): --cluster NAME | --function NAME [--broker-id ID] | --direct --database-url URL;', '  --profile, --region, --ca FILE, --json'] : []),
    '',
    EXIT_CODES,
  ].join('\n');
}
