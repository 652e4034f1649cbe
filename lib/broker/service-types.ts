// What the broker service takes and answers: its options (the adapters the Lambda and the CLI's --direct mode
// pass) and its responses, one shape per action. Apart from service.ts so the action modules can name them.
import type { ProofBinding } from './protocol/proof-binding.js';
import type { IdentityProof } from './protocol/broker-input.js';
import type { BrokerErrorCode } from './errors.js';
import type { BrokerEvent } from './events.js';
import type { BrokerDeps, IssuedPassword } from './db/connection.js';
import type { RoleStatus, Swept } from './db/shared-roles.js';
import type { Decision, EndedLogin, LoginStatus } from './db/logins.js';
import type { HistoryEntry } from './db/history.js';
import type { ApprovalRequest } from './db/approvals.js';

/** Structured log sink; @aws-lambda-powertools/logger's Logger fits as is. */
export interface AuditLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** A verified caller with the digest of its proof, which the action records so that the proof works once. */
export interface VerifiedIdentity {
  readonly arn: string;
  readonly proofSha256: string;
  readonly validUntil: Date;
}

export interface DeliveredSecret {
  readonly secretArn: string;
}

export interface BrokerServiceOptions extends BrokerDeps {
  readonly logger: AuditLogger;
  /**
   * Verifies the caller's identity proof and returns its ARN. `trusted` skips verification and the allowlist
   * and records `requester` instead: for the CLI's --direct mode, where holding the broker's own database
   * password is the authorisation.
   */
  readonly identity: { readonly verify: (proof: IdentityProof | undefined, binding: ProofBinding) => Promise<string | VerifiedIdentity> } | { readonly trusted: string };
  /** Writes an issued password somewhere and returns where; the response then omits the password. @default - returned in the response */
  readonly deliver?: (issued: IssuedPassword) => Promise<DeliveredSecret>;
  /**
   * Tells the team: called once per action, refusals included, with the audit fields and never a secret
   * (e.g. EventBridge PutEvents). A failure is logged and does not change the answer. @default - no events
   */
  readonly publish?: (event: BrokerEvent) => Promise<void>;
  /**
   * How long the audit line waits for `publish`: past it the line is written anyway (the event may still arrive),
   * so a slow bus cannot run the Lambda into its timeout before the action is on record. @default 5_000
   */
  readonly publishTimeoutMs?: number;
}

export type RequestResponse = Omit<IssuedPassword, 'password'> & {
  readonly ok: true; readonly action: 'request'; readonly takeover: boolean; readonly password?: string; readonly secretArn?: string;
  /** Per-person logins: a new login, or a new password on the one the caller holds for this incident. */
  readonly outcome?: 'issued' | 'reissued';
  /** Per-person logins: the approval this login was issued on. */
  readonly requestId?: string;
  /** A takeover with endSessions: the previous holder's sessions ended, over every instance. */
  readonly previousSessionsEnded?: number;
  /** Something to act on although the password was issued (e.g. sessions a takeover could not end). */
  readonly warning?: string;
};
/** Actions that reach every instance say which configured instances went away, and why discovery fell back. */
export interface InstanceReport {
  /** Instances no longer in the cluster: skipped, the others were reached. */
  readonly instancesGone?: readonly string[];
  /** Instance discovery failed, and which list was used instead. */
  readonly instanceLookup?: string;
}
/**
 * Where the statements of the history's logins are recorded (pgaudit, docs/security.md): the cluster's PostgreSQL
 * log group in CloudWatch, or the server's own log (--direct, whose configuration names no log group).
 */
export type StatementLog = { readonly logGroup: string } | { readonly serverLog: string };

/** A change whose answer was lost after the server committed it: what was read back, said as a note (db/settle.ts). */
export interface Settled {
  readonly note?: string;
}
export type BrokerResponse =
  | RequestResponse
  | ({ readonly ok: true; readonly action: 'revoke'; readonly database: string; readonly role: string; readonly expiredAt: string; readonly sessionsEnded: number; readonly logins?: readonly EndedLogin[] } & Settled & InstanceReport)
  | ({ readonly ok: true; readonly action: 'status'; readonly roles: readonly RoleStatus[]; readonly logins?: readonly LoginStatus[] } & InstanceReport)
  | ({ readonly ok: true; readonly action: 'sweep'; readonly sessionsEnded: number; readonly ended: readonly Swept[]; readonly logins?: readonly EndedLogin[] } & InstanceReport)
  | ({ readonly ok: true; readonly action: 'extend'; readonly database: string; readonly role: string; readonly login: string; readonly expiresAt: string } & Settled)
  | (Decision & Settled & { readonly ok: true; readonly action: 'approve' | 'deny' })
  | { readonly ok: true; readonly action: 'history'; readonly entries: readonly HistoryEntry[]; readonly statementLog?: StatementLog }
  | { readonly ok: true; readonly action: 'requests'; readonly requests: readonly ApprovalRequest[] }
  | BrokerRefusal;

export interface BrokerRefusal {
  readonly ok: false;
  readonly action?: string;
  readonly code: BrokerErrorCode;
  readonly message: string;
  /** True when nothing changed and the caller can fix the input; false for a failure of the broker. */
  readonly refusal: boolean;
  readonly details?: Readonly<Record<string, string>>;
}
