// The contract of the broker's events, shared by the broker (which publishes them) and the PasswordBroker
// construct (whose rules match them): one source, one detail-type per outcome of a broker action.

export const EVENT_SOURCE = 'cdk-aurora-firefighter';

/** The outcomes an event is published for; the detail-type is `firefighter <outcome>`. */
export const EVENT_OUTCOMES = [
  'issued', 'reissued', 'takeover', 'extended', 'revoked', 'pending', 'approved', 'denied', 'refused', 'failed', 'swept',
] as const;

export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** Every detail-type the broker publishes, e.g. `firefighter issued`. */
export const EVENT_DETAIL_TYPES: readonly string[] = EVENT_OUTCOMES.map((o) => `firefighter ${o}`);
