// Broker errors: a stable code for callers and scripts, and a message that can be logged and shown.
// Database errors are rebuilt from scratch rather than wrapped: pg errors carry the failing SQL in `where`,
// `internalQuery` and friends, and for an ALTER ROLE ... PASSWORD that SQL holds the verifier.
import { DB_ADMIN_ERRORS } from '../model/db-admin.js';

export const BROKER_ERROR_CODES = {
  /** The event or arguments are malformed (exit 2). */
  invalidInput: 'INVALID_INPUT',
  /** The identity proof is missing, expired, forged or bound to another broker (exit 2). */
  identityRefused: 'IDENTITY_REFUSED',
  /** The verified caller is not on the allowlist of the role asked for (exit 2). */
  notAllowed: 'NOT_ALLOWED',
  /** Someone else holds the role until its expiry; ask them or take over (exit 2). */
  roleHeld: 'ROLE_HELD',
  /** db_admin refused the call (a role it does not manage, a bad verifier, hours or audit field) (exit 2). */
  refused: 'REFUSED',
  /** The database could not be reached in time (exit 1). */
  unavailable: 'UNAVAILABLE',
  /** Anything else (exit 1). */
  failure: 'FAILURE',
  /**
   * Read-write with approval: nothing issued yet, a request is pending (details.requestId); an approver runs
   * `firefighter approve <requestId>`, then the requester asks again (exit 3).
   */
  approvalPending: 'APPROVAL_PENDING',
  /** Per-person logins: the role's maximum of active logins is reached, or the incident's total time used (exit 2). */
  limitReached: 'LIMIT_REACHED',
  /** An approver tried to decide their own request (exit 2). */
  selfApproval: 'SELF_APPROVAL',
  /** A revoke found nothing of the caller's to end (exit 1: nothing was done, though nothing failed). */
  nothingToRevoke: 'NOTHING_TO_REVOKE',
} as const;

export type BrokerErrorCode = (typeof BROKER_ERROR_CODES)[keyof typeof BROKER_ERROR_CODES];

const REFUSALS: ReadonlySet<string> = new Set(['INVALID_INPUT', 'IDENTITY_REFUSED', 'NOT_ALLOWED', 'ROLE_HELD', 'REFUSED', 'APPROVAL_PENDING', 'LIMIT_REACHED', 'SELF_APPROVAL']);

export class BrokerError extends Error {
  constructor(readonly code: BrokerErrorCode, message: string, readonly details: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'BrokerError';
  }

  /** A refusal changes nothing and is the caller's to fix; anything else is a failure of the broker. */
  get refusal(): boolean {
    return REFUSALS.has(this.code);
  }
}

/** Exit code of the CLI and `refusal` flag of a response: 2 refused or invalid, 3 pending approval, 1 failure. */
export function exitCodeOf(code: string): 1 | 2 | 3 {
  if (code === 'APPROVAL_PENDING') return 3;
  return REFUSALS.has(code) ? 2 : 1;
}

// Secret-shaped text removed from any message, even when the exact secret is not known to the scrubber.
const SECRET_SHAPES: readonly RegExp[] = [
  /SCRAM-SHA-256\$[^\s'"]*/g,
  /md5[0-9a-f]{32}/g,
  /X-Amz-(Signature|Security-Token|Credential)=[^\s&'"]*/gi,
  /\b(ASIA|AKIA)[A-Z0-9]{16}\b/g,
];

/** Removes every given secret and every secret-shaped string from a text. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Short strings would redact ordinary words; every real secret here is long.
    if (secret && secret.length >= 8) out = out.split(secret).join('[redacted]');
  }
  for (const shape of SECRET_SHAPES) out = out.replace(shape, '[redacted]');
  return out;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
  '57P01', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '28000', '28P01', '57014']);

/**
 * Turns anything thrown while talking to PostgreSQL into a BrokerError that holds nothing but a code and a
 * scrubbed message. `context` says what the broker was doing, e.g. `setting the password of my_pg_firefighter_ro`.
 */
export function fromDatabaseError(error: unknown, context: string, secrets: readonly (string | undefined)[]): BrokerError {
  if (error instanceof BrokerError) return new BrokerError(error.code, redact(error.message, secrets), error.details);
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : '';
  const raw = error instanceof Error ? error.message : String(error);
  const message = redact(raw, secrets).slice(0, 500);
  if (code === DB_ADMIN_ERRORS.roleHeld) return new BrokerError(BROKER_ERROR_CODES.roleHeld, message);
  if (code === DB_ADMIN_ERRORS.heldByRole) return new BrokerError(BROKER_ERROR_CODES.roleHeld, `${message}: use the login you have, or revoke it first; or bind the role's session names to people (docs/security.md, "Who is a person")`);
  if (code === DB_ADMIN_ERRORS.proofRefused) return new BrokerError(BROKER_ERROR_CODES.identityRefused, `the database refused ${context}: ${message}`);
  if (code === DB_ADMIN_ERRORS.tooManyLogins || code === DB_ADMIN_ERRORS.incidentTotalUsed) return new BrokerError(BROKER_ERROR_CODES.limitReached, message);
  if (code === DB_ADMIN_ERRORS.selfApproval) return new BrokerError(BROKER_ERROR_CODES.selfApproval, message);
  if (code === DB_ADMIN_ERRORS.nothingToRevoke) return new BrokerError(BROKER_ERROR_CODES.nothingToRevoke, message);
  if (code === DB_ADMIN_ERRORS.heldForOtherIncident) return new BrokerError(BROKER_ERROR_CODES.refused, message);
  if (Object.values(DB_ADMIN_ERRORS).includes(code as never)) return new BrokerError(BROKER_ERROR_CODES.refused, `the database refused ${context}: ${message}`);
  if (CONNECTION_CODES.has(code) || /timeout|terminated|connect/i.test(raw)) {
    return new BrokerError(BROKER_ERROR_CODES.unavailable, `${context} failed: ${message}`);
  }
  return new BrokerError(BROKER_ERROR_CODES.failure, `${context} failed${code ? ` (${code})` : ''}: ${message}`);
}
