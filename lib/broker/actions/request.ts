// request: a password (shared) or a login (per person) for the caller's incident, or a pending approval; then,
// when the service delivers secrets elsewhere (Secrets Manager), delivered, or expired again if that fails.
import type { RequestInput } from '../protocol/broker-input.js';
import { BROKER_ERROR_CODES, BrokerError, redact } from '../errors.js';
import type { ApprovalPending } from '../db/logins.js';
import type { DeliveredSecret } from '../service-types.js';
import { roleFields, type ActionHandler } from './action.js';

export const request: ActionHandler<RequestInput> = {
  allowlists: (input) => [input.access],
  auditFields: (input) => ({ ...roleFields(input), hours: input.hours, takeoverRequested: input.takeover }),
  async run({ input, deps, mode, audit, caller, proof }) {
    const result = await mode.request(deps, input, caller, proof);
    if ('outcome' in result && result.outcome === 'pending') {
      // Nothing issued: answered as a refusal of its own (exit 3) so no caller mistakes it for a login.
      Object.assign(audit, { role: result.role, requestId: result.requestId, expiresAt: result.expiresAt });
      throw pendingError(result);
    }
    const { issued, audit: what } = result as Exclude<typeof result, ApprovalPending>;
    Object.assign(audit, what);
    const takeover = issued.previousHolder !== undefined;
    const { password, ...rest } = issued;
    if (!deps.deliver) return { ok: true, action: 'request', takeover, ...rest, password };
    let delivered: DeliveredSecret;
    try {
      delivered = await deps.deliver(issued);
    } catch (error) {
      const why = `${(error as Error).name}: ${redact((error as Error).message ?? '', [password])}`;
      // Nobody can use a password that was never delivered: expire it rather than leave the role held.
      const undo = { action: 'revoke', access: input.access, incidentId: input.incidentId, reason: 'password delivery failed', ...(input.database ? { database: input.database } : {}) } as const;
      const revoked = await mode.revoke(deps, undo, caller).then(() => undefined, (e: unknown) => e as Error);
      if (revoked === undefined) throw new BrokerError(BROKER_ERROR_CODES.failure, `the password of ${issued.role} could not be delivered (${why}); it was expired again, try later`);
      // The truth: the password is set, nobody has it, and it stays active until its expiry unless revoked.
      const command = `firefighter revoke ${input.access} --incident ${JSON.stringify(input.incidentId)}${input.database ? ` --database ${JSON.stringify(input.database)}` : ''}`;
      throw new BrokerError(BROKER_ERROR_CODES.failure,
        `the password of ${issued.role} could not be delivered (${why}), and expiring it again failed too (${redact(revoked.message ?? '', [password])}); it is active until ${issued.expiresAt} and nobody received it: revoke it with \`${command}\``,
        { passwordActiveUntil: issued.expiresAt, revokeWith: command });
    }
    audit.secretArn = delivered.secretArn;
    return { ok: true, action: 'request', takeover, ...rest, secretArn: delivered.secretArn };
  },
};

function pendingError(p: ApprovalPending): BrokerError {
  return new BrokerError(BROKER_ERROR_CODES.approvalPending,
    `read-write on ${p.role} needs another person's approval: request ${p.requestId} is pending until ${p.expiresAt}; an approver runs: firefighter approve ${p.requestId} (\`firefighter requests\` lists it), then ask again`,
    { requestId: p.requestId, role: p.role, database: p.database, pendingUntil: p.expiresAt });
}
