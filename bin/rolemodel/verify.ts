// rolemodel verify: compares the server with the spec, changes nothing. One line when it matches (the access
// matrix only with --matrix), each finding on drift.
import { describeTarget } from '../../lib/postgres/connection.js';
import { verifyRoleModel } from '../../lib/postgres/engine.js';
import { printable } from '../../lib/spec/text-rules.js';
import { runFailure } from './failures.js';
import type { CliIo, Command } from './io.js';
import { progressLines } from './progress.js';
import { prepareCommand, TARGET_FLAGS, TARGET_USAGE } from './target.js';

const FLAGS = {
  ...TARGET_FLAGS,
  matrix: { type: 'boolean', default: false },
  progress: { type: 'boolean', default: false },
} as const;

const USAGE = `usage: rolemodel verify --database-url URL --spec FILE [--database NAME]... [--matrix] [--progress] [--json]
                        [--connect-timeout SECONDS] [--insecure-skip-tls-verify]

  compares the server with the spec; changes nothing. Prints one line when it matches, each finding on drift
${TARGET_USAGE} (findings carry the full list of objects in "objects")
  --progress       a line on stderr per phase once it runs over a second, also when stderr is not a terminal
  --matrix         also print the effective-access matrix (role by schema) the verifier saw

exit codes: 0 matches, 2 drift or invalid input, 1 error`;

async function run(argv: string[], io: CliIo): Promise<number> {
  const prepared = await prepareCommand(argv, io, { flags: FLAGS, usage: USAGE });
  if (prepared.exit !== undefined) return prepared.exit;
  const { values, target } = prepared;
  try {
    const progress = progressLines(io, 'verify', values.progress);
    const result = await verifyRoleModel(target.spec, target.connection, { ...target.scope, progress: progress.phase })
      .finally(progress.done);
    if (values.json) {
      io.out(JSON.stringify({ ok: result.findings.length === 0, findings: result.findings, ...(result.notes ? { notes: result.notes } : {}), statementsSent: result.statementsSent }, null, 2));
    } else {
      if (values.matrix) io.out(`${result.matrix}\n`);
      for (const n of result.notes ?? []) io.out(`note: ${printable(n)}`);
      if (result.findings.length === 0) io.out(`verify: ${describeTarget(target.connection)} matches the spec`);
      else for (const f of result.findings) io.out(`drift: ${printable(f.message)}`);
    }
    return result.findings.length === 0 ? 0 : 2;
  } catch (error) {
    return runFailure(error, io, values.json);
  }
}

export const verify: Command = { name: 'verify', summary: 'compare the server with the spec; exit 2 and list each finding on drift; changes nothing', usage: USAGE, run };
