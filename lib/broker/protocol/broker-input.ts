// Strict parsing of what reaches the password broker (a Lambda event or the CLI's --direct call). Nothing
// downstream sees an unchecked value; every refusal has a stable code and a message naming the field.
// Values are never echoed in full: a caller who pastes a password into a field must not see it in a log.
import { AUDIT_LIMITS } from '../../model/db-admin.js';
import { invisibleCharacterProblem } from '../../spec/text-rules.js';
import type { FirefighterAccess } from './broker-config.js';

export type BrokerAction = 'request' | 'revoke' | 'status' | 'sweep' | 'extend' | 'approve' | 'deny' | 'history' | 'requests';

/**
 * A signed, unsent `sts:GetCallerIdentity` request (HashiCorp Vault's AWS IAM auth method, adapted): the
 * broker sends it to STS itself and trusts the ARN STS answers with. Its signed headers bind it to one broker.
 */
export interface IdentityProof {
  readonly method: 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RequestInput {
  readonly action: 'request';
  readonly access: FirefighterAccess;
  readonly incidentId: string;
  readonly reason: string;
  /** @default 2 */
  readonly hours: 1 | 2;
  /** @default false */
  readonly takeover: boolean;
  /** Shared roles, with takeover: end the previous holder's sessions too. @default false */
  readonly endSessions?: boolean;
  /** @default - the broker's first database */
  readonly database?: string;
  readonly identity?: IdentityProof;
}

export interface RevokeInput {
  readonly action: 'revoke';
  readonly access: FirefighterAccess;
  readonly incidentId: string;
  /** @default 'revoked by the requester' */
  readonly reason: string;
  /**
   * Every holder's logins of the role (shared: the role whoever holds it), not only what the caller holds for
   * incidentId (audited). @default false
   */
  readonly all?: boolean;
  readonly database?: string;
  readonly identity?: IdentityProof;
}

export interface StatusInput {
  readonly action: 'status';
  readonly identity?: IdentityProof;
}

export interface SweepInput {
  readonly action: 'sweep';
}

/** Per-person logins: moves the caller's login for the incident up to `hours` from now. */
export interface ExtendInput {
  readonly action: 'extend';
  readonly access: FirefighterAccess;
  readonly incidentId: string;
  /** @default 'extended by the holder' */
  readonly reason: string;
  /** @default 2 */
  readonly hours: 1 | 2;
  readonly database?: string;
  readonly identity?: IdentityProof;
}

/** Per-person logins with readWriteApproval: an approver's decision on a pending read-write request. */
export type DecideInput = (DecideFields & { readonly action: 'approve' }) | (DecideFields & { readonly action: 'deny' });

interface DecideFields {
  /** The id `request rw` answered with (digits). */
  readonly requestId: string;
  /** @default 'approved' or 'denied' */
  readonly reason: string;
  readonly database?: string;
  readonly identity?: IdentityProof;
}

/** The audit timeline from db_admin, optionally of one incident and from a moment on. */
export interface HistoryInput {
  readonly action: 'history';
  readonly incidentId?: string;
  /** ISO 8601 timestamp. */
  readonly since?: string;
  readonly database?: string;
  readonly identity?: IdentityProof;
}

/** Per-person logins with readWriteApproval: the pending read-write requests, or one request by id. */
export interface RequestsInput {
  readonly action: 'requests';
  /** One request, whatever its state; without it, the pending ones, newest first. */
  readonly requestId?: string;
  readonly database?: string;
  readonly identity?: IdentityProof;
}

export type BrokerInput = RequestInput | RevokeInput | StatusInput | SweepInput | ExtendInput | DecideInput | HistoryInput | RequestsInput;

export const DEFAULT_REVOKE_REASON = 'revoked by the requester';

export class BrokerInputError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'BrokerInputError';
  }
}

export interface InputRules {
  /** Whole-id test of the incident id (broker-config's incidentIdMatcher). */
  readonly incidentId: (id: string) => boolean;
  /** Human description of the incident id rule, for the refusal message. */
  readonly incidentIdHint: string;
  /** The databases the broker manages; a request may name one of them. */
  readonly databases: readonly string[];
}

const KEYS: Record<BrokerAction, readonly string[]> = {
  request: ['action', 'role', 'incidentId', 'reason', 'hours', 'takeover', 'endSessions', 'database', 'identity'],
  revoke: ['action', 'role', 'incidentId', 'reason', 'database', 'identity', 'all'],
  status: ['action', 'identity'],
  sweep: ['action'],
  extend: ['action', 'role', 'incidentId', 'reason', 'hours', 'database', 'identity'],
  approve: ['action', 'requestId', 'reason', 'database', 'identity'],
  deny: ['action', 'requestId', 'reason', 'database', 'identity'],
  history: ['action', 'incidentId', 'since', 'database', 'identity'],
  requests: ['action', 'requestId', 'database', 'identity'],
};
const MAX_PROOF_HEADERS = 16;
const MAX_HEADER_VALUE = 8192;
const MAX_PROOF_BODY = 1024;
// Control characters forge log lines; bidirectional overrides make a terminal show other text than is stored.
// eslint-disable-next-line no-control-regex -- rejecting them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A short, safe description of a rejected value: its type and size, never its content. */
export function shape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : `the number ${String(value)}`;
  if (typeof value === 'object') return 'an object';
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw new BrokerInputError(field, `must be a string, got ${shape(value)}`);
  if (value.trim().length === 0) throw new BrokerInputError(field, 'must not be blank');
  if (value.length > max) throw new BrokerInputError(field, `is ${value.length} characters; the limit is ${max}`);
  if (LONE_SURROGATE.test(value)) throw new BrokerInputError(field, 'must be well-formed unicode');
  // Invisible and bidirectional characters (Cc, Cf, Zl, Zp) and edge spaces would stand in the audit trail
  // looking like something else; db_admin.check_audit_fields refuses them as well.
  const problem = invisibleCharacterProblem(value);
  if (problem) throw new BrokerInputError(field, problem);
  return value;
}

function access(value: unknown): FirefighterAccess {
  if (value === 'ro' || value === 'rw') return value;
  throw new BrokerInputError('role', `must be "ro" or "rw", got ${typeof value === 'string' && value.length <= 16 && !CONTROL.test(value) ? JSON.stringify(value) : shape(value)}`);
}

function database(value: unknown, rules: InputRules): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && rules.databases.includes(value)) return value;
  throw new BrokerInputError('database', `must be one of ${rules.databases.map((d) => JSON.stringify(d)).join(', ')}, got ${shape(value)}`);
}

function incidentId(value: unknown, rules: InputRules): string {
  const id = text(value, 'incidentId', AUDIT_LIMITS.incidentId);
  if (!rules.incidentId(id)) throw new BrokerInputError('incidentId', `does not match this broker's incident id format (${rules.incidentIdHint}); use your ticket's id`);
  return id;
}

export function parseIdentityProof(value: unknown): IdentityProof | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new BrokerInputError('identity', `must be an object { method, headers, body }, got ${shape(value)}`);
  for (const key of Object.keys(value)) if (!['method', 'headers', 'body'].includes(key)) throw new BrokerInputError(`identity.${key.slice(0, 32)}`, 'unknown key; allowed keys are method, headers, body');
  if (value.method !== 'POST') throw new BrokerInputError('identity.method', `must be "POST", got ${shape(value.method)}`);
  if (typeof value.body !== 'string' || value.body.length > MAX_PROOF_BODY) throw new BrokerInputError('identity.body', `must be a string of at most ${MAX_PROOF_BODY} characters, got ${shape(value.body)}`);
  if (!isObject(value.headers)) throw new BrokerInputError('identity.headers', `must be an object of header name -> value, got ${shape(value.headers)}`);
  const entries = Object.entries(value.headers);
  if (entries.length === 0 || entries.length > MAX_PROOF_HEADERS) throw new BrokerInputError('identity.headers', `must hold 1 to ${MAX_PROOF_HEADERS} headers, got ${entries.length}`);
  const headers: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(name)) throw new BrokerInputError('identity.headers', 'holds a header name that is not 1 to 64 of A-Z a-z 0-9 -');
    if (typeof v !== 'string' || v.length > MAX_HEADER_VALUE || !/^[\x20-\x7e]*$/.test(v)) throw new BrokerInputError(`identity.headers.${name}`, `must be printable ASCII of at most ${MAX_HEADER_VALUE} characters, got ${shape(v)}`);
    if (Object.keys(headers).some((k) => k.toLowerCase() === name.toLowerCase())) throw new BrokerInputError('identity.headers', `names ${name} twice`);
    headers[name] = v;
  }
  return { method: 'POST', headers, body: value.body };
}

/** Parses one broker event; throws BrokerInputError (code INVALID_INPUT) naming the first bad field. */
export function parseBrokerInput(value: unknown, rules: InputRules): BrokerInput {
  if (!isObject(value)) throw new BrokerInputError('(event)', `must be a JSON object with an "action", got ${shape(value)}`);
  if (typeof value.action !== 'string' || !Object.hasOwn(KEYS, value.action)) {
    throw new BrokerInputError('action', `must be one of ${Object.keys(KEYS).join(', ')}, got ${shape(value.action)}`);
  }
  const action = value.action as BrokerAction;
  for (const key of Object.keys(value)) {
    if (!KEYS[action].includes(key)) throw new BrokerInputError(key.length <= 32 && !CONTROL.test(key) ? key : '(a key)', `is not accepted by ${action}; allowed keys are ${KEYS[action].join(', ')}`);
  }
  if (action === 'sweep') return { action };
  const identity = parseIdentityProof(value.identity);
  const withIdentity = identity ? { identity } : {};
  if (action === 'status') return { action, ...withIdentity };
  if (action === 'approve' || action === 'deny' || action === 'history' || action === 'requests') return parseLater(action, value, rules, withIdentity);

  const role = access(value.role);
  const id = incidentId(value.incidentId, rules);
  const db = database(value.database, rules);
  const withDb = db === undefined ? {} : { database: db };
  if (action === 'revoke') {
    const reason = value.reason === undefined ? DEFAULT_REVOKE_REASON : text(value.reason, 'reason', AUDIT_LIMITS.reason);
    const all = value.all === undefined ? false : value.all;
    if (typeof all !== 'boolean') throw new BrokerInputError('all', `must be true or false, got ${shape(all)}`);
    return { action, access: role, incidentId: id, reason, ...(all ? { all } : {}), ...withDb, ...withIdentity };
  }
  const hours = value.hours === undefined ? 2 : value.hours;
  if (hours !== 1 && hours !== 2) throw new BrokerInputError('hours', `must be the number 1 or 2, got ${shape(hours)}`);
  if (action === 'extend') {
    const reason = value.reason === undefined ? 'extended by the holder' : text(value.reason, 'reason', AUDIT_LIMITS.reason);
    return { action, access: role, incidentId: id, reason, hours, ...withDb, ...withIdentity };
  }
  if (action !== 'request') throw new BrokerInputError('action', `is not handled: ${action}`);
  const reason = text(value.reason, 'reason', AUDIT_LIMITS.reason);
  const takeover = value.takeover === undefined ? false : value.takeover;
  if (typeof takeover !== 'boolean') throw new BrokerInputError('takeover', `must be true or false, got ${shape(takeover)}`);
  const endSessions = value.endSessions === undefined ? false : value.endSessions;
  if (typeof endSessions !== 'boolean') throw new BrokerInputError('endSessions', `must be true or false, got ${shape(endSessions)}`);
  if (endSessions && !takeover) throw new BrokerInputError('endSessions', 'ends the previous holder\'s sessions at a takeover; ask for takeover too, or leave it out');
  return { action, access: role, incidentId: id, reason, hours, takeover, ...(endSessions ? { endSessions } : {}), ...withDb, ...withIdentity };
}

const MAX_REQUEST_ID = 2n ** 63n - 1n;

function requestIdOf(requestId: unknown): string {
  const digits = typeof requestId === 'number' && Number.isSafeInteger(requestId) ? String(requestId) : requestId;
  if (typeof digits !== 'string' || !/^[1-9][0-9]{0,18}$/.test(digits) || BigInt(digits) > MAX_REQUEST_ID) {
    throw new BrokerInputError('requestId', `must be the request id that "request rw" answered with (digits), got ${shape(requestId)}`);
  }
  return digits;
}

/** approve, deny, history and requests: the actions of per-person logins that name no role. */
function parseLater(action: 'approve' | 'deny' | 'history' | 'requests', value: Record<string, unknown>, rules: InputRules, withIdentity: { identity?: IdentityProof }): BrokerInput {
  const db = database(value.database, rules);
  const withDb = db === undefined ? {} : { database: db };
  if (action === 'history') {
    const id = value.incidentId === undefined ? undefined : incidentId(value.incidentId, rules);
    let since: string | undefined;
    if (value.since !== undefined) {
      const raw = text(value.since, 'since', 40);
      const at = Date.parse(raw);
      if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(raw) || Number.isNaN(at)) {
        throw new BrokerInputError('since', 'must be an ISO 8601 date or time, e.g. 2026-11-30T01:00:00Z');
      }
      since = new Date(at).toISOString();
    }
    return { action, ...(id !== undefined ? { incidentId: id } : {}), ...(since !== undefined ? { since } : {}), ...withDb, ...withIdentity };
  }
  if (action === 'requests') return { action, ...(value.requestId !== undefined ? { requestId: requestIdOf(value.requestId) } : {}), ...withDb, ...withIdentity };
  const digits = requestIdOf(value.requestId);
  const reason = value.reason === undefined ? (action === 'approve' ? 'approved' : 'denied') : text(value.reason, 'reason', AUDIT_LIMITS.reason);
  return { action, requestId: digits, reason, ...withDb, ...withIdentity };
}
