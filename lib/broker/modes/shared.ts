// Shared mode: one password per firefighter role at a time, held by one person (sql/db_admin_holder.sql). A
// request may take the role over and end the previous holder's sessions; approvals do not exist here.
import { BROKER_ERROR_CODES, BrokerError, redact } from '../errors.js';
import { endPreviousHolderSessions, extendPassword } from '../db/shared-holder.js';
import { requestPassword } from '../db/shared-request.js';
import { firefighterStatus, revokePassword, sweepExpired } from '../db/shared-roles.js';
import type { BrokerMode, Issue } from './mode.js';

export const sharedMode: BrokerMode = {
  name: 'shared',
  async request(deps, input, caller, proof) {
    const { writerSessionsEnded, ...issued } = await requestPassword(deps, input, caller, proof);
    const takeover = issued.previousHolder !== undefined;
    const audit: Record<string, unknown> = { outcome: takeover ? 'takeover' : issued.outcome ?? 'issued', role: issued.role, expiresAt: issued.expiresAt,
      ...(takeover ? { previousHolder: issued.previousHolder, previousIncidentId: issued.previousIncidentId } : {}) };
    if (!takeover || !input.endSessions) return { issued, audit };
    // Before anyone has the new password: every session of the role is the previous holder's. The takeover
    // stands either way, so a failure here is reported with the password rather than instead of it.
    try {
      const ended = await endPreviousHolderSessions(deps, { ...issued, writerSessionsEnded }, caller, input.incidentId);
      audit.sessionsEnded = ended.sessionsEnded;
      return { issued: { ...issued, previousSessionsEnded: ended.sessionsEnded }, audit } satisfies Issue;
    } catch (error) {
      const warning = `the previous holder's sessions were not all ended (${writerSessionsEnded ?? 0} on the writer before the takeover; then ${redact((error as Error).message ?? '', [issued.password])}); end them with \`firefighter revoke\` and request again, or retry the takeover`;
      audit.warning = warning;
      return { issued: { ...issued, warning }, audit };
    }
  },
  extend: extendPassword,
  async revoke(deps, input, caller, proof) {
    const revoked = await revokePassword(deps, input, caller, proof);
    return {
      answer: { database: revoked.database, role: revoked.role, expiredAt: revoked.expiredAt, sessionsEnded: revoked.sessionsEnded, ...(revoked.note ? { note: revoked.note } : {}) },
      audit: { outcome: 'revoked', role: revoked.role, expiresAt: revoked.expiredAt, sessionsEnded: revoked.sessionsEnded, ...(revoked.note ? { note: revoked.note } : {}) },
    };
  },
  async decide(deps, input) {
    throw new BrokerError(BROKER_ERROR_CODES.invalidInput, `${input.action} needs per-person logins, and broker ${deps.config.brokerId} issues shared ones; set "firefighterLogins": "per-person" in the spec`);
  },
  async status(deps, proof) {
    return { roles: await firefighterStatus(deps, proof) };
  },
  async sweep(deps) {
    return { ended: await sweepExpired(deps) };
  },
};
