// The holder's workflow for shared firefighter roles (sql/db_admin_holder.sql): extending the holder's expiry
// within the incident's total, and ending the previous holder's sessions after a takeover. The reissue needs no
// code of its own here: requestPassword's db_admin call (shared-request.ts) answers `reissued` for the holder on
// the same incident.
import type { ExtendInput } from '../protocol/broker-input.js';
import { endSessionsEverywhere, iso, onceWith, proofParams, resolveRole, withClient, type AcceptedProof, type BrokerDeps, type InstanceSessions } from './connection.js';
import type { LoginExtended } from './logins.js';
import { recordedSince, settledChange } from './settle.js';

const EXTEND = 'SELECT db_admin.extend_firefighter_password($1, $2, $3, $4, $5) AS expires_at';
const RECORD_ENDED = 'SELECT db_admin.record_takeover_sessions_ended($1, $2, $3, $4) AS previous_holder';

/** Moves the caller's expiry of the shared role up to input.hours from now; the login is the role itself. */
export async function extendPassword(deps: BrokerDeps, input: ExtendInput, requester: string, proof?: AcceptedProof): Promise<LoginExtended> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  const change = { database, what: `the extension of ${role}`, check: 'firefighter status', done: (e: LoginExtended) => `${role} is yours until ${e.expiresAt}` };
  return settledChange(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, `extending the password of ${role}`, [], async (client) => {
    const params = [role, input.hours, requester, input.incidentId, input.reason];
    sent();
    const { rows } = proof
      ? await client.query<{ expires_at: Date }>(onceWith(EXTEND, params.length + 1), [...params, ...proofParams(proof)])
      : await client.query<{ expires_at: Date }>(EXTEND, params);
    return { database, role, login: role, expiresAt: iso(rows[0]?.expires_at) };
  }), async (client, since) => {
    const row = (await recordedSince(client, since, (r) => r.action === 'extend' && r.role === role && r.login === null && r.actor === requester && r.incident_id === input.incidentId)).at(-1);
    return row ? { database, role, login: role, expiresAt: iso(row.expires_at) } : undefined;
  });
}

export interface PreviousSessionsEnded {
  readonly sessionsEnded: number;
  readonly instances: readonly InstanceSessions[];
}

/**
 * After a takeover (before the new holder has the password, so every session of the role is the previous
 * holder's): ends the role's sessions on every instance, then audits how many on the writer.
 */
export async function endPreviousHolderSessions(deps: BrokerDeps, target: { database: string; role: string; writerSessionsEnded?: number }, requester: string, incidentId: string): Promise<PreviousSessionsEnded> {
  const { database, role } = target;
  const instances = await endSessionsEverywhere(deps, database, role, `${role} was taken over`);
  // The writer ended the previous holder's sessions there before the takeover wrote anything (db_admin).
  const sessionsEnded = (target.writerSessionsEnded ?? 0) + instances.reduce((n, i) => n + i.ended, 0);
  await withClient(deps, deps.config.writerHost, database, `recording the sessions of ${role} ended at the takeover`, [], (client) =>
    client.query(RECORD_ENDED, [role, requester, incidentId, sessionsEnded]));
  return { sessionsEnded, instances };
}
