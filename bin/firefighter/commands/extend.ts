// firefighter extend ro|rw: the holder moves their login's expiry, within the incident's total.
import { humanTime } from '../time.js';
import { DATABASE, flag, hours, incident, INCIDENT, noMoreArgs, optional, role, type Command } from './command.js';

export const extend: Command = {
  name: 'extend',
  summary: 'keep your login for the incident longer (the holder; within the incident\'s total)',
  usage: 'extend ro|rw --incident ID [--hours 1|2] [--reason TEXT]',
  description: 'Moves the expiry of the login (or shared role) you hold for the incident to --hours from now, within the total the broker allows per incident.',
  broker: true,
  flags: [INCIDENT, flag('hours', '1 or 2 from now (default 2)', 'N'), flag('reason', 'for the audit (default: "extended by the holder")', 'TEXT'), DATABASE],
  event(args, v) {
    const access = role('extend', args[0]);
    noMoreArgs('extend', args, 1);
    return { action: 'extend', role: access, incidentId: incident('extend', v.incident), hours: hours('extend', v.hours), ...optional('reason', v.reason), ...optional('database', v.database) };
  },
  print: (r) => (r.action === 'extend' ? [`${r.login === r.role ? r.role : `${r.login} (${r.role})`} now valid until ${humanTime(r.expiresAt)}`] : undefined),
};
