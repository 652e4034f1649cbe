// Events that tell the team break-glass access was used: one per broker action (issue, reissue, extension,
// takeover, revoke, approval request and decision, refusal, sweep), built from the audit record, which never
// holds a secret. The shape suits EventBridge PutEvents (Source, DetailType, Detail); eventbridge.ts sends it.
import { EVENT_SOURCE } from './protocol/broker-events.js';

export { EVENT_SOURCE };

export interface BrokerEvent {
  readonly source: typeof EVENT_SOURCE;
  /** e.g. `firefighter issued`, `firefighter pending`, `firefighter refused`. */
  readonly detailType: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

// The audit fields an event carries. Anything else (new fields included) stays out until listed here.
const FIELDS = ['awsRequestId', 'requestId', 'broker', 'cluster', 'caller', 'person', 'action', 'outcome', 'access', 'database', 'role', 'login', 'incidentId', 'reason',
  'hours', 'expiresAt', 'previousHolder', 'previousIncidentId', 'sessionsEnded', 'all', 'logins', 'ended', 'requestedBy', 'code', 'error', 'holder', 'heldUntil', 'pendingUntil',
  'warning', 'instancesGone', 'instanceLookup'] as const;

/** The event for one audit record; undefined for reads (status, history), which change nothing. */
export function brokerEvent(audit: Readonly<Record<string, unknown>>): BrokerEvent | undefined {
  const outcome = typeof audit.outcome === 'string' ? audit.outcome : 'unknown';
  if (outcome === 'status' || outcome === 'history') return undefined;
  // A sweep that ended nothing is not news.
  if (outcome === 'swept' && audit.sessionsEnded === 0 && !(Array.isArray(audit.logins) && audit.logins.length > 0)) return undefined;
  const detail: Record<string, unknown> = {};
  for (const key of FIELDS) if (audit[key] !== undefined) detail[key] = audit[key];
  return { source: EVENT_SOURCE, detailType: `firefighter ${outcome}`, detail };
}
