// Shared or per-person firefighter logins (the spec's "firefighterLogins"): chosen once per broker from its
// config (modeOf in service.ts) and passed to every action as this one strategy. An action module says what the
// action is (its input, audit fields and answer); the mode says how it is done on PostgreSQL (lib/broker/db).
import type { DecideInput, ExtendInput, RequestInput, RevokeInput } from '../protocol/broker-input.js';
import type { AcceptedProof, BrokerDeps, IssuedPassword } from '../db/connection.js';
import type { RoleStatus, Swept } from '../db/shared-roles.js';
import type { ApprovalPending, Decision, EndedLogin, LoginExtended, LoginStatus } from '../db/logins.js';

/** A password or login issued to the caller, with the audit fields that say how. */
export interface Issue {
  readonly issued: IssuedPassword & {
    readonly outcome?: 'issued' | 'reissued';
    readonly requestId?: string;
    readonly previousSessionsEnded?: number;
    readonly warning?: string;
  };
  readonly audit: Readonly<Record<string, unknown>>;
}

/** What a revoke expired and ended, with its audit fields. */
export interface Revocation {
  readonly answer: {
    readonly database: string;
    readonly role: string;
    readonly expiredAt: string;
    readonly sessionsEnded: number;
    /** Per-person logins: each login revoked. */
    readonly logins?: readonly EndedLogin[];
    /** The answer was lost after the server committed; what was read back instead (db/settle.ts). */
    readonly note?: string;
  };
  readonly audit: Readonly<Record<string, unknown>>;
}

export interface BrokerMode {
  readonly name: 'shared' | 'per-person';
  /** Issues (or reissues, or takes over) for the caller; per-person read-write may answer a pending approval. */
  request(deps: BrokerDeps, input: RequestInput, caller: string, proof?: AcceptedProof): Promise<Issue | ApprovalPending>;
  extend(deps: BrokerDeps, input: ExtendInput, caller: string, proof?: AcceptedProof): Promise<LoginExtended & { readonly note?: string }>;
  revoke(deps: BrokerDeps, input: RevokeInput, caller: string, proof?: AcceptedProof): Promise<Revocation>;
  /** Approve or deny a pending read-write request; shared roles have none and refuse. */
  decide(deps: BrokerDeps, input: DecideInput, caller: string, proof?: AcceptedProof): Promise<Decision & { readonly note?: string }>;
  status(deps: BrokerDeps, proof?: AcceptedProof): Promise<{ readonly roles: readonly RoleStatus[]; readonly logins?: readonly LoginStatus[] }>;
  sweep(deps: BrokerDeps): Promise<{ readonly ended: readonly Swept[]; readonly logins?: readonly EndedLogin[] }>;
}
