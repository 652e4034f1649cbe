// What the engine throws when the server does not (or cannot) match the spec.
import type { Finding, Step } from '../plan/plan-types.js';

export class VerificationError extends Error {
  constructor(readonly findings: readonly Finding[], readonly matrix: string) {
    super(`role model does not match the spec (${findings.length} finding${findings.length === 1 ? '' : 's'}):\n${findings.map((f) => `  - ${f.message}`).join('\n')}`);
    this.name = 'VerificationError';
  }
}

/** Apply refused before changing anything: only a superuser (on Aurora: AWS) can fix what it found. */
export class NeedsOperatorError extends VerificationError {
  constructor(findings: readonly Finding[], message: string) {
    super(findings, '');
    this.message = message;
    this.name = 'NeedsOperatorError';
  }
}

export class StepError extends Error {
  constructor(readonly step: Step, cause: unknown) {
    const firstLine = step.sql.split('\n')[0] ?? '';
    super(`${step.phase}${step.database ? ` in "${step.database}"` : ''}${step.runAs ? ` as ${step.runAs}` : ''} failed: ${(cause as Error).message}\n  while: ${step.reason}\n  statement: ${firstLine}${step.sql.includes('\n') ? ' ...' : ''}`, { cause });
    this.name = 'StepError';
  }
}
