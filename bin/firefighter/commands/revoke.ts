// firefighter revoke ro|rw: ends it now (password expired, sessions ended on every instance), audited.
import { humanTime } from '../time.js';
import { DATABASE, flag, incident, INCIDENT, noMoreArgs, optional, role, type Command } from './command.js';

export const revoke: Command = {
  name: 'revoke',
  summary: 'end a firefighter password or login now, and its sessions',
  usage: 'revoke ro|rw --incident ID [--reason TEXT] [--all]',
  description: `Expires the password of the role you hold for the incident (or, with per-person logins, drops your
login for it) and ends their sessions on every instance. Refused (exit 2) when you hold it for another incident;
exit 1 when there is nothing of yours to revoke. --all ends it whoever holds it: every holder's logins (audited).`,
  broker: true,
  flags: [INCIDENT, flag('reason', 'for the audit (default: "revoked by the requester")', 'TEXT'), DATABASE, flag('all', 'whoever holds it: every holder\'s logins of the role (shared: the role itself), not only yours')],
  event(args, v) {
    const access = role('revoke', args[0]);
    noMoreArgs('revoke', args, 1);
    return { action: 'revoke', role: access, incidentId: incident('revoke', v.incident), ...optional('reason', v.reason), ...optional('database', v.database), ...(v.all ? { all: true } : {}) };
  },
  print(r) {
    if (r.action !== 'revoke') return undefined;
    if (!r.logins) return [`${r.role} expired at ${humanTime(r.expiredAt)}; ${r.sessionsEnded} session(s) ended`];
    if (r.logins.length === 0) return [`no active login of ${r.role} to revoke`];
    return r.logins.map((l) => `${l.login} of ${l.holder} (${l.incidentId}) revoked; ${l.sessionsEnded} session(s) ended${l.dropped ? ', login dropped' : ''}`);
  },
};
