// The broker's shared-role steps on PostgreSQL: revoke (expire the password, end the sessions everywhere),
// status, and the sweep of expired roles' sessions. The request is in shared-request.ts, extend and the
// takeover's ending of sessions in shared-holder.ts.
import type { FirefighterAccess } from '../protocol/broker-config.js';
import type { RevokeInput } from '../protocol/broker-input.js';
import { BROKER_ERROR_CODES, BrokerError } from '../errors.js';
import { recordedSince, settledChange } from './settle.js';
import { ACCEPT_PROOF, endSessionsEverywhere, iso, onEveryInstance, proofParams, resolveRole, withClient, type AcceptedProof, type BrokerDeps, type InstanceSessions } from './connection.js';

export interface Revoked {
  readonly database: string;
  readonly role: string;
  readonly expiredAt: string;
  readonly sessionsEnded: number;
  readonly instances: readonly InstanceSessions[];
  /** The answer was lost after the server committed: what was read back instead. */
  readonly note?: string;
}

export interface RoleStatus {
  readonly database: string;
  readonly role: string;
  readonly access: FirefighterAccess;
  readonly holder: string | null;
  readonly incidentId: string | null;
  readonly expiresAt: string | null;
  readonly active: boolean;
  readonly sessions: number;
  /** The role's password was set outside the broker (by hand): it logs in, yet nobody holds it. */
  readonly outsideBroker?: boolean;
}

export interface Swept {
  readonly database: string;
  readonly host: string;
  readonly role: string;
  readonly ended: number;
  /** Whose expired sessions these were, for which incident (the audit line and the event name them). */
  readonly holder?: string | null;
  readonly incidentId?: string | null;
  readonly expiresAt?: string | null;
}

// The call in a subquery (OFFSET 0 keeps it there), so its two columns come from one call, after the proof's CTE.
// revoke_firefighter_password checks the caller holds the role for this incident (or `all`), then expires it.
const expireOnce = (proof: boolean) =>
  `${proof ? 'WITH proof AS MATERIALIZED (SELECT db_admin.accept_identity_proof($6, $7, $8, $9) AS accepted) ' : ''}SELECT (r.x).expired_at, (r.x).sessions_ended FROM (SELECT db_admin.revoke_firefighter_password($1, $2, $3, $4, $5) AS x${proof ? ' FROM proof' : ''} OFFSET 0) r`;
// outside_broker: a LOGIN role whose validity is unset, infinite, more than the broker's 2 hours away, or not
// the one the broker recorded with its last issue (see sql/inspect-firefighter-passwords.sql): a hand-set password.
export const STATUS = `SELECT s.role, s.access, s.holder, s.incident_id, s.expires_at, s.active, s.sessions,
  coalesce(r.rolcanlogin AND (r.rolvaliduntil IS NULL OR r.rolvaliduntil OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.timestamptz
    OR (r.rolvaliduntil OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()
        AND (r.rolvaliduntil OPERATOR(pg_catalog.>) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) '2 hours'::pg_catalog.interval)
             OR s.expires_at IS DISTINCT FROM r.rolvaliduntil))), false) AS outside_broker
  FROM db_admin.firefighter_status() s LEFT JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) s.role`;
// One statement per instance, so the window between "expired" and "ended" is one snapshot, not a round trip.
const SWEEP = 'SELECT role, holder, incident_id, expires_at, db_admin.end_firefighter_sessions(role) AS ended FROM db_admin.firefighter_status() WHERE NOT active AND sessions > 0';

/** Expires the role's password now (new logins fail at once) and ends its sessions on every instance. */
export async function revokePassword(deps: BrokerDeps, input: RevokeInput, requester: string, proof?: AcceptedProof): Promise<Revoked> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  // The writer ends the role's sessions before it expires the password (a holder's open transaction cannot make
  // it wait: sql/db_admin_sessions.sql), then every instance ends those that remain.
  const change = { database, what: `the revoke of ${role}`, check: 'firefighter status', done: () => `${role} is revoked` };
  const expired = await settledChange(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, `expiring the password of ${role}`, [], async (client) => {
    const params = [role, requester, input.incidentId, input.reason, input.all ?? false];
    sent();
    const { rows } = await client.query<{ expired_at: Date; sessions_ended: number }>(expireOnce(proof !== undefined), proof ? [...params, ...proofParams(proof)] : params);
    return { expiredAt: iso(rows[0]?.expired_at), ended: rows[0]?.sessions_ended ?? 0 };
  }), async (client, since) => {
    const row = (await recordedSince(client, since, (r) => r.action === 'expire' && r.role === role && r.actor === requester && r.incident_id === input.incidentId)).at(-1);
    return row ? { expiredAt: iso(row.expires_at), ended: row.sessions_ended ?? 0 } : undefined;
  });
  const { expiredAt } = expired;
  const instances = await endSessionsEverywhere(deps, database, role, `the password of ${role} expired at ${expiredAt} and ${expired.ended} session(s) ended on the writer`);
  return { database, role, expiredAt, sessionsEnded: expired.ended + instances.reduce((n, i) => n + i.ended, 0), instances, ...(expired.note ? { note: expired.note } : {}) };
}

/** Who holds which firefighter role until when, with the sessions summed over every instance. */
export async function firefighterStatus(deps: BrokerDeps, proof?: AcceptedProof): Promise<RoleStatus[]> {
  const out: RoleStatus[] = [];
  const first = deps.config.databases[0]?.name;
  // Status changes nothing, so its proof is recorded on its own, in the first database's db_admin.
  if (proof && first) {
    await withClient(deps, deps.config.writerHost, first, 'recording the identity proof', [], async (client) => client.query(ACCEPT_PROOF, proofParams(proof)));
  }
  for (const db of deps.config.databases) {
    const read = (host: string) => withClient(deps, host, db.name, `reading the firefighter status on ${host}`, [], async (client) =>
      (await client.query<{ role: string; access: FirefighterAccess; holder: string | null; incident_id: string | null; expires_at: Date | null; active: boolean; sessions: number; outside_broker: boolean }>(STATUS)).rows);
    // One connection at a time (see oneAtATime); any failure fails the status, as a partial count would mislead.
    const writer = await read(deps.config.writerHost);
    const { done: instances, failed } = await onEveryInstance(deps, read);
    if (failed[0]) throw failed[0];
    for (const row of writer ?? []) {
      out.push({
        database: db.name, role: row.role, access: row.access, holder: row.holder, incidentId: row.incident_id,
        expiresAt: row.expires_at ? iso(row.expires_at) : null, active: row.active, ...(row.outside_broker ? { outsideBroker: true } : {}),
        sessions: instances.reduce((n, rows) => n + (rows.find((r) => r.role === row.role)?.sessions ?? 0), 0),
      });
    }
  }
  return out;
}

/** Ends the sessions of every firefighter role whose password has expired, on every instance. */
export async function sweepExpired(deps: BrokerDeps): Promise<Swept[]> {
  const done: Swept[] = [];
  const failed: BrokerError[] = [];
  for (const db of deps.config.databases) {
    const results = await onEveryInstance(deps, (host) =>
      withClient(deps, host, db.name, `sweeping expired firefighter sessions on ${host}/${db.name}`, [], async (client) =>
        (await client.query<{ role: string; holder: string | null; incident_id: string | null; expires_at: Date | null; ended: number }>(SWEEP)).rows.map((r) => ({
          database: db.name, host, role: r.role, ended: r.ended, holder: r.holder, incidentId: r.incident_id, expiresAt: r.expires_at ? iso(r.expires_at) : null,
        }))));
    done.push(...results.done.flat());
    failed.push(...results.failed);
  }
  if (failed.length > 0) throw new BrokerError(BROKER_ERROR_CODES.unavailable, `the sweep did not reach every instance: ${failed.map((e) => e.message).join('; ')}`);
  return done;
}
