// approve and deny: another person decides a pending read-write request (per-person logins only).
import type { DecideInput } from '../protocol/broker-input.js';
import type { ActionHandler } from './action.js';

export const decide: ActionHandler<DecideInput> = {
  allowlists: () => ['approve'],
  auditFields: (input) => ({ action: input.action, requestId: input.requestId, reason: input.reason }),
  async run({ input, deps, mode, audit, caller, proof }) {
    const decision = await mode.decide(deps, input, caller, proof);
    Object.assign(audit, { outcome: decision.decision, role: decision.role, requestId: decision.requestId, requestedBy: decision.requestedBy, incidentId: decision.incidentId, expiresAt: decision.expiresAt, ...(decision.note ? { note: decision.note } : {}) });
    return { ok: true, action: input.action, ...decision };
  },
};
