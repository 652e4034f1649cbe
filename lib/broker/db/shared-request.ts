// The request of a shared firefighter role's password: a fresh password, its SCRAM verifier derived while the
// connection is set up, one db_admin round trip (request_firefighter_password: issue, reissue or takeover), and,
// when the answer was lost, what the server says was set (settle.ts).
import type { RequestInput } from '../protocol/broker-input.js';
import { generatePassword as defaultGeneratePassword } from '../protocol/password.js';
import { scramSha256VerifierAsync } from '../protocol/scram.js';
import { iso, proofParams, resolveRole, withClient, type AcceptedProof, type BrokerDeps, type IssuedPassword } from './connection.js';
import { BROKER_ERROR_CODES, BrokerError } from '../errors.js';
import { STATUS } from './shared-roles.js';
import { recordedSince, sendSettled, type Settlement } from './settle.js';

// request_firefighter_password (sql/db_admin_holder.sql): set_firefighter_password plus the holder's reissue,
// saying which it did and whom a takeover replaced, in one round trip.
const REQUEST_CALL = 'db_admin.request_firefighter_password($1, $2, $3, $4, $5, $6, $7, $8)';
const REQUEST = `SELECT outcome, expires_at, previous_holder, previous_incident_id, sessions_ended FROM ${REQUEST_CALL}`;
// With a proof: the call sits in a subquery over the proof's CTE (OFFSET 0 keeps it there), so the proof is
// recorded first and the function runs once.
const REQUEST_ONCE = `WITH proof AS MATERIALIZED (SELECT db_admin.accept_identity_proof($9, $10, $11, $12) AS accepted)
  SELECT (r.x).outcome, (r.x).expires_at, (r.x).previous_holder, (r.x).previous_incident_id, (r.x).sessions_ended FROM (SELECT ${REQUEST_CALL} AS x FROM proof OFFSET 0) r`;

/**
 * The held-role refusal, with the holder and expiry as fields as well as in the message. When the holder is the
 * caller (the same role asked for another incident), it says so: "ask the holder" would send them to themselves.
 */
function heldDetails(error: BrokerError, requester: string, input: RequestInput): BrokerError {
  if (error.code !== BROKER_ERROR_CODES.roleHeld) return error;
  const m = /^(.+) is held by (.+) for incident (.+) until (\S+)$/.exec(error.message);
  if (!m) return error;
  const [, role = '', holder = '', incidentId = '', until = ''] = m;
  const details = { holder, holderIncidentId: incidentId, heldUntil: until };
  if (holder === requester) {
    const revoke = revokeCommand({ ...input, incidentId });
    return new BrokerError(error.code, `you already hold ${role} for incident ${incidentId} until ${until}; ask again with --incident ${JSON.stringify(incidentId)} for a new password on it, or end it with \`${revoke}\` and ask again`, details);
  }
  return new BrokerError(error.code, `${error.message}; ask the holder, or request again with takeover (audited)`, details);
}

/** Issues a fresh password for the firefighter role of `input.access`, valid for input.hours on the server clock. */
/** writerSessionsEnded: a takeover with endSessions, the previous holder's sessions the writer ended before it wrote. */
export type SharedIssued = IssuedPassword & { readonly writerSessionsEnded?: number };

export async function requestPassword(deps: BrokerDeps, input: RequestInput, requester: string, proof?: AcceptedProof): Promise<SharedIssued> {
  const { database, role } = resolveRole(deps.config, input.access, input.database);
  const password = (deps.generatePassword ?? defaultGeneratePassword)();
  // Derived on the thread pool while the connection is set up: the two are the slow parts of a request.
  const pendingVerifier = scramSha256VerifierAsync(password);
  pendingVerifier.catch(() => undefined);
  const context = `setting the password of ${role}`;
  // Read by the error scrubber only when something fails, by which time the verifier is in it.
  const secrets = [password];
  const revoke = revokeCommand(input);
  const latest = () => new Date(Math.ceil((Date.now() + input.hours * 3_600_000) / 1000) * 1000).toISOString();
  const change = { database, what: `the new password of ${role}`, check: 'firefighter status',
    ifUnknown: () => {
      const until = latest();
      return { advice: `if \`firefighter status\` shows it held by you for ${input.incidentId}, it is active until ${until} at the latest and nobody received it; revoke it with \`${revoke}\``, details: { passwordMayBeActiveUntil: until, revokeWith: revoke } };
    } };
  let settlement: Settlement<SharedIssued | { readonly lostUntil: string }>;
  try {
    settlement = await sendSettled<SharedIssued | { readonly lostUntil: string }>(deps, change, (sent) => withClient(deps, deps.config.writerHost, database, context, secrets, async (client) => {
      const verifier = await pendingVerifier;
      secrets.push(verifier);
      // A takeover that ends sessions ends the writer's first, in the same transaction (sql/db_admin_sessions.sql).
      const params = [role, verifier, input.hours, requester, input.incidentId, input.reason, input.takeover, input.takeover && input.endSessions === true];
      sent();
      type Row = { outcome: 'issued' | 'reissued' | 'takeover'; expires_at: Date; previous_holder: string | null; previous_incident_id: string | null; sessions_ended: number | null };
      const { rows } = proof
        ? await client.query<Row>(REQUEST_ONCE, [...params, ...proofParams(proof)])
        : await client.query<Row>(REQUEST, params);
      const row = rows[0];
      return {
        database, role, access: input.access, username: role, password,
        expiresAt: iso(row?.expires_at),
        host: deps.config.writerHost, port: deps.config.port, sslmode: deps.sslmode ?? 'verify-full',
        outcome: row?.outcome === 'reissued' ? 'reissued' : 'issued',
        ...(row?.outcome === 'takeover' && row.previous_holder !== null ? { previousHolder: row.previous_holder, previousIncidentId: row.previous_incident_id ?? '', writerSessionsEnded: row.sessions_ended ?? 0 } : {}),
      };
    }), async (client, since) => {
      const row = (await client.query<{ role: string; holder: string | null; incident_id: string | null; expires_at: Date | null; active: boolean }>(STATUS)).rows.find((r) => r.role === role);
      const expires = row?.expires_at ? new Date(row.expires_at) : undefined;
      // Ours when it names this requester and incident and expires within this request's window (a minute
      // either way for the clocks of the broker and the server). A reissue keeps the expiry: the audit says.
      const inWindow = expires !== undefined && expires.getTime() >= since.getTime() + input.hours * 3_600_000 - 60_000 && expires.getTime() <= Date.parse(latest()) + 60_000;
      const reissued = async () => (await recordedSince(client, since, (r) => r.action === 'reissue' && r.role === role && r.actor === requester && r.incident_id === input.incidentId)).length > 0;
      const ours = row?.active && row.holder === requester && row.incident_id === input.incidentId && expires !== undefined && (inWindow || await reissued());
      return ours && expires ? { lostUntil: expires.toISOString() } : undefined;
    });
  } catch (error) {
    throw heldDetails(error as BrokerError, requester, input);
  }
  if (!settlement.happened) throw settlement.error;
  if (!('lostUntil' in settlement.value)) return settlement.value;
  // Set, but the password never reached anyone: say so, and how to end it.
  const until = settlement.value.lostUntil;
  throw new BrokerError(BROKER_ERROR_CODES.failure, `${settlement.lost?.message ?? `${context} failed`}; but the password of ${role} was set before that and is active until ${until}, and nobody received it: revoke it with \`${revoke}\`, then request again`,
    { passwordActiveUntil: until, revokeWith: revoke });
}

/** The command that revokes a role, for messages. */
export const revokeCommand = (input: Pick<RequestInput, 'access' | 'incidentId' | 'database'>) =>
  `firefighter revoke ${input.access} --incident ${JSON.stringify(input.incidentId)}${input.database ? ` --database ${JSON.stringify(input.database)}` : ''}`;
