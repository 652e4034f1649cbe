// The read-write requests waiting for a second person (sql/db_admin_approvals_history.sql,
// firefighter_approval_requests), over the broker's databases: the pending ones newest first, or one by id.
import type { RequestsInput } from '../protocol/broker-input.js';
import { iso, once, withClient, type AcceptedProof, type BrokerDeps } from './connection.js';

const REQUESTS = 'SELECT request_id, role, requested_by, incident_id, reason, requested_at, expires_at, state, decided_by, decided_at FROM db_admin.firefighter_approval_requests($1)';

export interface ApprovalRequest {
  readonly database: string;
  readonly requestId: string;
  readonly role: string;
  readonly requestedBy: string;
  readonly incidentId: string;
  readonly reason: string;
  readonly requestedAt: string;
  /** Pending: until it lapses; approved: until the approval must be used. */
  readonly expiresAt: string;
  readonly state: 'pending' | 'approved' | 'denied' | 'used' | 'lapsed';
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
}

export async function approvalRequests(deps: BrokerDeps, input: RequestsInput, proof?: AcceptedProof): Promise<ApprovalRequest[]> {
  const dbs = input.database ? deps.config.databases.filter((d) => d.name === input.database) : deps.config.databases;
  const out: ApprovalRequest[] = [];
  for (const [i, db] of dbs.entries()) {
    type Row = { request_id: string; role: string; requested_by: string; incident_id: string; reason: string; requested_at: Date; expires_at: Date; state: ApprovalRequest['state']; decided_by: string | null; decided_at: Date | null };
    // Reading changes nothing, so the proof is recorded on its own, in the first database read.
    const rows = await withClient(deps, deps.config.writerHost, db.name, `reading the read-write requests of ${db.name}`, [], async (client) =>
      (await once(client, i === 0 ? proof : undefined, () => client.query<Row>(REQUESTS, [input.requestId ?? null]))).rows);
    for (const r of rows) {
      out.push({
        database: db.name, requestId: String(r.request_id), role: r.role, requestedBy: r.requested_by, incidentId: r.incident_id, reason: r.reason,
        requestedAt: iso(r.requested_at), expiresAt: iso(r.expires_at), state: r.state, decidedBy: r.decided_by, decidedAt: r.decided_at ? iso(r.decided_at) : null,
      });
    }
  }
  return out.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
}
