// requests: the read-write requests waiting for a second person, newest first, or one by id (per-person logins
// with readWriteApproval). Approvers need them to decide; rw requesters may look at theirs.
import { approvalRequests } from '../db/approvals.js';
import { BROKER_ERROR_CODES, BrokerError } from '../errors.js';
import type { RequestsInput } from '../protocol/broker-input.js';
import type { ActionHandler } from './action.js';

export const requests: ActionHandler<RequestsInput> = {
  allowlists: () => ['approve', 'rw'],
  auditFields: (input) => ({ action: input.action, ...(input.requestId ? { requestId: input.requestId } : {}) }),
  async run({ input, deps, mode, audit, proof }) {
    if (mode.name !== 'per-person') {
      throw new BrokerError(BROKER_ERROR_CODES.invalidInput, `requests needs per-person logins with readWriteApproval, and broker ${deps.config.brokerId} issues shared ones; there is nothing to approve`);
    }
    const found = await approvalRequests(deps, input, proof);
    if (input.requestId && found.length === 0) throw new BrokerError(BROKER_ERROR_CODES.invalidInput, `there is no read-write request ${input.requestId}; \`firefighter requests\` lists the pending ones`);
    Object.assign(audit, { outcome: 'requests', requests: found.length });
    return { ok: true, action: 'requests', requests: found };
  },
};
