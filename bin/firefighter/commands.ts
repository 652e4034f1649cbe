// The firefighter CLI's per-person and maintenance subcommands: extend, approve, deny, history, sweep, and
// `revoke --all`. Kept apart from bin/firefighter.ts so its flags (TLS, cluster, tunnel) and these grow
// without stepping on each other. Each turns parsed flags into one broker event.

export const EXTRA_COMMANDS = ['extend', 'approve', 'deny', 'history', 'sweep'] as const;
export type ExtraCommand = (typeof EXTRA_COMMANDS)[number];

export const EXTRA_USAGE = `       firefighter extend ro|rw --incident ID [--hours 1|2] [--reason TEXT]     (the holder; within the incident's total)
       firefighter approve|deny REQUEST_ID [--reason TEXT]                      (approvers)
       firefighter history [--incident ID] [--since 2026-11-30T01:00:00Z]
       firefighter sweep
       firefighter revoke ro|rw --incident ID --all                             (every holder's logins, audited)`;

export const EXTRA_OPTIONS = { all: { type: 'boolean' }, since: { type: 'string' } } as const;

export function isExtraCommand(command: string | undefined): command is ExtraCommand {
  return (EXTRA_COMMANDS as readonly string[]).includes(command ?? '');
}

export interface ExtraValues {
  readonly incident?: string;
  readonly reason?: string;
  readonly hours?: string;
  readonly database?: string;
  readonly since?: string;
  readonly takeover?: boolean;
  readonly connect?: boolean;
  readonly all?: boolean;
}

/** The broker event of an extra command, or a usage message (a string) naming what is wrong. */
export function extraEvent(command: ExtraCommand, args: readonly string[], v: ExtraValues): Record<string, unknown> | string {
  const db = v.database !== undefined ? { database: v.database } : {};
  const unexpected = (from: number) => (args.length > from ? `unexpected argument ${JSON.stringify(args[from])}` : undefined);
  if (v.takeover || v.connect || v.all) return `--takeover, --connect and --all do not belong to ${command}`;
  if (command !== 'extend' && v.hours !== undefined) return `--hours belongs to request and extend, not ${command}`;
  if (command !== 'history' && v.since !== undefined) return '--since belongs to history';
  switch (command) {
    case 'sweep':
      if (v.incident !== undefined || v.reason !== undefined || v.database !== undefined) return 'sweep takes no options: it sweeps every database of the broker';
      return unexpected(0) ?? { action: 'sweep' };
    case 'history':
      if (v.reason !== undefined) return '--reason does not belong to history';
      return unexpected(0) ?? { action: 'history', ...(v.incident !== undefined ? { incidentId: v.incident } : {}), ...(v.since !== undefined ? { since: v.since } : {}), ...db };
    case 'approve':
    case 'deny': {
      const id = args[0];
      if (id === undefined || !/^[1-9][0-9]{0,18}$/.test(id)) return `${command} needs the request id that "request rw" answered with, e.g. firefighter ${command} 42; got ${JSON.stringify(id ?? '')}`;
      if (v.incident !== undefined) return `--incident does not belong to ${command}: the request names its incident`;
      return unexpected(1) ?? { action: command, requestId: id, ...(v.reason !== undefined ? { reason: v.reason } : {}), ...db };
    }
    case 'extend': {
      const role = args[0];
      if (role !== 'ro' && role !== 'rw') return `extend needs the role: ro or rw, got ${JSON.stringify(role ?? '')}`;
      if (v.incident === undefined) return '--incident is required, e.g. --incident INC-4711';
      if (v.hours !== undefined && v.hours !== '1' && v.hours !== '2') return `--hours must be 1 or 2, got ${JSON.stringify(v.hours.slice(0, 20))}`;
      return unexpected(1) ?? { action: 'extend', role, incidentId: v.incident, hours: v.hours === '1' ? 1 : 2, ...(v.reason !== undefined ? { reason: v.reason } : {}), ...db };
    }
  }
}
