// How long apply waits, and for whom (issue 19.5): --lock-wait is the engine's lockWait in seconds,
// --wait-for-sessions its waitForSessions. Checked before anything connects; a wait of 0 would be PostgreSQL's
// "wait forever" (lock_timeout = 0), so it is refused with the other bad values.
import type { EngineOptions } from '../../lib/postgres/engine.js';
import { DEFAULT_LOCK_WAIT } from '../../lib/postgres/engine-run.js';
import { UsageError } from './connection.js';
import type { FlagSpecs } from './flags.js';

/** More than an hour is almost certainly milliseconds typed as seconds. */
const MAX_LOCK_WAIT_SECONDS = 3600;

export const WAIT_FLAGS = {
  'lock-wait': { type: 'string' },
  'wait-for-sessions': { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

export const WAIT_USAGE = `  --lock-wait SECONDS  how long to wait for another apply to finish, or for a lock a change needs, before
                   failing and naming who holds it (1 to ${MAX_LOCK_WAIT_SECONDS}, default ${DEFAULT_LOCK_WAIT})
  --wait-for-sessions  when a session of another role holds a lock a role or setting change needs (a login that
                   left ALTER ROLE CURRENT_USER SET ... open), wait for it up to --lock-wait; without it apply
                   fails within about a second, naming that session`;

export interface WaitValues {
  readonly 'lock-wait'?: string | undefined;
  readonly 'wait-for-sessions'?: boolean | undefined;
}

/** The engine options the flags ask for; throws UsageError for a --lock-wait that is not 1 to 3600 whole seconds. */
export function waitOptions(values: WaitValues): Pick<EngineOptions, 'lockWait' | 'waitForSessions'> {
  const raw = values['lock-wait'];
  const waitForSessions = values['wait-for-sessions'] ?? false;
  if (raw === undefined) return { waitForSessions };
  const seconds = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= 1 && seconds <= MAX_LOCK_WAIT_SECONDS)) {
    throw new UsageError(`--lock-wait must be whole seconds from 1 to ${MAX_LOCK_WAIT_SECONDS}, got ${JSON.stringify(raw)}; e.g. --lock-wait 60`);
  }
  return { lockWait: `${seconds}s`, waitForSessions };
}

/** What to add when apply failed on a session it was not asked to wait for. */
export const WAIT_HINT = '  to wait for it instead: run again with --wait-for-sessions (and --lock-wait SECONDS)';
