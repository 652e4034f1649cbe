// rolemodel plan: the SQL apply would run now; changes nothing. --detailed-exitcode answers "is there
// anything to do?" the way terraform's does: 0 nothing, 2 changes pending, 1 error (invalid input included).
import { planWithWarnings, renderPlan } from '../../lib/postgres/engine.js';
import { printable } from '../../lib/spec/text-rules.js';
import { noPositionals, parseFlags } from './flags.js';
import type { CliIo, Command } from './io.js';
import { prepareTarget, runFailure, setupFailure, TARGET_FLAGS, TARGET_USAGE, type Target } from './target.js';

const FLAGS = {
  ...TARGET_FLAGS,
  verbose: { type: 'boolean', default: false },
  'detailed-exitcode': { type: 'boolean', default: false },
} as const;

const USAGE = `usage: rolemodel plan --database-url URL --spec FILE [--database NAME]... [--detailed-exitcode] [--verbose] [--json]
                      [--connect-timeout SECONDS] [--insecure-skip-tls-verify]

  prints the SQL apply would run now, a summary line first and each unmanaged login it would cut off as a
  -- WARNING line; changes nothing
${TARGET_USAGE}
  --verbose        print the whole of sql/db_admin.sql instead of one line with its hash
  --detailed-exitcode  exit 0 when there is nothing to do, 2 when changes are pending, 1 on any error

exit codes: 0 planned (with --detailed-exitcode: nothing to do), 2 invalid input (with --detailed-exitcode:
changes pending), 1 error`;

async function run(argv: string[], io: CliIo): Promise<number> {
  // With --detailed-exitcode, 2 means "changes pending": invalid input must not look like that.
  const detailed = argv.includes('--detailed-exitcode');
  let values;
  let target: Target;
  try {
    const parsed = parseFlags(argv, FLAGS);
    values = parsed.values;
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    noPositionals(parsed.positionals);
    target = await prepareTarget(values, io);
  } catch (error) {
    return setupFailure(error, USAGE, io, detailed ? 1 : 2);
  }
  try {
    const { steps, warnings } = await planWithWarnings(target.spec, target.connection, target.databases ? { databases: target.databases } : {});
    if (values.json) io.out(JSON.stringify({ steps, warnings }, null, 2));
    else {
      const [summary, ...rest] = renderPlan(steps, { verbose: values.verbose }).trimEnd().split('\n');
      io.out([summary, ...warnings.map((w) => `-- WARNING: ${printable(w.message)}`), ...rest].join('\n'));
    }
    return values['detailed-exitcode'] && steps.length > 0 ? 2 : 0;
  } catch (error) {
    runFailure(error, io, values.json);
    return 1;
  }
}

export const plan: Command = { name: 'plan', summary: 'print the SQL apply would run now; changes nothing', usage: USAGE, run };
