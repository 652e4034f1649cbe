// The firefighter history (sql/db_admin_approvals_history.sql), in either mode: every issue, extend, revoke,
// takeover and decision of one incident or since a time, over the broker's databases, oldest first.
import type { HistoryInput } from '../protocol/broker-input.js';
import { iso, once, withClient, type AcceptedProof, type BrokerDeps } from './connection.js';

const HISTORY = 'SELECT at, action, role, login, actor, incident_id, reason, expires_at, previous_holder, sessions_ended, request_id FROM db_admin.firefighter_history($1, $2, $3)';

export interface HistoryEntry {
  readonly database: string;
  readonly at: string;
  readonly action: string;
  readonly role: string;
  readonly login: string | null;
  readonly actor: string;
  readonly incidentId: string;
  readonly reason: string | null;
  readonly expiresAt: string | null;
  readonly previousHolder: string | null;
  readonly sessionsEnded: number | null;
  readonly requestId: string | null;
}

export async function history(deps: BrokerDeps, input: HistoryInput, proof?: AcceptedProof): Promise<HistoryEntry[]> {
  const dbs = input.database ? deps.config.databases.filter((d) => d.name === input.database) : deps.config.databases;
  const out: HistoryEntry[] = [];
  for (const [i, db] of dbs.entries()) {
    // Reading changes nothing, so the proof is recorded on its own, in the first database read.
    const rows = await withClient(deps, deps.config.writerHost, db.name, `reading the history of ${db.name}`, [], async (client) =>
      (await once(client, i === 0 ? proof : undefined, () => client.query<{ at: Date; action: string; role: string; login: string | null; actor: string; incident_id: string; reason: string | null; expires_at: Date | null; previous_holder: string | null; sessions_ended: number | null; request_id: string | null }>(
        HISTORY, [input.incidentId ?? null, input.since ?? null, 1000]))).rows);
    for (const r of rows) {
      out.push({
        database: db.name, at: iso(r.at), action: r.action, role: r.role, login: r.login, actor: r.actor, incidentId: r.incident_id, reason: r.reason,
        expiresAt: r.expires_at ? iso(r.expires_at) : null, previousHolder: r.previous_holder, sessionsEnded: r.sessions_ended,
        requestId: r.request_id === null ? null : String(r.request_id),
      });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
