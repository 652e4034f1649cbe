// firefighter request ro|rw: a password (or a login of one's own) for the incident, with what it takes to use it.
import type { RequestResponse } from '../../../lib/broker/service.js';
import { connectionLines } from '../connection-lines.js';
import { humanTime } from '../time.js';
import { DATABASE, flag, hours, incident, INCIDENT, noMoreArgs, optional, role, UsageError, type Command, type PrintContext } from './command.js';

export const revokeLine = (r: Pick<RequestResponse, 'access' | 'database'>, context: PrintContext): string =>
  `firefighter revoke ${r.access} --incident ${JSON.stringify(String(context.event.incidentId ?? ''))}${context.event.database !== undefined ? ` --database ${JSON.stringify(r.database)}` : ''}${context.reach ? ` ${context.reach}` : ''}`;

function print(r: RequestResponse, context: PrintContext): string[] {
  const who = r.username === r.role ? r.role : `${r.username} (login of ${r.role})`;
  const ended = r.previousSessionsEnded !== undefined ? `; ${r.previousSessionsEnded} of their session(s) ended` : '';
  const reissued = r.username === r.role ? ' (a new password; you hold it for this incident, expiry unchanged)' : ' (a new password on the login you hold for this incident)';
  const lines = [`${who} on ${r.host}:${r.port}/${r.database} until ${humanTime(r.expiresAt)}${r.takeover ? ` (taken over from ${r.previousHolder ?? 'the previous holder'}${ended})` : ''}${r.outcome === 'reissued' ? reissued : ''}`];
  if (r.warning) lines.push(`warning: ${r.warning}`);
  if (r.secretArn) lines.push(`password written to ${r.secretArn}`);
  else if (!context.connect) {
    lines.push(`password: ${r.password ?? ''}   (secret: shown once; keep it out of chat, tickets and shell history)`);
    lines.push(...connectionLines(r, context.sslrootcert));
  }
  if (!context.connect) lines.push(`end it:   ${revokeLine(r, context)}`);
  return lines;
}

export const request: Command = {
  name: 'request',
  summary: 'get a firefighter password (ro or rw) for an incident, for 1 or 2 hours',
  usage: 'request ro|rw --incident ID --reason TEXT [--hours 1|2] [--takeover [--end-sessions]] [--connect [--tunnel]]',
  description: `Issues a fresh password for the read-only (ro) or read-write (rw) firefighter role, or, with per-person
logins, a login of your own, valid for --hours on the server's clock. Prints the password once with a psql line
and a connection URI that keep it out of argv; --connect starts psql with it instead and prints nothing secret.
Asking again for the same incident gives a new password on what you hold, the expiry unchanged.
Read-write may need a second person's approval: the answer then says which command the approver runs (exit 3).`,
  broker: true,
  flags: [
    INCIDENT,
    flag('reason', 'why, for the audit, e.g. "orders stuck in created"', 'TEXT'),
    flag('hours', '1 or 2 (default 2)', 'N'),
    flag('takeover', 'take the shared role from its current holder (audited)'),
    flag('end-sessions', 'with --takeover: end the previous holder\'s sessions too'),
    DATABASE,
    flag('connect', 'start psql logged in with it (password in psql\'s environment, TLS required)'),
    flag('tunnel', 'with --connect: reach the writer through the stack\'s SSM access host (needs the AWS CLI and session-manager-plugin)'),
    flag('access-host', 'with --tunnel: the access host\'s instance id (default: from --cluster\'s SSM parameter)', 'ID'),
  ],
  event(args, v) {
    const access = role('request', args[0]);
    noMoreArgs('request', args, 1);
    const incidentId = incident('request', v.incident);
    if (typeof v.reason !== 'string') throw new UsageError('--reason is required, e.g. --reason "orders stuck in created"', 'request');
    if (v['end-sessions'] && !v.takeover) throw new UsageError('--end-sessions belongs to request --takeover: it ends the previous holder\'s sessions', 'request');
    return {
      action: 'request', role: access, incidentId, reason: v.reason, ...optional('database', v.database),
      hours: hours('request', v.hours), takeover: v.takeover === true, ...(v['end-sessions'] ? { endSessions: true } : {}),
    };
  },
  print: (r, context) => (r.action === 'request' ? print(r, context) : undefined),
};
