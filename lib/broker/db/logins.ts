// The broker's per-person steps on PostgreSQL (spec "firefighterLogins": "per-person"), on the db_admin functions
// of sql/db_admin_per_person*.sql: issue (or reissue) a login, extend it, revoke logins, sweep expired logins,
// decide approvals, list logins. Same rules as connection.ts: secrets stay in one invocation.
import type { FirefighterAccess } from '../protocol/broker-config.js';
import type { DecideInput, ExtendInput, RequestInput, RevokeInput } from '../protocol/broker-input.js';
import { generatePassword as defaultGeneratePassword } from '../protocol/password.js';
import { scramSha256VerifierAsync } from '../protocol/scram.js';
import { once, onEveryInstance, resolveRole, withClient, iso, type AcceptedProof, type BrokerDeps, type IssuedPassword } from './connection.js';
import { BROKER_ERROR_CODES, BrokerError } from '../errors.js';
import { recordedSince, sendSettled, settledChange } from './settle.js';

const ISSUE = 'SELECT outcome, login, expires_at, request_id FROM db_admin.issue_firefighter_login($1, $2, $3, $4, $5, $6)';
const EXTEND = 'SELECT login, expires_at FROM db_admin.extend_firefighter_login($1, $2, $3, $4, $5)';
const REVOKE = 'SELECT login, holder, incident_id, sessions_ended FROM db_admin.revoke_firefighter_logins($1, $2, $3, $4, $5)';
const EXPIRED_LOGINS = 'SELECT login FROM db_admin.firefighter_logins() WHERE NOT active';
const END_NAMED = 'SELECT login, role, ended FROM db_admin.end_login_sessions($1::pg_catalog.name[])';
const DROP_EXPIRED = 'SELECT login, role, dropped, sessions_ended FROM db_admin.drop_expired_firefighter_logins($1, $2)';
const DECIDE = 'SELECT request_id, role, requested_by, incident_id, decision, expires_at FROM db_admin.decide_firefighter_approval($1, $2, $3, $4)';
const REQUEST_BY_ID = 'SELECT request_id, role, requested_by, incident_id, expires_at, state, decided_by, decided_at FROM db_admin.firefighter_approval_requests($1)';
const LOGINS = 'SELECT login, role, requested_by, incident_id, issued_at, expires_at, active, sessions FROM db_admin.firefighter_logins()';

export type LoginIssued = IssuedPassword & { readonly outcome: 'issued' | 'reissued'; readonly requestId?: string };

export interface ApprovalPending {
  readonly outcome: 'pending';
  readonly database: string;
  readonly role: string;
  readonly access: FirefighterAccess;
  readonly requestId: string;
  /** When the pending request lapses unless someone decides it. */
  readonly expiresAt: string;
}

export interface LoginExtended {
  readonly database: string;
  readonly role: string;
  readonly login: string;
  readonly expiresAt: string;
}

export interface EndedLogin {
  readonly database: string;
  readonly role: string;
  readonly login: string;
  /** Sessions ended over every instance. */
  readonly sessionsEnded: number;
  readonly dropped: boolean;
  /** Who held it and for which incident (a revoke; a sweep that ended it). */
  readonly holder?: string;
  readonly incidentId?: string;
  /** A sweep: when it expired. */
  readonly expiresAt?: string;
}

export interface Decision {
  readonly database: string;
  readonly requestId: string;
  readonly role: string;
  readonly requestedBy: string;
  readonly incidentId: string;
  readonly decision: 'approved' | 'denied';
  /** Until when an approval can be used. */
  readonly expiresAt: string;
}

export interface LoginStatus {
  readonly database: string;
  readonly role: string;
  readonly login: string;
  readonly holder: string;
  readonly incidentId: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly active: boolean;
  readonly sessions: number;
}


/**
 * A login for the caller and incident (a new password on the one they hold, if any), or a pending approval. When
 * the answer is lost after the server issued it, the read-back says which login got a password nobody received.
 */
export async function issueLogin(deps: BrokerDeps, input: RequestInput, requester: string, proof?: AcceptedProof): Promise<LoginIssued | ApprovalPending> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  const password = (deps.generatePassword ?? defaultGeneratePassword)();
  const pendingVerifier = scramSha256VerifierAsync(password);
  pendingVerifier.catch(() => undefined);
  const secrets = [password];
  const revoke = `firefighter revoke ${input.access} --incident ${JSON.stringify(input.incidentId)}${input.database ? ` --database ${JSON.stringify(input.database)}` : ''}`;
  const change = { database, what: `the login of ${role} for ${input.incidentId}`, check: 'firefighter status',
    ifUnknown: () => ({ advice: `if \`firefighter status\` shows a login of yours for ${input.incidentId}, nobody received its new password; revoke it with \`${revoke}\``, details: { revokeWith: revoke } }) };
  type Lost = { readonly lostLogin: string; readonly until: string } | ApprovalPending;
  const settlement = await sendSettled<LoginIssued | Lost>(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, `issuing a login of ${role}`, secrets, async (client) => {
    const verifier = await pendingVerifier;
    secrets.push(verifier);
    sent();
    const { rows } = await once(client, proof, () => client.query<{ outcome: 'issued' | 'reissued' | 'pending'; login: string | null; expires_at: Date; request_id: string | null }>(
      ISSUE, [role, verifier, input.hours, requester, input.incidentId, input.reason]));
    const row = rows[0];
    if (!row) throw new BrokerError(BROKER_ERROR_CODES.failure, `db_admin.issue_firefighter_login returned nothing for ${role}`);
    if (row.outcome === 'pending') {
      return { outcome: 'pending', database, role, access: input.access, requestId: String(row.request_id), expiresAt: iso(row.expires_at) };
    }
    return {
      outcome: row.outcome, database, role, access: input.access, username: String(row.login), password, expiresAt: iso(row.expires_at),
      host: deps.config.writerHost, port: deps.config.port, sslmode: deps.sslmode ?? 'verify-full',
      ...(row.request_id !== null ? { requestId: String(row.request_id) } : {}),
    };
  }), async (client, since) => {
    const row = (await recordedSince(client, since, (r) => ['issue', 'reissue', 'approval-request'].includes(r.action) && r.role === role && r.actor === requester && r.incident_id === input.incidentId)).at(-1);
    if (!row) return undefined;
    if (row.action === 'approval-request') return { outcome: 'pending', database, role, access: input.access, requestId: String(row.request_id), expiresAt: iso(row.expires_at) } satisfies ApprovalPending;
    return { lostLogin: String(row.login), until: iso(row.expires_at) };
  });
  if (!settlement.happened) throw settlement.error;
  const value = settlement.value;
  if (!('lostLogin' in value)) return value;
  throw new BrokerError(BROKER_ERROR_CODES.failure, `${settlement.lost?.message ?? 'the answer was lost'}; but ${value.lostLogin} got a new password before that, active until ${value.until}, and nobody received it: revoke it with \`${revoke}\`, then request again`,
    { passwordActiveUntil: value.until, revokeWith: revoke });
}

export async function extendLogin(deps: BrokerDeps, input: ExtendInput, requester: string, proof?: AcceptedProof): Promise<LoginExtended> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  const change = { database, what: `the extension of your login of ${role}`, check: 'firefighter status', done: (e: LoginExtended) => `${e.login} is yours until ${e.expiresAt}` };
  return settledChange(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, `extending a login of ${role}`, [], async (client) => {
    sent();
    const { rows } = await once(client, proof, () => client.query<{ login: string; expires_at: Date }>(EXTEND, [role, input.hours, requester, input.incidentId, input.reason]));
    return { database, role, login: String(rows[0]?.login), expiresAt: iso(rows[0]?.expires_at) };
  }), async (client, since) => {
    const row = (await recordedSince(client, since, (r) => r.action === 'extend' && r.role === role && r.login !== null && r.actor === requester && r.incident_id === input.incidentId)).at(-1);
    return row ? { database, role, login: String(row.login), expiresAt: iso(row.expires_at) } : undefined;
  });
}

/**
 * Ends the sessions of every expired login of `database` on each instance, then (only when every instance
 * answered) drops them on the writer. Returns what it dropped, with sessions summed over the instances.
 * The writer names the expired logins: a reader's copy of db_admin may not show a revoke yet (replica lag),
 * and a login dropped while its reader sessions live would leave them running with nothing left to end them.
 */
async function endAndDrop(deps: BrokerDeps, database: string): Promise<EndedLogin[]> {
  const expired = await withClient(deps, deps.config.writerHost, database, `listing the expired logins in ${database}`, [], async (client) =>
    (await client.query<{ login: string }>(EXPIRED_LOGINS)).rows.map((r) => r.login));
  // Nothing expired (the scheduled sweep's usual answer): no instance to visit, nothing to drop.
  if (expired.length === 0) return [];
  const { done, failed } = await onEveryInstance(deps, (host) =>
    withClient(deps, host, database, `ending the sessions of expired logins on ${host}/${database}`, [], async (client) =>
      (await client.query<{ login: string; role: string; ended: number }>(END_NAMED, [expired])).rows));
  if (failed.length > 0) {
    throw new BrokerError(BROKER_ERROR_CODES.unavailable, `the sessions of expired logins in ${database} were not ended on every instance, so none was dropped: ${failed.map((e) => e.message).join('; ')}; run the sweep again`);
  }
  const ended = new Map<string, number>(expired.map((login) => [login, 0]));
  for (const rows of done) for (const row of rows) ended.set(row.login, (ended.get(row.login) ?? 0) + row.ended);
  return withClient(deps, deps.config.writerHost, database, `dropping expired logins in ${database}`, [], async (client) => {
    // Read before the drop, so the sweep's audit line and event name whose login it ended, for which incident.
    const held = ended.size === 0 ? [] : (await client.query<{ login: string; requested_by: string; incident_id: string; expires_at: Date }>(LOGINS)).rows;
    const { rows } = await client.query<{ login: string; role: string; dropped: boolean; sessions_ended: number }>(DROP_EXPIRED, [[...ended.keys()], [...ended.values()]]);
    return rows.map((r) => {
      const h = held.find((x) => x.login === r.login);
      return { database, role: r.role, login: r.login, sessionsEnded: r.sessions_ended, dropped: r.dropped, ...(h ? { holder: h.requested_by, incidentId: h.incident_id, expiresAt: iso(h.expires_at) } : {}) };
    });
  });
}

/** Expires the caller's logins of the role (every holder's with `all`), ends their sessions and drops them. */
export async function revokeLogins(deps: BrokerDeps, input: RevokeInput, requester: string, proof?: AcceptedProof): Promise<{ logins: EndedLogin[]; note?: string }> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  type Row = { login: string; holder?: string; incident_id: string; sessions_ended: number };
  const change = { database, what: `the revoke of ${input.all ? 'every' : 'your'} login of ${role}`, check: 'firefighter status',
    done: ({ rows }: { rows: Row[] }) => `${rows.map((r) => r.login).join(', ')} ${rows.length === 1 ? 'is' : 'are'} revoked` };
  const { rows: revoked, note } = await settledChange(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, `revoking logins of ${role}`, [], async (client) => {
    sent();
    return { rows: (await once(client, proof, () => client.query<Row>(REVOKE, [role, requester, input.incidentId, input.reason, input.all ?? false]))).rows };
  }), async (client, since) => {
    // Filed under each login's incident (with --all, not necessarily the caller's).
    const rows = await recordedSince(client, since, (r) => r.action === 'revoke' && r.role === role && r.actor === requester && r.login !== null && (input.all === true || r.incident_id === input.incidentId));
    return rows.length === 0 ? undefined : { rows: rows.map((r) => ({ login: String(r.login), ...(input.all ? {} : { holder: requester }), incident_id: r.incident_id, sessions_ended: r.sessions_ended ?? 0 })) };
  });
  const dropped = await endAndDrop(deps, database).catch((error: BrokerError) => {
    throw new BrokerError(error.code, `${revoked.length} login(s) expired, but: ${error.message}`);
  });
  const logins = revoked.map((r) => {
    const d = dropped.find((x) => x.login === r.login);
    // The writer's sessions ended at the revoke itself, before the login expired; the rest before the drop.
    const holder = r.holder ?? d?.holder;
    return { database, role, login: r.login, ...(holder !== undefined ? { holder } : {}), incidentId: r.incident_id, sessionsEnded: r.sessions_ended + (d?.sessionsEnded ?? 0), dropped: d?.dropped ?? false };
  });
  return { logins, ...(note ? { note } : {}) };
}

/** The sweep for per-person logins: in every database, end the sessions of expired logins and drop them. */
export async function sweepLogins(deps: BrokerDeps): Promise<EndedLogin[]> {
  const out: EndedLogin[] = [];
  // One database at a time: each step holds at most one connection per instance.
  for (const db of deps.config.databases) out.push(...await endAndDrop(deps, db.name));
  return out;
}

export async function decideApproval(deps: BrokerDeps, input: DecideInput, approver: string, proof?: AcceptedProof): Promise<Decision & { readonly note?: string }> {
  const database = input.database ?? deps.config.databases[0]?.name ?? '';
  const decision = input.action === 'approve' ? 'approved' : 'denied';
  const change = { database, what: `the decision on request ${input.requestId}`, check: `firefighter requests show ${input.requestId}`, done: (d: Decision) => `request ${d.requestId} is ${d.decision}` };
  type Row = { request_id: string; role: string; requested_by: string; incident_id: string; decision: 'approved' | 'denied'; expires_at: Date };
  const answer = (r: Row): Decision => ({ database, requestId: String(r.request_id), role: r.role, requestedBy: r.requested_by, incidentId: r.incident_id, decision: r.decision, expiresAt: iso(r.expires_at) });
  return settledChange(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, `deciding approval request ${input.requestId}`, [], async (client) => {
    sent();
    const { rows } = await once(client, proof, () => client.query<Row>(DECIDE, [input.requestId, approver, input.action === 'approve', input.reason]));
    const r = rows[0];
    if (!r) throw new BrokerError(BROKER_ERROR_CODES.failure, `db_admin.decide_firefighter_approval returned nothing for ${input.requestId}`);
    return answer(r);
  }), async (client, since) => {
    type Request = { request_id: string; role: string; requested_by: string; incident_id: string; expires_at: Date; state: string; decided_by: string | null; decided_at: Date | null };
    const r = (await client.query<Request>(REQUEST_BY_ID, [input.requestId])).rows[0];
    // Decided by this approver, this way, since it was sent (a decision is final: it cannot be someone else's later).
    const ours = r && r.decided_by === approver && r.decided_at !== null && r.decided_at.getTime() >= since.getTime() - 60_000
      && (r.state === decision || (decision === 'approved' && r.state === 'used'));
    return ours ? answer({ ...r, decision }) : undefined;
  });
}

/** Every login not dropped yet, with sessions summed over the instances. */
export async function loginStatus(deps: BrokerDeps): Promise<LoginStatus[]> {
  const out: LoginStatus[] = [];
  for (const db of deps.config.databases) {
    const read = (host: string) => withClient(deps, host, db.name, `reading the logins on ${host}`, [], async (client) =>
      (await client.query<{ login: string; role: string; requested_by: string; incident_id: string; issued_at: Date; expires_at: Date; active: boolean; sessions: number }>(LOGINS)).rows);
    const writer = await read(deps.config.writerHost);
    const { done: instances, failed } = await onEveryInstance(deps, read);
    if (failed[0]) throw failed[0];
    for (const row of writer) {
      out.push({
        database: db.name, role: row.role, login: row.login, holder: row.requested_by, incidentId: row.incident_id,
        issuedAt: iso(row.issued_at), expiresAt: iso(row.expires_at), active: row.active,
        sessions: instances.reduce((n, rows) => n + (rows.find((r) => r.login === row.login)?.sessions ?? 0), 0),
      });
    }
  }
  return out;
}
