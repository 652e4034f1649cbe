// history: the audit trail of one incident, or since a time, in either mode, and where the statements its logins
// ran are recorded.
import type { HistoryInput } from '../protocol/broker-input.js';
import { history as read } from '../db/history.js';
import type { ActionHandler } from './action.js';

export const history: ActionHandler<HistoryInput> = {
  allowlists: () => ['ro', 'rw', 'approve'],
  auditFields: (input) => ({ action: input.action, ...(input.incidentId ? { incidentId: input.incidentId } : {}), ...(input.since ? { since: input.since } : {}) }),
  async run({ input, deps, audit, proof }) {
    const entries = await read(deps, input, proof);
    Object.assign(audit, { outcome: 'history', entries: entries.length });
    const { statementLogGroup, writerHost } = deps.config;
    return { ok: true, action: 'history', entries, statementLog: statementLogGroup ? { logGroup: statementLogGroup } : { serverLog: writerHost } };
  },
};
