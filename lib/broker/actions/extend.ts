// extend: moves the caller's expiry up to `hours` from now, within the incident's total.
import type { ExtendInput } from '../protocol/broker-input.js';
import type { ActionHandler } from './action.js';

export const extend: ActionHandler<ExtendInput> = {
  allowlists: (input) => [input.access],
  auditFields: (input) => ({ action: input.action, access: input.access, incidentId: input.incidentId, reason: input.reason, hours: input.hours }),
  async run({ input, deps, mode, audit, caller, proof }) {
    const extended = await mode.extend(deps, input, caller, proof);
    Object.assign(audit, { outcome: 'extended', role: extended.role, login: extended.login, expiresAt: extended.expiresAt, ...(extended.note ? { note: extended.note } : {}) });
    return { ok: true, action: 'extend', ...extended };
  },
};
