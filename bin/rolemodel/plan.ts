// rolemodel plan: the SQL apply would run now; changes nothing. --detailed-exitcode answers "is there
// anything to do?" the way terraform's does: 0 nothing, 2 changes pending, 1 error (invalid input included).
import { planWithWarnings, renderPlan } from '../../lib/postgres/engine.js';
import { printable } from '../../lib/spec/text-rules.js';
import { runFailure } from './failures.js';
import type { CliIo, Command } from './io.js';
import { prepareCommand, TARGET_FLAGS, TARGET_USAGE } from './target.js';

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
  const prepared = await prepareCommand(argv, io, { flags: FLAGS, usage: USAGE, invalidInputExit: detailed ? 1 : 2 });
  if (prepared.exit !== undefined) return prepared.exit;
  const { values, target } = prepared;
  try {
    const { steps, warnings } = await planWithWarnings(target.spec, target.connection, target.scope);
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
