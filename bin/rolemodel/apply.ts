// rolemodel apply: converges the server to the spec, then verifies it. Warnings first, one summary line
// last; the access matrix only with --matrix.
import { SessionBlockedError } from '../../lib/postgres/blockers.js';
import { applyRoleModel, StepError } from '../../lib/postgres/engine.js';
import { printable } from '../../lib/spec/text-rules.js';
import { runFailure } from './failures.js';
import type { CliIo, Command } from './io.js';
import { progressLines } from './progress.js';
import { prepareCommand, TARGET_FLAGS, TARGET_USAGE } from './target.js';
import { WAIT_FLAGS, WAIT_HINT, WAIT_USAGE, waitOptions } from './waiting.js';

const FLAGS = {
  ...TARGET_FLAGS,
  ...WAIT_FLAGS,
  matrix: { type: 'boolean', default: false },
  progress: { type: 'boolean', default: false },
} as const;

const USAGE = `usage: rolemodel apply --database-url URL --spec FILE [--database NAME]... [--matrix] [--progress] [--json]
                       [--lock-wait SECONDS] [--wait-for-sessions] [--connect-timeout SECONDS] [--insecure-skip-tls-verify]

  converges the server to the spec (what plan prints), then verifies it; fails with the findings if anything
  still differs. Unmanaged logins it cuts off are named first, as warning lines
${TARGET_USAGE}
${WAIT_USAGE}
  --progress       a line on stderr per phase once it runs over a second, also when stderr is not a terminal
  --matrix         also print the effective-access matrix (role by schema) the verification saw

exit codes: 0 matches (or was made to match), 2 invalid input (a spec naming roles it may not manage
included; nothing changed), 1 error`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const prepared = await prepareCommand(argv, io, { flags: FLAGS, usage: USAGE, check: waitOptions });
  if (prepared.exit !== undefined) return prepared.exit;
  const { values, target, checked: waiting } = prepared;
  try {
    const progress = progressLines(io, 'apply', values.progress);
    const result = await applyRoleModel(target.spec, target.connection, { ...target.scope, ...waiting, progress: progress.phase })
      .finally(progress.done);
    if (values.json) {
      io.out(JSON.stringify({ ok: true, steps: result.steps, fixed: result.fixed, warnings: result.warnings, statementsSent: result.statementsSent }, null, 2));
      return 0;
    }
    for (const w of result.warnings) io.out(`warning: ${printable(w.message)}`);
    if (values.matrix) io.out(`${result.matrix}\n`);
    io.out(result.steps.length === 0 ? 'apply: nothing to do, the server already matched the spec' : `apply: ran ${result.steps.length} statements fixing ${result.fixed.length} findings; verified`);
    return 0;
  } catch (error) {
    const code = runFailure(error, io, values.json);
    if (error instanceof StepError && error.cause instanceof SessionBlockedError) io.err(WAIT_HINT);
    return code;
  }
}

export const apply: Command = { name: 'apply', summary: 'converge the server to the spec, then verify it', usage: USAGE, run };
