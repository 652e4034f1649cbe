// The broker's shared-role actions on PostgreSQL (revoke, status, sweep; the request is in request-password.ts)
// and what every action uses: connections, instances. Cloud-agnostic: whoever calls them has already validated
// the input and verified the requester. Each opens its connections and hands them back through `release` (by
// default closing them); no password is kept in any of them beyond one invocation.
import type pg from 'pg';
import { firefighterRole, type BrokerConfig, type FirefighterAccess } from './protocol/broker-config.js';
import type { RevokeInput } from './protocol/broker-input.js';
import { reusedUnchecked, type BrokerConnector, type BrokerRelease, type BrokerTls } from '../postgres/broker-connection.js';
import { BROKER_ERROR_CODES, BrokerError, fromDatabaseError } from './errors.js';
import { staticInstances, type InstanceLookup, type InstanceNotes } from './instances.js';

export interface BrokerDeps {
  readonly config: BrokerConfig;
  readonly connect: BrokerConnector;
  /** Where a client goes after use (a warm Lambda keeps one open). @default - closed */
  readonly release?: BrokerRelease;
  /** TLS mode the firefighter should use to log in, reported with the password. @default 'verify-full' */
  readonly sslmode?: BrokerTls['mode'];
  /** @default - 40 characters from a CSPRNG (lib/broker/protocol/password.ts) */
  readonly generatePassword?: () => string;
  /** Where the instances are (lib/broker/instances.ts). @default - config.instanceHosts */
  readonly instances?: InstanceLookup;
  /** Collects instances that went away and discovery problems for one invocation's response. */
  readonly instanceNotes?: InstanceNotes;
}

export interface IssuedPassword {
  readonly database: string;
  readonly role: string;
  readonly access: FirefighterAccess;
  readonly username: string;
  readonly password: string;
  readonly expiresAt: string;
  readonly host: string;
  readonly port: number;
  readonly sslmode: BrokerTls['mode'];
  /** The holder replaced by a takeover, when there was one, and their incident. */
  readonly previousHolder?: string;
  readonly previousIncidentId?: string;
  /** Shared roles: `reissued` is a new password for the holder on the same incident, the expiry kept. */
  readonly outcome?: 'issued' | 'reissued';
}

/** An identity proof to record as used, in the same statement as the action it authorised. */
export interface AcceptedProof {
  readonly sha256: string;
  readonly validUntil: Date;
  readonly caller: string;
  readonly action: string;
}

export interface InstanceSessions {
  readonly host: string;
  readonly ended: number;
}

export interface Revoked {
  readonly database: string;
  readonly role: string;
  readonly expiredAt: string;
  readonly sessionsEnded: number;
  readonly instances: readonly InstanceSessions[];
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

const EXPIRE = 'SELECT db_admin.expire_firefighter_password($1, $2, $3, $4) AS expired_at';
// The proof is recorded first (a MATERIALIZED CTE runs before the outer row is projected), in the same statement
// and so the same transaction as the change: a refused change leaves the proof unused, a used proof changes nothing.
const ACCEPT_PROOF = 'SELECT db_admin.accept_identity_proof($1, $2, $3, $4)';
export const onceWith = (sql: string, first: number) =>
  `WITH proof AS MATERIALIZED (SELECT db_admin.accept_identity_proof($${first}, $${first + 1}, $${first + 2}, $${first + 3}) AS accepted) ${sql} FROM proof`;
export const proofParams = (proof: AcceptedProof) => [proof.sha256, proof.validUntil, proof.caller, proof.action];
const END_SESSIONS = 'SELECT db_admin.end_firefighter_sessions($1) AS ended';
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

export function resolveRole(config: BrokerConfig, access: FirefighterAccess, database: string | undefined): { database: string; role: string } {
  const found = firefighterRole(config, access, database);
  if (!found) throw new BrokerError(BROKER_ERROR_CODES.invalidInput, `database ${JSON.stringify(database)} is not managed by this broker; use one of ${config.databases.map((d) => d.name).join(', ')}`);
  return found;
}

export async function withClient<T>(deps: BrokerDeps, host: string, database: string, context: string, secrets: readonly string[], work: (client: pg.Client) => Promise<T>): Promise<T> {
  let firstError: unknown;
  for (let attempt = 1; ; attempt++) {
    let client: pg.Client;
    try {
      client = await deps.connect(host, database);
    } catch (error) {
      throw fromDatabaseError(error, `connecting to ${host}/${database} as ${deps.config.brokerUser} for ${context}`, secrets);
    }
    const retryable = attempt === 1 && reusedUnchecked(client);
    let healthy = true;
    try {
      return await work(client);
    } catch (error) {
      // A refusal by the server (with a SQLSTATE) leaves the connection usable; anything else may not.
      const code = (error as { code?: unknown }).code;
      healthy = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
      // A kept connection reused without a check that turns out dead (a socket error, or the server ending the
      // session): retry once, afresh. Only connection errors, never the work's own. If the first attempt had
      // committed before the answer was lost, a proof-bound repeat is refused as a replay; so whatever the
      // repeat fails with, the first error is reported, and a request then reads what was set (settledRequest).
      const connectionLost = !(error instanceof BrokerError) && (!healthy || /^(57P0[123]|08...)$/.test(String(code)));
      if (retryable && connectionLost) {
        healthy = false;
        firstError = error;
        continue;
      }
      throw fromDatabaseError(firstError ?? error, context, secrets);
    } finally {
      if (deps.release) await deps.release(client, healthy).catch(() => undefined);
      else await client.end().catch(() => undefined);
    }
  }
}

export const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString());

/**
 * Runs `jobs` one after the other and collects what each gave or why it failed. One at a time on purpose: a
 * container then never holds more than one connection (see keepOneConnection), so reserved concurrency no
 * higher than the broker role's connection limit keeps every instance within it, whatever the mix of actions.
 */
async function oneAtATime<T>(jobs: readonly (() => Promise<T>)[]): Promise<{ done: T[]; failed: BrokerError[] }> {
  const done: T[] = [];
  const failed: BrokerError[] = [];
  for (const job of jobs) {
    try {
      done.push(await job());
    } catch (error) {
      failed.push(error as BrokerError);
    }
  }
  return { done, failed };
}

/**
 * Runs `work` on every instance of the cluster, one at a time (see oneAtATime). An instance that failed is looked
 * up again: if it is no longer in the cluster it went away meanwhile and is reported (instanceNotes), not failed;
 * an instance that joined meanwhile is visited too.
 */
export async function onEveryInstance<T>(deps: BrokerDeps, work: (host: string) => Promise<T>): Promise<{ done: T[]; failed: BrokerError[] }> {
  const lookup = deps.instances ?? staticInstances(deps.config);
  const view = await lookup.current();
  deps.instanceNotes?.note(view);
  const failedOn = new Map<string, BrokerError>();
  const visit = async (hosts: readonly string[]) => {
    const results = await oneAtATime(hosts.map((host) => () => work(host).catch((error: unknown) => {
      failedOn.set(host, error as BrokerError);
      throw error;
    })));
    return results.done;
  };
  const done = await visit(view.hosts);
  if (failedOn.size > 0 && deps.instances) {
    const fresh = await lookup.refresh();
    deps.instanceNotes?.note(fresh);
    for (const host of [...failedOn.keys()]) {
      if (fresh.hosts.includes(host)) continue;
      failedOn.delete(host);
      deps.instanceNotes?.gone.add(host);
    }
    done.push(...await visit(fresh.hosts.filter((h) => !view.hosts.includes(h))));
  }
  return { done, failed: [...failedOn.values()] };
}

/** Ends the role's sessions on every instance; throws after trying all of them if any failed. */
export async function endSessionsEverywhere(deps: BrokerDeps, database: string, role: string, done: string): Promise<InstanceSessions[]> {
  const results = await onEveryInstance(deps, (host) =>
    withClient(deps, host, database, `ending the sessions of ${role} on ${host}`, [], async (client) => {
      const { rows } = await client.query<{ ended: number }>(END_SESSIONS, [role]);
      return { host, ended: rows[0]?.ended ?? 0 };
    }));
  if (results.failed.length > 0) {
    const ended = results.done.reduce((n, r) => n + r.ended, 0);
    throw new BrokerError(BROKER_ERROR_CODES.unavailable, `${done}, and ${ended} session(s) were ended, but not on every instance: ${results.failed.map((e) => e.message).join('; ')}; run it again`);
  }
  return results.done;
}

/** Expires the role's password now (new logins fail at once) and ends its sessions on every instance. */
export async function revokePassword(deps: BrokerDeps, input: RevokeInput, requester: string, proof?: AcceptedProof): Promise<Revoked> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  const expiredAt = await withClient(deps, deps.config.writerHost, database, `expiring the password of ${role}`, [], async (client) => {
    const params = [role, requester, input.incidentId, input.reason];
    const { rows } = proof
      ? await client.query<{ expired_at: Date }>(onceWith(EXPIRE, params.length + 1), [...params, ...proofParams(proof)])
      : await client.query<{ expired_at: Date }>(EXPIRE, params);
    return iso(rows[0]?.expired_at);
  });
  const instances = await endSessionsEverywhere(deps, database, role, `the password of ${role} expired at ${expiredAt}`);
  return { database, role, expiredAt, sessionsEnded: instances.reduce((n, i) => n + i.ended, 0), instances };
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
