// Per-person mode (spec "firefighterLogins": "per-person"): each responder gets a login of their own, member of
// the firefighter role (sql/db_admin_per_person*.sql); read-write may wait for another person's approval. The
// shared roles' status and sweep still apply: a role's own password may have been set by hand.
import { decideApproval, extendLogin, issueLogin, loginStatus, revokeLogins, sweepLogins } from '../db/logins.js';
import { firefighterStatus, sweepExpired } from '../db/shared-roles.js';
import type { BrokerMode } from './mode.js';

export const perPersonMode: BrokerMode = {
  name: 'per-person',
  async request(deps, input, caller, proof) {
    const result = await issueLogin(deps, input, caller, proof);
    if (result.outcome === 'pending') return result;
    return { issued: result, audit: { outcome: result.outcome, role: result.role, login: result.username, expiresAt: result.expiresAt, ...(result.requestId ? { requestId: result.requestId } : {}) } };
  },
  extend: extendLogin,
  async revoke(deps, input, caller, proof) {
    const { logins, note } = await revokeLogins(deps, input, caller, proof);
    const sessionsEnded = logins.reduce((n, l) => n + l.sessionsEnded, 0);
    return {
      answer: { database: logins[0]?.database ?? input.database ?? deps.config.databases[0]?.name ?? '', role: logins[0]?.role ?? input.access, expiredAt: new Date().toISOString(), sessionsEnded, logins, ...(note ? { note } : {}) },
      audit: { outcome: 'revoked', all: input.all ?? false, logins: logins.map((l) => ({ login: l.login, holder: l.holder, incidentId: l.incidentId, sessionsEnded: l.sessionsEnded })), sessionsEnded, ...(note ? { note } : {}) },
    };
  },
  decide: decideApproval,
  async status(deps, proof) {
    const roles = await firefighterStatus(deps, proof);
    return { roles, logins: await loginStatus(deps) };
  },
  async sweep(deps) {
    const ended = await sweepExpired(deps);
    return { ended, logins: await sweepLogins(deps) };
  },
};
