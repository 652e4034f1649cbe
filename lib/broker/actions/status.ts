// status: who holds which firefighter role (and, per person, which login) until when, sessions summed over instances.
import type { StatusInput } from '../protocol/broker-input.js';
import type { ActionHandler } from './action.js';

export const status: ActionHandler<StatusInput> = {
  allowlists: () => ['ro', 'rw', 'approve'],
  auditFields: (input) => ({ action: input.action }),
  async run({ deps, mode, audit, proof }) {
    const { roles, logins } = await mode.status(deps, proof);
    audit.outcome = 'status';
    return { ok: true, action: 'status', roles, ...(logins ? { logins } : {}) };
  },
};
