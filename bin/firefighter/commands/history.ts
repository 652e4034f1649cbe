// firefighter history [--incident ID]: the audit trail from db_admin (who held what, for which incident).
import { humanTime } from '../time.js';
import { DATABASE, flag, noMoreArgs, optional, type Command } from './command.js';

export const history: Command = {
  name: 'history',
  summary: 'the audit trail: who held which role or login for which incident, when',
  usage: 'history [--incident ID] [--since 2026-11-30T01:00:00Z]',
  description: 'Shows the audit rows of db_admin, newest last: issues, reissues, takeovers, approvals, extensions, revokes and drops.',
  broker: true,
  flags: [flag('incident', 'only this incident', 'ID'), flag('since', 'only rows from then on (ISO 8601)', 'TIME'), DATABASE],
  event(args, v) {
    noMoreArgs('history', args, 0);
    return { action: 'history', ...optional('incidentId', v.incident), ...optional('since', v.since), ...optional('database', v.database) };
  },
  print(r) {
    if (r.action !== 'history') return undefined;
    if (r.entries.length === 0) return ['no history for that selection'];
    return r.entries.map((e) => [
      humanTime(e.at), e.action.padEnd(16), e.login ?? e.role, e.actor, e.incidentId,
      e.expiresAt && e.action !== 'drop' ? `until ${humanTime(e.expiresAt)}` : '',
      e.previousHolder ? `from ${e.previousHolder}` : '', e.sessionsEnded !== null ? `${e.sessionsEnded} session(s) ended` : '',
      e.requestId ? `request ${e.requestId}` : '', e.reason ? `"${e.reason}"` : '',
    ].filter(Boolean).join('  '));
  },
};
