// firefighter history [INCIDENT | --incident ID]: the audit trail from db_admin (who held what, for which incident),
// then where the statements those logins ran are recorded (./statement-log.ts).
import { statementLogLines } from '../statement-log.js';
import { humanTime } from '../time.js';
import { DATABASE, flag, noMoreArgs, optional, UsageError, type Command } from './command.js';

export const history: Command = {
  name: 'history',
  summary: 'the audit trail: who held which role or login for which incident, when',
  usage: 'history [INCIDENT | --incident ID] [--since 2026-11-30T01:00:00Z]',
  description: 'Shows the audit rows of db_admin, newest last: issues, reissues, takeovers, approvals, extensions, revokes and drops; then where the statements those logins ran are recorded (pgaudit: the cluster\'s PostgreSQL log group, with a query to paste).',
  broker: true,
  flags: [flag('incident', 'only this incident', 'ID'), flag('since', 'only rows from then on (ISO 8601)', 'TIME'), DATABASE],
  event(args, v) {
    noMoreArgs('history', args, 1);
    const [positional] = args;
    if (positional !== undefined && v.incident !== undefined && positional !== v.incident) {
      throw new UsageError(`history got two incidents, ${JSON.stringify(positional)} and --incident ${JSON.stringify(v.incident)}; give one`, 'history');
    }
    const incident = positional ?? (typeof v.incident === 'string' ? v.incident : undefined);
    return { action: 'history', ...optional('incidentId', incident), ...optional('since', v.since), ...optional('database', v.database) };
  },
  print(r) {
    if (r.action !== 'history') return undefined;
    if (r.entries.length === 0) return ['no history for that selection'];
    return [...r.entries.map((e) => [
      humanTime(e.at), e.action.padEnd(16), e.login ?? e.role, e.actor, e.incidentId,
      e.expiresAt && e.action !== 'drop' ? `until ${humanTime(e.expiresAt)}` : '',
      e.previousHolder ? `from ${e.previousHolder}` : '', e.sessionsEnded !== null ? `${e.sessionsEnded} session(s) ended` : '',
      e.requestId ? `request ${e.requestId}` : '', e.reason ? `"${e.reason}"` : '',
    ].filter(Boolean).join('  ')), ...statementLogLines(r.entries, r.statementLog)];
  },
};
