// What an action module is: who may call it, what its audit line records of the input, and what it does with a
// verified caller and the broker's mode. The table from action name to module is in table.ts.
import type { FirefighterAccess } from '../protocol/broker-config.js';
import type { BrokerInput } from '../protocol/broker-input.js';
import type { AcceptedProof } from '../db/connection.js';
import type { BrokerMode } from '../modes/mode.js';
import type { BrokerResponse, BrokerServiceOptions } from '../service-types.js';

export interface ActionContext<I extends BrokerInput> {
  readonly input: I;
  /** The service's options, with this invocation's instanceNotes. */
  readonly deps: BrokerServiceOptions;
  readonly mode: BrokerMode;
  /** The invocation's audit line: the action adds what it did (outcome, role, ...). */
  readonly audit: Record<string, unknown>;
  /**
   * Who asked, as the person they count as (protocol/person.ts: never a session ARN, whose session name the caller
   * picks): what db_admin compares and records as requester, holder and approver. The audit line keeps the ARN.
   * The scheduler for the sweep.
   */
  readonly caller: string;
  /** The caller's identity proof, to record as used with the change it authorises. */
  readonly proof?: AcceptedProof;
}

export interface ActionHandler<I extends BrokerInput> {
  /**
   * The allowlists any one of which lets a verified caller run the action; `scheduler` for an action that takes
   * no identity and is audited as the scheduler's.
   */
  readonly allowlists: ((input: I) => readonly (FirefighterAccess | 'approve')[]) | 'scheduler';
  /** The audit fields of a validated input: never the identity proof, which carries a session token. */
  readonly auditFields: (input: I) => Record<string, unknown>;
  readonly run: (context: ActionContext<I>) => Promise<BrokerResponse>;
}

/** The fields an action on one firefighter role records. */
export const roleFields = (input: { action: string; access: FirefighterAccess; incidentId: string; reason: string; database?: string }) =>
  ({ action: input.action, access: input.access, incidentId: input.incidentId, reason: input.reason, ...(input.database ? { database: input.database } : {}) });
