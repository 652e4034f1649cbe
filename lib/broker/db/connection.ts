// What every broker action on PostgreSQL uses: the dependencies, a connection per step (withClient, with one
// retry of a kept connection found dead), every instance one at a time (onEveryInstance), ending a role's
// sessions everywhere, and the identity proof recorded in the same statement as the change. Cloud-agnostic:
// whoever calls them has already validated the input and verified the requester. Each opens its connections
// and hands them back through `release` (by default closing them); no password is kept beyond one invocation.
import type pg from 'pg';
import { firefighterRole, type BrokerConfig, type FirefighterAccess } from '../protocol/broker-config.js';
import { inTransaction } from '../../postgres/connection.js';
import { reusedUnchecked, type BrokerConnector, type BrokerRelease, type BrokerTls } from '../../postgres/broker-connection.js';
import { BROKER_ERROR_CODES, BrokerError, fromDatabaseError } from '../errors.js';
import { staticInstances, type InstanceLookup, type InstanceNotes } from '../instances.js';

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

// The proof is recorded first (a MATERIALIZED CTE runs before the outer row is projected), in the same statement
// and so the same transaction as the change: a refused change leaves the proof unused, a used proof changes nothing.
export const ACCEPT_PROOF = 'SELECT db_admin.accept_identity_proof($1, $2, $3, $4)';
export const onceWith = (sql: string, first: number) =>
  `WITH proof AS MATERIALIZED (SELECT db_admin.accept_identity_proof($${first}, $${first + 1}, $${first + 2}, $${first + 3}) AS accepted) ${sql} FROM proof`;
export const proofParams = (proof: AcceptedProof) => [proof.sha256, proof.validUntil, proof.caller, proof.action];

/** Records the identity proof as used in the same transaction as the change: a refused change leaves it unused. */
export async function once<T>(client: pg.Client, proof: AcceptedProof | undefined, work: () => Promise<T>): Promise<T> {
  if (!proof) return work();
  return inTransaction(client, async () => {
    await client.query(ACCEPT_PROOF, proofParams(proof));
    return work();
  });
}

const END_SESSIONS = 'SELECT db_admin.end_firefighter_sessions($1) AS ended';

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
      // repeat fails with, the first error is reported, and the action then reads back what the server committed (settle.ts).
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
 * container then never holds more than one connection (see keepOneConnection), so the broker role's connection
 * limit counts containers on every instance, whatever the mix of actions; one container too many waits for 53300 to clear.
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

