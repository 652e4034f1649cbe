// What an identity proof is bound to: the signed headers that tie a GetCallerIdentity proof to one broker
// action on one parsed input (lib/broker/protocol/broker-input.ts), so a proof cannot be replayed for another request.
import { createHash } from 'node:crypto';
import type { BrokerAction, BrokerInput, DecideInput, ExtendInput, HistoryInput, RequestsInput, SweepInput } from './broker-input.js';

/**
 * What an identity proof is signed for, as signed headers of the GetCallerIdentity request (the way Vault's IAM
 * auth binds a proof to its server with iam_server_id_header_value): the action, the access level, the incident
 * and a digest of the whole request. A proof signed for `status` is then useless for `request rw`, and one
 * signed for INC-1 useless for INC-2. The CLI computes it from the event it sends, the broker from the event it
 * received; both from the parsed input, so defaults (hours 2, no takeover, the revoke reason) count the same.
 */
export interface ProofBinding {
  readonly action: Exclude<BrokerAction, 'sweep'>;
  /** `ro`, `rw`, or `-` for status. */
  readonly access: string;
  /** The incident id, percent-encoded (headers are ASCII), or `-` for status. */
  readonly incident: string;
  /** sha256 (hex) of the canonical request: every field the action uses. */
  readonly requestSha256: string;
}

export const PROOF_BINDING_HEADERS = {
  action: 'x-firefighter-action',
  access: 'x-firefighter-access',
  incident: 'x-firefighter-incident',
  requestSha256: 'x-firefighter-request-sha256',
} as const satisfies Record<keyof ProofBinding, string>;

export function proofBinding(input: Exclude<BrokerInput, SweepInput>): ProofBinding {
  if (input.action === 'approve' || input.action === 'deny' || input.action === 'history' || input.action === 'extend' || input.action === 'requests') return laterBinding(input);
  const canonical = input.action === 'status'
    ? ['status']
    : [input.action, input.access, input.incidentId, input.reason, input.action === 'request' ? input.hours : null,
        input.action === 'request' ? input.takeover : null, input.database ?? null, ...(input.action === 'revoke' && input.all ? ['all'] : []),
        ...(input.action === 'request' && input.endSessions ? ['end-sessions'] : [])];
  return {
    action: input.action,
    access: input.action === 'status' ? '-' : input.access,
    incident: input.action === 'status' ? '-' : encodeURIComponent(input.incidentId),
    requestSha256: createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex'),
  };
}

/** The binding headers of a proof, as the CLI signs them. */
export function proofBindingHeaders(binding: ProofBinding): Record<string, string> {
  return Object.fromEntries(Object.entries(PROOF_BINDING_HEADERS).map(([key, header]) => [header, binding[key as keyof ProofBinding]]));
}

/** The binding of the per-person actions: every field they use, so a proof serves one decision or one extension. */
function laterBinding(input: ExtendInput | DecideInput | HistoryInput | RequestsInput): ProofBinding {
  const canonical = input.action === 'extend' ? [input.action, input.access, input.incidentId, input.reason, input.hours, input.database ?? null]
    : input.action === 'history' ? [input.action, input.incidentId ?? null, input.since ?? null, input.database ?? null]
      : input.action === 'requests' ? [input.action, input.requestId ?? null, input.database ?? null]
      : [input.action, input.requestId, input.reason, input.database ?? null];
  return {
    action: input.action,
    access: input.action === 'extend' ? input.access : '-',
    incident: input.action === 'extend' || (input.action === 'history' && input.incidentId) ? encodeURIComponent(String(input.incidentId)) : '-',
    requestSha256: createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('hex'),
  };
}
