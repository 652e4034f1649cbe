// The table from subcommand to its file (HashiCorp Vault's command/commands.go shape): each has its own flags
// and help; this file only dispatches, answers --help and --version, and names an unknown command.
import { existsSync, readFileSync } from 'node:fs';
import { didYouMean } from '../../lib/spec/suggest.js';
import { apply } from './apply.js';
import { init } from './init.js';
import type { CliIo, Command } from './io.js';
import { plan } from './plan.js';
import { retire } from './retire.js';
import { verify } from './verify.js';

export const COMMANDS: ReadonlyMap<string, Command> = new Map([plan, apply, verify, retire, init].map((c) => [c.name, c]));

const names = [...COMMANDS.keys()];

export const USAGE = `usage: rolemodel ${names.join('|')} [flags]   (rolemodel COMMAND --help for its flags)
       rolemodel --help | --version

${[...COMMANDS.values()].map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

exit codes: 0 matches (or was made to match), 2 drift or invalid input, 1 error
(plan --detailed-exitcode: 0 nothing to do, 2 changes pending, 1 error)`;

function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'cdk-aurora-firefighter' && pkg.version) return pkg.version;
  }
  return 'unknown';
}

export async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv[1] : undefined;
    const command = topic === undefined ? undefined : COMMANDS.get(topic);
    if (first === undefined) {
      io.err(`rolemodel: a command is required; use ${names.join(', ')}`);
      io.err(USAGE);
      return 2;
    }
    io.out(command?.usage ?? USAGE);
    return 0;
  }
  if (first === '--version') {
    io.out(`rolemodel ${packageVersion()}`);
    return 0;
  }
  // The command may follow its flags (`rolemodel --spec f.json verify`), as parseArgs allowed before.
  const at = first.startsWith('-') ? argv.findIndex((a) => COMMANDS.has(a)) : 0;
  const name = at >= 0 ? argv[at] ?? '' : first;
  const command = COMMANDS.get(name);
  if (!command) {
    io.err(`rolemodel: unknown command ${JSON.stringify(name)}${didYouMean(name, names)}; use ${names.join(', ')}`);
    io.err(USAGE);
    return 2;
  }
  return command.run([...argv.slice(0, at), ...argv.slice(at + 1)], io);
}
