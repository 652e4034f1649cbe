// The broker as one function: event in, response out. It validates the event, verifies the caller, checks
// the allowlist, runs the action, writes exactly one audit line, and never lets a secret into a line, an
// error or a refusal. The Lambda and the CLI's --direct mode both call it; they differ only in the adapters.
import { incidentIdMatcher, isAllowed, type FirefighterAccess } from '../core/broker-config.js';
import { BrokerInputError, parseBrokerInput, proofBinding, type BrokerInput, type IdentityProof, type ProofBinding } from '../core/broker-input.js';
import { firefighterStatus, requestPassword, revokePassword, sweepExpired, type AcceptedProof, type BrokerDeps, type IssuedPassword, type RoleStatus, type Swept } from './actions.js';
import { BROKER_ERROR_CODES, BrokerError, redact, type BrokerErrorCode } from './errors.js';

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
}

export type RequestResponse = Omit<IssuedPassword, 'password'> & { readonly ok: true; readonly action: 'request'; readonly takeover: boolean; readonly password?: string; readonly secretArn?: string };
export type BrokerResponse =
  | RequestResponse
  | { readonly ok: true; readonly action: 'revoke'; readonly database: string; readonly role: string; readonly expiredAt: string; readonly sessionsEnded: number }
  | { readonly ok: true; readonly action: 'status'; readonly roles: readonly RoleStatus[] }
  | { readonly ok: true; readonly action: 'sweep'; readonly sessionsEnded: number; readonly ended: readonly Swept[] }
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

const SWEEP_CALLER = 'scheduler';

export function createBrokerService(options: BrokerServiceOptions): (event: unknown, requestId?: string) => Promise<BrokerResponse> {
  const { config, logger } = options;
  const matcher = incidentIdMatcher(config);
  const rules = {
    incidentId: matcher,
    incidentIdHint: config.incidentIdPattern === undefined ? 'at most 128 printable characters' : `the whole id must match /${config.incidentIdPattern}/`,
    databases: config.databases.map((d) => d.name),
  };

  async function caller(input: Exclude<BrokerInput, { action: 'sweep' }>, audit: Record<string, unknown>): Promise<{ arn: string; proof?: AcceptedProof }> {
    if ('trusted' in options.identity) return { arn: (audit.caller = options.identity.trusted) };
    const verified = await options.identity.verify(input.identity, proofBinding(input));
    const arn = typeof verified === 'string' ? verified : verified.arn;
    // Recorded before the allowlist check, so a refusal's audit line names who was refused.
    audit.caller = arn;
    const allowed = input.action === 'status' ? isAllowed(config, 'ro', arn) || isAllowed(config, 'rw', arn) : isAllowed(config, input.access, arn);
    if (!allowed) {
      const what = input.action === 'status' ? 'either allowlist' : `the ${input.access} allowlist`;
      throw new BrokerError(BROKER_ERROR_CODES.notAllowed, `${arn} is not on ${what} of broker ${config.brokerId}; ask the owner of the PasswordBroker construct to add your role`);
    }
    if (typeof verified === 'string') return { arn };
    return { arn, proof: { sha256: verified.proofSha256, validUntil: verified.validUntil, caller: arn, action: input.action } };
  }

  async function run(input: BrokerInput, audit: Record<string, unknown>): Promise<BrokerResponse> {
    if (input.action === 'sweep') {
      audit.caller = SWEEP_CALLER;
      const ended = await sweepExpired(options);
      const sessionsEnded = ended.reduce((n, e) => n + e.ended, 0);
      Object.assign(audit, { outcome: 'swept', sessionsEnded, ended });
      return { ok: true, action: 'sweep', sessionsEnded, ended };
    }
    const { arn, proof } = await caller(input, audit);
    if (input.action === 'status') {
      const roles = await firefighterStatus(options, proof);
      audit.outcome = 'status';
      return { ok: true, action: 'status', roles };
    }
    if (input.action === 'revoke') {
      const revoked = await revokePassword(options, input, arn, proof);
      Object.assign(audit, { outcome: 'revoked', role: revoked.role, expiresAt: revoked.expiredAt, sessionsEnded: revoked.sessionsEnded });
      return { ok: true, action: 'revoke', database: revoked.database, role: revoked.role, expiredAt: revoked.expiredAt, sessionsEnded: revoked.sessionsEnded };
    }
    const issued = await requestPassword(options, input, arn, proof);
    const takeover = issued.previousHolder !== undefined;
    Object.assign(audit, { outcome: takeover ? 'takeover' : 'issued', role: issued.role, expiresAt: issued.expiresAt, ...(takeover ? { previousHolder: issued.previousHolder } : {}) });
    const { password, ...rest } = issued;
    if (!options.deliver) return { ok: true, action: 'request', takeover, ...rest, password };
    let delivered: DeliveredSecret;
    try {
      delivered = await options.deliver(issued);
    } catch (error) {
      // Nobody can use a password that was never delivered: expire it rather than leave the role held.
      await revokePassword(options, { action: 'revoke', access: input.access, incidentId: input.incidentId, reason: 'password delivery failed', ...(input.database ? { database: input.database } : {}) }, audit.caller as string).catch(() => undefined);
      throw new BrokerError(BROKER_ERROR_CODES.failure, `the password of ${issued.role} could not be delivered (${(error as Error).name}: ${redact((error as Error).message ?? '', [password])}); it was expired again, try later`);
    }
    audit.secretArn = delivered.secretArn;
    return { ok: true, action: 'request', takeover, ...rest, secretArn: delivered.secretArn };
  }

  return async (event, requestId) => {
    const audit: Record<string, unknown> = { requestId, broker: config.brokerId, cluster: config.clusterId, caller: 'unverified' };
    let input: BrokerInput | undefined;
    try {
      input = parseBrokerInput(event, rules);
      Object.assign(audit, auditFields(input));
      const response = await run(input, audit);
      logger.info(`firefighter ${input.action}`, audit);
      return response;
    } catch (error) {
      const failure = toBrokerError(error);
      const action = input?.action ?? (typeof (event as { action?: unknown })?.action === 'string' ? String((event as { action: string }).action).slice(0, 16) : undefined);
      Object.assign(audit, { action, outcome: failure.refusal ? 'refused' : 'failed', code: failure.code, error: failure.message, ...failure.details });
      (failure.refusal ? logger.warn : logger.error).call(logger, `firefighter ${action ?? 'event'} ${failure.refusal ? 'refused' : 'failed'}`, audit);
      return { ok: false, ...(action ? { action } : {}), code: failure.code, message: failure.message, refusal: failure.refusal, ...(Object.keys(failure.details).length ? { details: failure.details } : {}) };
    }
  };
}

/** The audit fields of a validated input: never the identity proof, which carries a session token. */
function auditFields(input: BrokerInput): Record<string, unknown> {
  if (input.action === 'sweep' || input.action === 'status') return { action: input.action };
  const common = { action: input.action, access: input.access as FirefighterAccess, incidentId: input.incidentId, reason: input.reason, ...(input.database ? { database: input.database } : {}) };
  return input.action === 'request' ? { ...common, hours: input.hours, takeoverRequested: input.takeover } : common;
}

function toBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof BrokerInputError) return new BrokerError(BROKER_ERROR_CODES.invalidInput, error.message);
  // Unknown errors keep only their type and a scrubbed message.
  return new BrokerError(BROKER_ERROR_CODES.failure, `unexpected ${(error as Error)?.name ?? 'error'}: ${redact(String((error as Error)?.message ?? error)).slice(0, 300)}`);
}
