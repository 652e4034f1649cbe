// revoke: expires the caller's password or login (every holder's with `all`) and ends its sessions everywhere.
import type { RevokeInput } from '../protocol/broker-input.js';
import { roleFields, type ActionHandler } from './action.js';

export const revoke: ActionHandler<RevokeInput> = {
  allowlists: (input) => [input.access],
  auditFields: roleFields,
  async run({ input, deps, mode, audit, caller, proof }) {
    const { answer, audit: what } = await mode.revoke(deps, input, caller, proof);
    Object.assign(audit, what);
    return { ok: true, action: 'revoke', ...answer };
  },
};
