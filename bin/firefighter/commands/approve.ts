// firefighter approve ID: an approver lets a pending read-write request through (deny.ts refuses it).
import { humanTime } from '../time.js';
import { DATABASE, flag, noMoreArgs, optional, UsageError, type Command, type Ok } from './command.js';

export function requestId(command: string, value: string | undefined, helpOf = command): string {
  if (value !== undefined && /^[1-9][0-9]{0,18}$/.test(value)) return value;
  throw new UsageError(`${command} needs the request id (firefighter requests lists them), e.g. firefighter ${command} 42; got ${JSON.stringify(value ?? '')}`, helpOf);
}

export function decision(r: Ok): string[] | undefined {
  if (r.action !== 'approve' && r.action !== 'deny') return undefined;
  return [r.decision === 'approved'
    ? `request ${r.requestId} approved: ${r.requestedBy} may request ${r.role} for ${r.incidentId} until ${humanTime(r.expiresAt)}`
    : `request ${r.requestId} denied: ${r.requestedBy} gets no ${r.role} for ${r.incidentId}`];
}

export function decideCommand(name: 'approve' | 'deny', summary: string): Command {
  return {
    name,
    summary,
    usage: `${name} REQUEST_ID [--reason TEXT]`,
    description: `${summary}. REQUEST_ID is what \`firefighter request rw\` answered with (\`firefighter requests\` lists the pending ones); you cannot decide your own.`,
    broker: true,
    flags: [flag('reason', `for the audit (default: "${name === 'approve' ? 'approved' : 'denied'}")`, 'TEXT'), DATABASE],
    event(args, v) {
      const id = requestId(name, args[0]);
      noMoreArgs(name, args, 1);
      return { action: name, requestId: id, ...optional('reason', v.reason), ...optional('database', v.database) };
    },
    print: decision,
  };
}

export const approve = decideCommand('approve', 'approve a pending read-write request (approvers)');
