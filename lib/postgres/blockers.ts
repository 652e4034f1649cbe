// Who blocks a statement of apply (issue 19.5). A managed login that leaves `ALTER ROLE CURRENT_USER SET ...` open
// holds a row lock on its pg_authid / pg_db_role_setting row; apply's ALTER ROLE or COMMENT ON ROLE then waits
// on it. The advisory lock names its holder (lock.ts); row locks show up only as the waiter's ungranted lock, so
// a second session looks at pg_blocking_pids() while the statement waits. A session of another role fails the
// run within about a second, named (or, when the caller asked to wait, is named when the wait runs out); the
// blocker's query text is never read: it may hold a password.
import type pg from 'pg';
import { connect, type ConnectionOptions } from './connection.js';
import { LockHeldError } from './lock.js';

/** How long a statement may wait before apply looks at who blocks it. */
const LOOK_AFTER_MS = 1000;

export interface BlockerPolicy {
  readonly connection: ConnectionOptions;
  /** Wait for a blocking session of another role (up to lock_timeout) instead of failing at once. @default false */
  readonly waitForSessions?: boolean;
}

/** A session of another role blocked a change and apply was not asked to wait (waitForSessions): it did not. */
export class SessionBlockedError extends LockHeldError {
  override readonly name: string = 'SessionBlockedError';
}

interface Blocker {
  readonly pid: number;
  readonly role: string | null;
  readonly application: string | null;
  readonly state: string | null;
  readonly since: string | null;
  readonly holds: string | null;
  readonly me: string;
}

const BLOCKERS = `SELECT a.pid, a.usename::pg_catalog.text AS role, a.application_name AS application, a.state,
    pg_catalog.to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since, session_user::pg_catalog.text AS me,
    (SELECT pg_catalog.string_agg(DISTINCT l.mode OPERATOR(pg_catalog.||) ' on ' OPERATOR(pg_catalog.||) CASE
        WHEN l.database OPERATOR(pg_catalog.=) 0::pg_catalog.oid OR l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
        THEN l.relation::pg_catalog.regclass::pg_catalog.text ELSE 'relation ' OPERATOR(pg_catalog.||) l.relation::pg_catalog.text END, ', ')
       FROM pg_catalog.pg_locks l WHERE l.pid OPERATOR(pg_catalog.=) a.pid AND l.granted AND l.relation IS NOT NULL) AS holds
  FROM pg_catalog.pg_stat_activity a WHERE a.pid OPERATOR(pg_catalog.=) ANY (pg_catalog.pg_blocking_pids($1::pg_catalog.int4))`;

function describe(b: Blocker): string {
  const what = b.holds ? `holding ${b.holds}` : 'holding a lock apply needs';
  return `${b.role ?? 'an unknown role'} (pid ${b.pid}${b.application ? `, application_name ${JSON.stringify(b.application)}` : ''}, ${b.state ?? 'state unknown'}${b.since ? ` since ${b.since}` : ''}) ${what}`;
}

/** Runs one statement on `client`; if it waits on a lock for more than a second, names who holds it. */
export async function watchedQuery(client: pg.Client, sql: string, policy: BlockerPolicy | undefined): Promise<void> {
  if (!policy) {
    await client.query(sql);
    return;
  }
  const pid = (client as unknown as { processID: number | null }).processID;
  let blockers: Blocker[] = [];
  let refused: SessionBlockedError | undefined;
  let side: pg.Client | undefined;
  let done = false;
  const look = async () => {
    try {
      side = await connect(policy.connection, undefined);
      if (done) return;
      blockers = (await side.query<Blocker>(BLOCKERS, [pid])).rows;
      const others = blockers.filter((b) => b.role !== b.me);
      if (others.length > 0 && !policy.waitForSessions && !done) {
        refused = new SessionBlockedError(`apply is blocked by ${others.map(describe).join(', ')}; it did not wait: end that transaction (or SELECT pg_terminate_backend(${others[0]?.pid})) and run again, or ask apply to wait for it`);
        // Only while those sessions still block it: the statement may have finished meanwhile.
        await side.query(`SELECT pg_catalog.pg_cancel_backend($1::pg_catalog.int4)
          WHERE pg_catalog.pg_blocking_pids($1::pg_catalog.int4) OPERATOR(pg_catalog.&&) $2::pg_catalog.int4[]`, [pid, others.map((b) => b.pid)]);
      }
    } catch {
      // Naming the blocker is a courtesy: the statement's own outcome decides.
    }
  };
  let watching: Promise<void> | undefined;
  const timer = setTimeout(() => void (watching = look()), LOOK_AFTER_MS);
  try {
    await client.query(sql);
  } catch (error) {
    await watching;
    if (refused) throw refused;
    const code = (error as { code?: unknown }).code;
    if (code === '55P03' && blockers.length > 0) {
      throw new LockHeldError(`${(error as Error).message}: apply waited for ${blockers.map(describe).join(', ')}`, { cause: error });
    }
    throw error;
  } finally {
    done = true;
    clearTimeout(timer);
    await watching;
    await side?.end().catch(() => undefined);
  }
}
