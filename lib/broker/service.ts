// The broker as one function: event in, response out. It validates the event, verifies the caller, checks
// the allowlist, runs the action, writes exactly one audit line, and never lets a secret into a line, an
// error or a refusal. The Lambda and the CLI's --direct mode both call it; they differ only in the adapters.
import { incidentIdHint, incidentIdMatcher, isAllowed, type BrokerConfig, type FirefighterAccess } from './protocol/broker-config.js';
import { BrokerInputError, parseBrokerInput, type BrokerInput, type SweepInput } from './protocol/broker-input.js';
import { proofBinding } from './protocol/proof-binding.js';
import { personIn, whyNotAllowed } from './protocol/allowlist.js';
import type { Person } from './protocol/person.js';
import type { AcceptedProof } from './db/connection.js';
import { BROKER_ERROR_CODES, BrokerError, redact } from './errors.js';
import { brokerEvent } from './events.js';
import { InstanceNotes } from './instances.js';
import { actionOf } from './actions/table.js';
import type { BrokerMode } from './modes/mode.js';
import { perPersonMode } from './modes/per-person.js';
import { sharedMode } from './modes/shared.js';
import type { BrokerResponse, BrokerServiceOptions } from './service-types.js';

export type { AuditLogger, BrokerRefusal, BrokerResponse, BrokerServiceOptions, DeliveredSecret, InstanceReport, RequestResponse, Settled, VerifiedIdentity } from './service-types.js';

const SWEEP_CALLER = 'scheduler';

/** The service: one call per invocation; `awsRequestId` (the Lambda's) goes into the audit line and the event. */
export function createBrokerService(options: BrokerServiceOptions): (event: unknown, awsRequestId?: string) => Promise<BrokerResponse> {
  const { config, logger } = options;
  const matcher = incidentIdMatcher(config);
  const rules = {
    incidentId: matcher,
    incidentIdHint: incidentIdHint(config),
    databases: config.databases.map((d) => d.name),
  };

  const mode = modeOf(config);

  // The verified ARN goes into the audit line as `caller`; the person it counts as (protocol/person.ts) as
  // `person`, and the person is what every action compares and db_admin records.
  async function caller(input: Exclude<BrokerInput, SweepInput>, lists: readonly (FirefighterAccess | 'approve')[], audit: Record<string, unknown>): Promise<{ person: Person; proof?: AcceptedProof }> {
    if ('trusted' in options.identity) {
      const person = personIn(config.allowlist, (audit.caller = options.identity.trusted));
      audit.person = person.key;
      return { person };
    }
    const verified = await options.identity.verify(input.identity, proofBinding(input));
    const arn = typeof verified === 'string' ? verified : verified.arn;
    // Recorded before the allowlist check, so a refusal's audit line names who was refused.
    audit.caller = arn;
    const allowed = lists.some((list) => isAllowed(config, list, arn));
    if (!allowed) {
      const what = lists.length > 1 ? 'any allowlist' : `the ${lists[0]} allowlist`;
      const why = whyNotAllowed(lists.flatMap((list) => config.allowlist[list] ?? []), arn);
      throw new BrokerError(BROKER_ERROR_CODES.notAllowed, `${arn} is not on ${what} of broker ${config.brokerId}: ${why}; ask the owner of the PasswordBroker construct to add your role`);
    }
    const person = personIn(config.allowlist, arn);
    audit.person = person.key;
    if (typeof verified === 'string') return { person };
    return { person, proof: { sha256: verified.proofSha256, validUntil: verified.validUntil, caller: arn, action: input.action } };
  }

  // `deps` is the service's options plus this invocation's InstanceNotes.
  async function run(input: BrokerInput, audit: Record<string, unknown>, deps: BrokerServiceOptions): Promise<BrokerResponse> {
    const action = actionOf(input);
    if (action.allowlists === 'scheduler') {
      audit.caller = SWEEP_CALLER;
      return action.run({ input, deps, mode, audit, caller: SWEEP_CALLER });
    }
    // Only the scheduler's action (the sweep) carries no identity proof.
    const { person, proof } = await caller(input as Exclude<BrokerInput, SweepInput>, action.allowlists(input), audit);
    return action.run({ input, deps, mode, audit, caller: person.key, ...(proof ? { proof } : {}) });
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
      Object.assign(audit, actionOf(input).auditFields(input));
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
      // Nothing to revoke is no failure of the broker (exit 1 only so scripts see nothing was done): it is audited
      // as a refusal, so the failure alarm does not page anyone for a revoke run twice.
      const refused = failure.refusal || failure.code === BROKER_ERROR_CODES.nothingToRevoke;
      const outcome = failure.code === BROKER_ERROR_CODES.approvalPending ? 'pending' : refused ? 'refused' : 'failed';
      Object.assign(audit, { action, outcome, code: failure.code, error: failure.message, ...failure.details, ...notes.report() });
      await tell(audit);
      (outcome === 'pending' ? logger.info : refused ? logger.warn : logger.error).call(logger, `firefighter ${action ?? 'event'} ${outcome}`, audit);
      return { ok: false, ...(action ? { action } : {}), code: failure.code, message: failure.message, refusal: failure.refusal, ...(Object.keys(failure.details).length ? { details: failure.details } : {}) };
    }
  };
}

/** Shared or per-person logins, decided once per broker from its config. */
function modeOf(config: BrokerConfig): BrokerMode {
  return config.firefighterLogins === 'per-person' ? perPersonMode : sharedMode;
}

function toBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof BrokerInputError) return new BrokerError(BROKER_ERROR_CODES.invalidInput, error.message);
  // Unknown errors keep only their type and a scrubbed message.
  return new BrokerError(BROKER_ERROR_CODES.failure, `unexpected ${(error as Error)?.name ?? 'error'}: ${redact(String((error as Error)?.message ?? error)).slice(0, 300)}`);
}
