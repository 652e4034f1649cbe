// firefighter sweep: ends the sessions of expired roles and logins (the scheduler runs it every few minutes).
import { noMoreArgs, type Command } from './command.js';

export const sweep: Command = {
  name: 'sweep',
  summary: 'end the sessions of expired roles and logins now (the schedule does it too)',
  usage: 'sweep',
  description: 'Ends every session of a firefighter role or login whose password has expired, on every instance of every database, and drops expired per-person logins.',
  broker: true,
  flags: [],
  event(args) {
    noMoreArgs('sweep', args, 0);
    return { action: 'sweep' };
  },
  print(r) {
    if (r.action !== 'sweep') return undefined;
    if (!r.logins) return [`${r.sessionsEnded} session(s) of expired roles ended`];
    return [`${r.sessionsEnded} session(s) of expired roles and logins ended; ${r.logins.filter((l) => l.dropped).length} expired login(s) dropped`];
  },
};
