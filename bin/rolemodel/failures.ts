// How a rolemodel command's errors become lines on stderr and exit codes: invalid input before any connection
// (exit 2, or what the command says), a failure after connecting (1; 2 for a spec naming roles it may not manage).
import { RoleClaimError } from '../../lib/model/role-mark.js';
import { StepError, VerificationError } from '../../lib/postgres/engine.js';
import { TlsRefusal } from '../../lib/postgres/tls.js';
import { SpecError } from '../../lib/spec/validate.js';
import { printable } from '../../lib/spec/text-rules.js';
import { UsageError } from './connection.js';
import type { CliIo } from './io.js';

/**
 * An error as lines a person reads: each finding, spec issue or reason on its own line, and every name in them
 * through printable(), so a catalog name with a newline cannot start a line of its own (issue 17).
 */
function errorLines(error: unknown): string[] {
  const head = (message: string) => printable(message.split('\n')[0] ?? '');
  if (error instanceof SpecError) return [head(error.message), ...error.issues.map((i) => `  - ${printable(`${i.path}: ${i.message}`)}`)];
  if (error instanceof VerificationError) return [head(error.message), ...error.findings.map((f) => `  - ${printable(f.message)}`)];
  if (error instanceof RoleClaimError) return [head(error.message), ...error.reasons.map((r) => `  - ${printable(r)}`)];
  if (error instanceof StepError) {
    const { step } = error;
    const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
    const statement = step.sql.split('\n')[0] ?? '';
    return [
      printable(`${step.phase}${step.database ? ` in "${step.database}"` : ''}${step.runAs ? ` as ${step.runAs}` : ''} failed: ${cause}`),
      `  while: ${printable(step.reason)}`,
      `  statement: ${printable(statement)}${step.sql.includes('\n') ? ' ...' : ''}`,
    ];
  }
  return [printable(error instanceof Error ? error.message : String(error))];
}

function report(error: unknown, io: CliIo): void {
  const [first = '', ...rest] = errorLines(error);
  io.err(`rolemodel: ${first}`);
  for (const line of rest) io.err(line);
}

/**
 * Invalid input found before any connection (flags, spec, TLS): the message (and the usage for flag and spec
 * errors) on stderr, exit 2 unless the command says otherwise (plan --detailed-exitcode: 1). Anything else is rethrown.
 */
export function setupFailure(error: unknown, usage: string, io: CliIo, code = 2): number {
  if (error instanceof TlsRefusal) {
    // Refused before any connection: nothing was sent, nothing changed.
    report(error, io);
    return code;
  }
  if (error instanceof UsageError || error instanceof SpecError) {
    if (error.message) report(error, io);
    io.err(usage);
    return code;
  }
  throw error;
}

/** A failure after connecting: 2 for a spec naming roles it may not manage (nothing changed), else 1. */
export function runFailure(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof VerificationError && json) io.out(JSON.stringify({ ok: false, findings: error.findings }, null, 2));
  report(error, io);
  return error instanceof RoleClaimError ? 2 : 1;
}
