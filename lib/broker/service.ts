// The broker as one function: event in, response out. It validates the event, verifies the caller, checks
// the allowlist, runs the action, writes exactly one audit line, and never lets a secret into a line, an
// error or a refusal. The Lambda and the CLI's --direct mode both call it; they differ only in the adapters.
import { incidentIdMatcher, isAllowed, type FirefighterAccess } from './protocol/broker-config.js';
import { BrokerInputError, parseBrokerInput, type BrokerInput, type IdentityProof } from './protocol/broker-input.js';
import { proofBinding, type ProofBinding } from './protocol/proof-binding.js';
import { firefighterStatus, revokePassword, sweepExpired, type AcceptedProof, type BrokerDeps, type IssuedPassword, type RoleStatus, type Swept } from './actions.js';
import { requestPassword } from './request-password.js';
import { BROKER_ERROR_CODES, BrokerError, redact, type BrokerErrorCode } from './errors.js';
import { brokerEvent, type BrokerEvent } from './events.js';
import { InstanceNotes } from './instances.js';
import { decideApproval, extendLogin, history, issueLogin, loginStatus, revokeLogins, sweepLogins, type ApprovalPending, type Decision, type EndedLogin, type HistoryEntry, type LoginStatus } from './per-person.js';
import { endPreviousHolderSessions, extendPassword } from './shared-holder.js';

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
export type BrokerResponse =
  | RequestResponse
  | ({ readonly ok: true; readonly action: 'revoke'; readonly database: string; readonly role: string; readonly expiredAt: string; readonly sessionsEnded: number; readonly logins?: readonly EndedLogin[] } & InstanceReport)
  | ({ readonly ok: true; readonly action: 'status'; readonly roles: readonly RoleStatus[]; readonly logins?: readonly LoginStatus[] } & InstanceReport)
  | ({ readonly ok: true; readonly action: 'sweep'; readonly sessionsEnded: number; readonly ended: readonly Swept[]; readonly logins?: readonly EndedLogin[] } & InstanceReport)
  | { readonly ok: true; readonly action: 'extend'; readonly database: string; readonly role: string; readonly login: string; readonly expiresAt: string }
  | (Decision & { readonly ok: true; readonly action: 'approve' | 'deny' })
  | { readonly ok: true; readonly action: 'history'; readonly entries: readonly HistoryEntry[] }
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

/** The service: one call per invocation; `awsRequestId` (the Lambda's) goes into the audit line and the event. */
export function createBrokerService(options: BrokerServiceOptions): (event: unknown, awsRequestId?: string) => Promise<BrokerResponse> {
  const { config, logger } = options;
  const matcher = incidentIdMatcher(config);
  const rules = {
    incidentId: matcher,
    incidentIdHint: config.incidentIdPattern === undefined ? 'at most 128 printable characters' : `the whole id must match /${config.incidentIdPattern}/`,
    databases: config.databases.map((d) => d.name),
  };

  const perPerson = config.firefighterLogins === 'per-person';

  async function caller(input: Exclude<BrokerInput, { action: 'sweep' }>, audit: Record<string, unknown>): Promise<{ arn: string; proof?: AcceptedProof }> {
    if ('trusted' in options.identity) return { arn: (audit.caller = options.identity.trusted) };
    const verified = await options.identity.verify(input.identity, proofBinding(input));
    const arn = typeof verified === 'string' ? verified : verified.arn;
    // Recorded before the allowlist check, so a refusal's audit line names who was refused.
    audit.caller = arn;
    const lists: ('ro' | 'rw' | 'approve')[] = input.action === 'status' || input.action === 'history' ? ['ro', 'rw', 'approve']
      : 'access' in input ? [input.access] : ['approve'];
    const allowed = lists.some((list) => isAllowed(config, list, arn));
    if (!allowed) {
      const what = lists.length > 1 ? 'any allowlist' : `the ${lists[0]} allowlist`;
      throw new BrokerError(BROKER_ERROR_CODES.notAllowed, `${arn} is not on ${what} of broker ${config.brokerId}; ask the owner of the PasswordBroker construct to add your role`);
    }
    if (typeof verified === 'string') return { arn };
    return { arn, proof: { sha256: verified.proofSha256, validUntil: verified.validUntil, caller: arn, action: input.action } };
  }

  // `options` here shadows the service's: the same, plus this invocation's InstanceNotes.
  async function run(input: BrokerInput, audit: Record<string, unknown>, options: BrokerServiceOptions): Promise<BrokerResponse> {
    if (input.action === 'sweep') {
      audit.caller = SWEEP_CALLER;
      const ended = await sweepExpired(options);
      const logins = perPerson ? await sweepLogins(options) : undefined;
      const sessionsEnded = ended.reduce((n, e) => n + e.ended, 0) + (logins ?? []).reduce((n, e) => n + e.sessionsEnded, 0);
      Object.assign(audit, { outcome: 'swept', sessionsEnded, ended, ...(logins ? { logins: logins.map((l) => ({ login: l.login, holder: l.holder, incidentId: l.incidentId, expiresAt: l.expiresAt, sessionsEnded: l.sessionsEnded, dropped: l.dropped })) } : {}) });
      return { ok: true, action: 'sweep', sessionsEnded, ended, ...(logins ? { logins } : {}) };
    }
    const { arn, proof } = await caller(input, audit);
    if (input.action === 'status') {
      const roles = await firefighterStatus(options, proof);
      const logins = perPerson ? await loginStatus(options) : undefined;
      audit.outcome = 'status';
      return { ok: true, action: 'status', roles, ...(logins ? { logins } : {}) };
    }
    if (input.action === 'history') {
      const entries = await history(options, input, proof);
      Object.assign(audit, { outcome: 'history', entries: entries.length });
      return { ok: true, action: 'history', entries };
    }
    if (!perPerson && (input.action === 'approve' || input.action === 'deny')) {
      throw new BrokerError(BROKER_ERROR_CODES.invalidInput, `${input.action} needs per-person logins, and broker ${config.brokerId} issues shared ones; set "firefighterLogins": "per-person" in the spec`);
    }
    if (input.action === 'extend') {
      const extended = await (perPerson ? extendLogin : extendPassword)(options, input, arn, proof);
      Object.assign(audit, { outcome: 'extended', role: extended.role, login: extended.login, expiresAt: extended.expiresAt });
      return { ok: true, action: 'extend', ...extended };
    }
    if (input.action === 'approve' || input.action === 'deny') {
      const decision = await decideApproval(options, input, arn, proof);
      Object.assign(audit, { outcome: decision.decision, role: decision.role, requestId: decision.requestId, requestedBy: decision.requestedBy, incidentId: decision.incidentId, expiresAt: decision.expiresAt });
      return { ok: true, action: input.action, ...decision };
    }
    if (input.action === 'revoke' && perPerson) {
      const logins = await revokeLogins(options, input, arn, proof);
      const sessionsEnded = logins.reduce((n, l) => n + l.sessionsEnded, 0);
      const role = logins[0]?.role ?? input.access;
      const expiredAt = new Date().toISOString();
      Object.assign(audit, { outcome: 'revoked', all: input.all ?? false, logins: logins.map((l) => ({ login: l.login, holder: l.holder, incidentId: l.incidentId, sessionsEnded: l.sessionsEnded })), sessionsEnded });
      return { ok: true, action: 'revoke', database: logins[0]?.database ?? input.database ?? config.databases[0]?.name ?? '', role, expiredAt, sessionsEnded, logins };
    }
    if (input.action === 'revoke') {
      const revoked = await revokePassword(options, input, arn, proof);
      Object.assign(audit, { outcome: 'revoked', role: revoked.role, expiresAt: revoked.expiredAt, sessionsEnded: revoked.sessionsEnded });
      return { ok: true, action: 'revoke', database: revoked.database, role: revoked.role, expiredAt: revoked.expiredAt, sessionsEnded: revoked.sessionsEnded };
    }
    let issued: IssuedPassword & { outcome?: 'issued' | 'reissued'; requestId?: string; previousSessionsEnded?: number; warning?: string };
    if (perPerson) {
      const result = await issueLogin(options, input, arn, proof);
      if (result.outcome === 'pending') {
        // Nothing issued: answered as a refusal of its own (exit 3) so no caller mistakes it for a login.
        Object.assign(audit, { role: result.role, requestId: result.requestId, expiresAt: result.expiresAt });
        throw pendingError(result);
      }
      issued = result;
      Object.assign(audit, { outcome: result.outcome, role: result.role, login: result.username, expiresAt: result.expiresAt, ...(result.requestId ? { requestId: result.requestId } : {}) });
    } else {
      issued = await requestPassword(options, input, arn, proof);
      const takeover = issued.previousHolder !== undefined;
      Object.assign(audit, { outcome: takeover ? 'takeover' : issued.outcome ?? 'issued', role: issued.role, expiresAt: issued.expiresAt,
        ...(takeover ? { previousHolder: issued.previousHolder, previousIncidentId: issued.previousIncidentId } : {}) });
      if (takeover && input.endSessions) {
        // Before anyone has the new password: every session of the role is the previous holder's. The takeover
        // stands either way, so a failure here is reported with the password rather than instead of it.
        try {
          const ended = await endPreviousHolderSessions(options, issued, arn, input.incidentId);
          audit.sessionsEnded = ended.sessionsEnded;
          issued = { ...issued, previousSessionsEnded: ended.sessionsEnded };
        } catch (error) {
          const warning = `the previous holder's sessions were not all ended (${redact((error as Error).message ?? '', [issued.password])}); end them with \`firefighter revoke\` and request again, or retry the takeover`;
          audit.warning = warning;
          issued = { ...issued, warning };
        }
      }
    }
    const takeover = issued.previousHolder !== undefined;
    const { password, ...rest } = issued;
    if (!options.deliver) return { ok: true, action: 'request', takeover, ...rest, password };
    let delivered: DeliveredSecret;
    try {
      delivered = await options.deliver(issued);
    } catch (error) {
      const why = `${(error as Error).name}: ${redact((error as Error).message ?? '', [password])}`;
      // Nobody can use a password that was never delivered: expire it rather than leave the role held.
      const undo = { action: 'revoke', access: input.access, incidentId: input.incidentId, reason: 'password delivery failed', ...(input.database ? { database: input.database } : {}) } as const;
      const revoked = await (perPerson ? revokeLogins(options, undo, audit.caller as string) : revokePassword(options, undo, audit.caller as string)).then(() => undefined, (e: unknown) => e as Error);
      if (revoked === undefined) throw new BrokerError(BROKER_ERROR_CODES.failure, `the password of ${issued.role} could not be delivered (${why}); it was expired again, try later`);
      // The truth: the password is set, nobody has it, and it stays active until its expiry unless revoked.
      const command = `firefighter revoke ${input.access} --incident ${JSON.stringify(input.incidentId)}${input.database ? ` --database ${JSON.stringify(input.database)}` : ''}`;
      throw new BrokerError(BROKER_ERROR_CODES.failure,
        `the password of ${issued.role} could not be delivered (${why}), and expiring it again failed too (${redact(revoked.message ?? '', [password])}); it is active until ${issued.expiresAt} and nobody received it: revoke it with \`${command}\``,
        { passwordActiveUntil: issued.expiresAt, revokeWith: command });
    }
    audit.secretArn = delivered.secretArn;
    return { ok: true, action: 'request', takeover, ...rest, secretArn: delivered.secretArn };
  }

  // Runs before the audit line is written, so the line says whether the team was told (eventPublished, and
  // eventError when not); a failure to publish never changes the answer, and a slow one never delays the line
  // past publishTimeoutMs.
  async function tell(audit: Record<string, unknown>): Promise<void> {
    const event = options.publish ? brokerEvent(audit) : undefined;
    if (!event || !options.publish) return;
    const limit = options.publishTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), limit);
    });
    // Promise.resolve().then: a publish that throws at once is a failure to tell, not a lost audit line.
    const publish = options.publish;
    const result = await Promise.race([Promise.resolve().then(() => publish(event)).then(() => 'ok' as const, (error: unknown) => ({ error })), late]);
    clearTimeout(timer);
    if (result === 'ok') audit.eventPublished = true;
    else if (result === 'late') Object.assign(audit, { eventPublished: false, eventError: `no answer from the event bus within ${limit} ms; the event may still arrive` });
    else {
      const error = result.error as Error;
      Object.assign(audit, { eventPublished: false, eventError: `${error?.name ?? 'Error'}: ${redact(String(error?.message ?? error)).slice(0, 300)}` });
    }
  }

  return async (event, awsRequestId) => {
    // awsRequestId is the invocation; requestId, when there is one, the approval request (firefighter approve ID).
    const audit: Record<string, unknown> = { awsRequestId, broker: config.brokerId, cluster: config.clusterId, caller: 'unverified' };
    let input: BrokerInput | undefined;
    const notes = new InstanceNotes();
    try {
      input = parseBrokerInput(event, rules);
      Object.assign(audit, auditFields(input));
      const answer = await run(input, audit, { ...options, instanceNotes: notes });
      const report = notes.report();
      Object.assign(audit, report);
      const response = { ...answer, ...(answer.ok ? report : {}) } as BrokerResponse;
      await tell(audit);
      logger.info(`firefighter ${input.action}`, audit);
      return response;
    } catch (error) {
      const failure = toBrokerError(error);
      const action = input?.action ?? (typeof (event as { action?: unknown })?.action === 'string' ? String((event as { action: string }).action).slice(0, 16) : undefined);
      const outcome = failure.code === BROKER_ERROR_CODES.approvalPending ? 'pending' : failure.refusal ? 'refused' : 'failed';
      Object.assign(audit, { action, outcome, code: failure.code, error: failure.message, ...failure.details, ...notes.report() });
      await tell(audit);
      (outcome === 'pending' ? logger.info : failure.refusal ? logger.warn : logger.error).call(logger, `firefighter ${action ?? 'event'} ${outcome}`, audit);
      return { ok: false, ...(action ? { action } : {}), code: failure.code, message: failure.message, refusal: failure.refusal, ...(Object.keys(failure.details).length ? { details: failure.details } : {}) };
    }
  };
}

/** The audit fields of a validated input: never the identity proof, which carries a session token. */
function auditFields(input: BrokerInput): Record<string, unknown> {
  if (input.action === 'sweep' || input.action === 'status') return { action: input.action };
  if (input.action === 'history') return { action: input.action, ...(input.incidentId ? { incidentId: input.incidentId } : {}), ...(input.since ? { since: input.since } : {}) };
  if (input.action === 'approve' || input.action === 'deny') return { action: input.action, requestId: input.requestId, reason: input.reason };
  if (input.action === 'extend') return { action: input.action, access: input.access, incidentId: input.incidentId, reason: input.reason, hours: input.hours };
  const common = { action: input.action, access: input.access as FirefighterAccess, incidentId: input.incidentId, reason: input.reason, ...(input.database ? { database: input.database } : {}) };
  return input.action === 'request' ? { ...common, hours: input.hours, takeoverRequested: input.takeover } : common;
}

function pendingError(p: ApprovalPending): BrokerError {
  return new BrokerError(BROKER_ERROR_CODES.approvalPending,
    `read-write on ${p.role} needs another person's approval: request ${p.requestId} is pending until ${p.expiresAt}; an approver runs: firefighter approve ${p.requestId}, then ask again`,
    { requestId: p.requestId, role: p.role, database: p.database, pendingUntil: p.expiresAt });
}

function toBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof BrokerInputError) return new BrokerError(BROKER_ERROR_CODES.invalidInput, error.message);
  // Unknown errors keep only their type and a scrubbed message.
  return new BrokerError(BROKER_ERROR_CODES.failure, `unexpected ${(error as Error)?.name ?? 'error'}: ${redact(String((error as Error)?.message ?? error)).slice(0, 300)}`);
}
