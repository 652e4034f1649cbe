// sweep: the scheduler's, every few minutes: ends the sessions of what has expired (and drops expired logins).
import type { SweepInput } from '../protocol/broker-input.js';
import type { ActionHandler } from './action.js';

export const sweep: ActionHandler<SweepInput> = {
  allowlists: 'scheduler',
  auditFields: (input) => ({ action: input.action }),
  async run({ deps, mode, audit }) {
    const { ended, logins } = await mode.sweep(deps);
    const sessionsEnded = ended.reduce((n, e) => n + e.ended, 0) + (logins ?? []).reduce((n, e) => n + e.sessionsEnded, 0);
    Object.assign(audit, { outcome: 'swept', sessionsEnded, ended, ...(logins ? { logins: logins.map((l) => ({ login: l.login, holder: l.holder, incidentId: l.incidentId, expiresAt: l.expiresAt, sessionsEnded: l.sessionsEnded, dropped: l.dropped })) } : {}) });
    return { ok: true, action: 'sweep', sessionsEnded, ended, ...(logins ? { logins } : {}) };
  },
};
