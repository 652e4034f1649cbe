// What a change's answer says when the answer was lost: the connection dropped (or the client gave up) after the
// change was sent, so the server may have committed it. Instead of "unavailable" for something that happened,
// the broker reads the server's record back on a new connection and reports what is true: done (with a note),
// not done, or, when even the read-back fails, that it may have happened and how to check. Every action that
// changes something goes through here (request, extend, revoke, approve and deny), each with its own read-back.
import type pg from 'pg';
import { BROKER_ERROR_CODES, BrokerError } from '../errors.js';
import { withClient, type BrokerDeps } from './connection.js';

// The broker's clock and the server's may differ: a record up to this much older than the send still counts.
const CLOCK_MARGIN_MS = 60_000;

/** A change on the writer, described for the read-back and the messages. */
export interface SentChange {
  readonly database: string;
  /** What the broker asked, for messages: `the revoke of my_pg_firefighter_ro`. */
  readonly what: string;
  /** The command that shows the state, for when nothing can be read back: `firefighter status`. */
  readonly check: string;
  /** When nothing can be read back: what to do about it, and fields for scripts (a request's revoke command). */
  readonly ifUnknown?: () => { readonly advice: string; readonly details: Readonly<Record<string, string>> };
}

/** A server audit row of `firefighter_history()`, as the read-backs match it. */
export interface HistoryRow {
  readonly at: Date;
  readonly action: string;
  readonly role: string;
  readonly login: string | null;
  readonly actor: string;
  readonly incident_id: string;
  readonly expires_at: Date | null;
  readonly sessions_ended: number | null;
  readonly request_id: string | null;
}

const HISTORY_SINCE = 'SELECT at, action, role, login, actor, incident_id, expires_at, sessions_ended, request_id FROM db_admin.firefighter_history(NULL, $1, 5000)';

/** The audit rows written since `since` (with the clock margin) that `match` accepts, oldest first. */
export async function recordedSince(client: pg.Client, since: Date, match: (row: HistoryRow) => boolean): Promise<HistoryRow[]> {
  const { rows } = await client.query<HistoryRow>(HISTORY_SINCE, [new Date(since.getTime() - CLOCK_MARGIN_MS)]);
  return rows.filter(match);
}

/** The server answered (a refusal, or nothing to revoke): it changed nothing and said so; nothing to read back. */
const answered = (failure: BrokerError) => failure.refusal || failure.code === BROKER_ERROR_CODES.nothingToRevoke;

/** happened: done (`lost`: the failure whose answer was lost, when the value was read back); or not, and why. */
export type Settlement<T> = { readonly happened: true; readonly value: T; readonly lost?: BrokerError } | { readonly happened: false; readonly error: BrokerError };

/**
 * Runs `send`, which calls `sent()` just before the change leaves for the server. When it fails after that
 * without an answer from the server, `readBack` (on a new connection) says what the server committed: a value
 * when the change happened, undefined when it did not. A failure to read back is reported as "may have happened".
 */
export async function sendSettled<T>(deps: BrokerDeps, change: SentChange, send: (sent: () => void) => Promise<T>, readBack: (client: pg.Client, since: Date) => Promise<T | undefined>): Promise<Settlement<T>> {
  const since = new Date();
  let sent = false;
  try {
    return { happened: true, value: await send(() => void (sent = true)) };
  } catch (error) {
    const failure = error as BrokerError;
    if (!(failure instanceof BrokerError) || !sent || answered(failure)) throw failure;
    let found: T | undefined;
    try {
      found = await withClient(deps, deps.config.writerHost, change.database, `reading back ${change.what}`, [], (client) => readBack(client, since));
    } catch (readError) {
      const unknown = change.ifUnknown?.() ?? { advice: `check with \`${change.check}\` before running it again`, details: {} };
      throw new BrokerError(failure.code, `${failure.message}; ${change.what} may have happened before that, and reading it back failed too (${(readError as Error).message}): ${unknown.advice}`,
        { ...failure.details, mayHaveHappened: change.what, ...unknown.details });
    }
    if (found !== undefined) return { happened: true, value: found, lost: failure };
    return { happened: false, error: new BrokerError(failure.code, `${failure.message}; the server has no record of ${change.what} since it was sent, so nothing changed: check with \`${change.check}\` and run it again`, failure.details) };
  }
}

/** sendSettled for a change whose answer is the change itself: the value, with a note when it was read back. */
export async function settledChange<T extends object>(deps: BrokerDeps, change: SentChange & { readonly done: (value: T) => string }, send: (sent: () => void) => Promise<T>, readBack: (client: pg.Client, since: Date) => Promise<T | undefined>): Promise<T & { readonly note?: string }> {
  const settlement = await sendSettled(deps, change, send, readBack);
  if (!settlement.happened) throw settlement.error;
  if (!settlement.lost) return settlement.value;
  return { ...settlement.value, note: `the connection was lost after the server did it (read back on a new connection): ${change.done(settlement.value)}` };
}
