// firefighter requests [show ID]: the read-write requests waiting for a second person, newest first, with the
// commands that decide them; `show ID` one request whatever its state.
import type { ApprovalRequest } from '../../../lib/broker/db/approvals.js';
import { humanTime } from '../time.js';
import { requestId } from './approve.js';
import { DATABASE, noMoreArgs, optional, UsageError, type Command, type PrintContext } from './command.js';

const decide = (r: ApprovalRequest, context: PrintContext) =>
  `firefighter approve ${r.requestId}${context.reach ? ` ${context.reach}` : ''}   or   firefighter deny ${r.requestId}${context.reach ? ` ${context.reach}` : ''}`;

function show(r: ApprovalRequest, context: PrintContext): string[] {
  const until = r.state === 'pending' ? `pending until ${humanTime(r.expiresAt)}` : r.state === 'approved' ? `approved, usable until ${humanTime(r.expiresAt)}` : r.state;
  return [
    `request ${r.requestId}: ${r.role} on ${r.database} for ${r.requestedBy}, incident ${r.incidentId}`,
    `  asked:   ${humanTime(r.requestedAt)}, "${r.reason}"`,
    `  state:   ${until}${r.decidedBy ? ` (decided by ${r.decidedBy} at ${humanTime(r.decidedAt)})` : ''}`,
    ...(r.state === 'pending' ? [`  decide:  ${decide(r, context)}`] : []),
  ];
}

export const requests: Command = {
  name: 'requests',
  summary: 'list the read-write requests waiting for approval, or show one (approvers)',
  usage: 'requests [show REQUEST_ID]',
  description: `Lists the read-write requests waiting for a second person's approval, newest first, each with the commands
that approve or deny it; \`requests show ID\` shows one request, whatever its state (pending, approved, denied,
used, lapsed). For callers on the broker's approve or rw allowlist.`,
  broker: true,
  flags: [DATABASE],
  event(args, v) {
    if (args[0] === undefined) return { action: 'requests', ...optional('database', v.database) };
    if (args[0] !== 'show') throw new UsageError(`requests takes "show REQUEST_ID" or nothing, got ${JSON.stringify(args[0])}`, 'requests');
    const id = requestId('requests show', args[1], 'requests');
    noMoreArgs('requests', args, 2);
    return { action: 'requests', requestId: id, ...optional('database', v.database) };
  },
  print(r, context) {
    if (r.action !== 'requests') return undefined;
    if (context.event.requestId !== undefined) return r.requests.flatMap((q) => show(q, context));
    if (r.requests.length === 0) return ['no read-write request is waiting for approval'];
    return r.requests.flatMap((q) => [
      `request ${q.requestId}  ${q.role}  ${q.requestedBy}  ${q.incidentId}  asked ${humanTime(q.requestedAt)}, pending until ${humanTime(q.expiresAt)}  "${q.reason}"`,
      `  ${decide(q, context)}`,
    ]);
  },
};
