// firefighter status: who holds which firefighter role (or login) until when, with the sessions.
import { humanTime } from '../time.js';
import { noMoreArgs, type Command } from './command.js';

export const status: Command = {
  name: 'status',
  summary: 'who holds which firefighter role or login, until when, with how many sessions',
  usage: 'status',
  description: 'Shows each firefighter role of every database of the broker: free, or held by whom for which incident until when, and its sessions over every instance.',
  broker: true,
  flags: [],
  event(args) {
    noMoreArgs('status', args, 0);
    return { action: 'status' };
  },
  print(r) {
    if (r.action !== 'status') return undefined;
    if (r.logins) {
      const lines = r.roles.map((g) => `${g.database} ${g.role} (${g.access}): group for per-person logins`);
      for (const l of r.logins) lines.push(`  ${l.login} ${l.holder} for ${l.incidentId} ${l.active ? `until ${humanTime(l.expiresAt)}` : `expired ${humanTime(l.expiresAt)}`}, ${l.sessions} session(s)`);
      return lines;
    }
    return r.roles.map((g) => `${g.database} ${g.role} (${g.access}): ${g.outsideBroker ? 'password set outside the broker (run rolemodel apply to expire it)'
      : g.active && g.holder ? `held by ${g.holder} for ${g.incidentId} until ${humanTime(g.expiresAt)}` : 'free'}, ${g.sessions} session(s)`);
  },
};
