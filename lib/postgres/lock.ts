// The advisory lock that serialises role-model runs (apply, retire). Any login that can connect may take
// any advisory lock key, so waiting blindly would let an unprivileged session hold every apply hostage for
// the whole lock wait. Instead the lock is only tried; while it is taken, pg_locks says by whom: a session
// of the applying user itself (another apply) is waited for, anyone else fails the run at once, named.
import type pg from 'pg';

/** Serialises appliers: taken in the maintenance database for the whole run, and in each managed database. */
export const ROLE_MODEL_LOCK_KEY = '7180412305917343601';

const POLL_MS = 200;
/** A holder with no pg_stat_activity row yet is a session still starting (or a stale view): looked at again this often. */
const UNKNOWN_HOLDER_POLLS = 10;

export class LockHeldError extends Error {
  override readonly name: string = 'LockHeldError';
}

interface Holder {
  readonly pid: number;
  readonly role: string | null;
  readonly application: string | null;
}

/** pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits), objsubid 1. */
function keyParts(key: string): [string, string] {
  const k = BigInt(key);
  return [String(k >> 32n), String(k & 0xffffffffn)];
}

async function holders(client: pg.Client, key: string): Promise<Holder[]> {
  const [hi, lo] = keyParts(key);
  // pg_stat_activity is read once per transaction and kept: inside one (the per-database lock), a session that
  // connected since would be joined to nothing and named "an unknown role".
  await client.query('SELECT pg_catalog.pg_stat_clear_snapshot()');
  const { rows } = await client.query<Holder>(
    `SELECT l.pid, a.usename::pg_catalog.text AS role, a.application_name AS application
       FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid
      WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted
        AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
        AND l.classid OPERATOR(pg_catalog.=) $1::pg_catalog.oid AND l.objid OPERATOR(pg_catalog.=) $2::pg_catalog.oid
        AND l.objsubid OPERATOR(pg_catalog.=) 1::pg_catalog.int2 AND l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()`,
    [hi, lo],
  );
  return rows;
}

function describeHolder(h: Holder): string {
  return `${h.role ?? 'an unknown role'} (pid ${h.pid}${h.application ? `, application_name ${JSON.stringify(h.application)}` : ''})`;
}

/**
 * Takes the role-model lock on this session (or, with `transaction`, until the current transaction ends).
 * Waits up to `lockWait` (a PostgreSQL interval) while another session of the same user holds it; fails at
 * once, naming the holder, when any other role holds it.
 */
export async function acquireRoleModelLock(client: pg.Client, options: { lockWait: string; transaction: boolean; key?: string }): Promise<void> {
  const key = options.key ?? ROLE_MODEL_LOCK_KEY;
  const tryLock = options.transaction
    ? 'SELECT pg_catalog.pg_try_advisory_xact_lock($1::pg_catalog.int8) AS ok, session_user::pg_catalog.text AS me, pg_catalog.current_database() AS db'
    : 'SELECT pg_catalog.pg_try_advisory_lock($1::pg_catalog.int8) AS ok, session_user::pg_catalog.text AS me, pg_catalog.current_database() AS db';
  let deadline: number | undefined;
  let unknownPolls = 0;
  for (;;) {
    const attempt = (await client.query<{ ok: boolean; me: string; db: string }>(tryLock, [key])).rows[0];
    if (!attempt || attempt.ok) return;
    const held = await holders(client, key);
    const foreign = held.filter((h) => h.role !== attempt.me);
    // pg_locks and pg_stat_activity are two reads: a session that took the lock between them has no row yet.
    if (foreign.length > 0 && foreign.every((h) => h.role === null) && unknownPolls++ < UNKNOWN_HOLDER_POLLS) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS / 4));
      continue;
    }
    if (foreign.length > 0) {
      throw new LockHeldError(`the role-model lock (advisory lock ${key} in database "${attempt.db}") is held by ${foreign.map(describeHolder).join(', ')}, not by ${attempt.me}; `
        + `only the applying user may hold it. End that session (SELECT pg_terminate_backend(${foreign[0]?.pid})) and run again`);
    }
    if (deadline === undefined) {
      const { rows } = await client.query<{ ms: string }>("SELECT (pg_catalog.date_part('epoch', $1::pg_catalog.interval) OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8::pg_catalog.text AS ms", [options.lockWait]);
      deadline = Date.now() + Number(rows[0]?.ms ?? 0);
    }
    if (Date.now() >= deadline) {
      throw new LockHeldError(`another role-model run by ${held.map(describeHolder).join(', ') || attempt.me} held the lock (advisory lock ${key} in database "${attempt.db}") for longer than ${options.lockWait}; run again when it has finished`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function releaseRoleModelLock(client: pg.Client, key = ROLE_MODEL_LOCK_KEY): Promise<void> {
  await client.query('SELECT pg_catalog.pg_advisory_unlock($1::pg_catalog.int8)', [key]);
}
