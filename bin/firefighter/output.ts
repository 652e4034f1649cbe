// Human output of the firefighter CLI for per-person logins, approvals, history and sweep; times in the
// user's zone with UTC beside, because an on-call engineer reads "until 03:15" in their own clock.
import type { BrokerResponse } from '../../lib/broker/service.js';

/** `2026-11-30 03:15:00 CET (02:15:00 UTC)`; the zone is TZ, else the system's. */
export function localAndUtc(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '-';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  let zone = timeZone;
  try {
    if (zone) new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = undefined;
  }
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    ...(zone ? { timeZone: zone } : {}), year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(at).map((p) => [p.type, p.value]));
  const local = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
  return parts.timeZoneName === 'UTC' ? local : `${local} (${iso.slice(11, 19)} UTC)`;
}

type Ok = Exclude<BrokerResponse, { ok: false }>;

/** Lines for the responses this module owns; undefined for the ones bin/firefighter.ts prints itself. */
export function extraLines(response: Ok, timeZone?: string): string[] | undefined {
  const at = (iso: string | null | undefined) => localAndUtc(iso, timeZone);
  switch (response.action) {
    case 'request':
      return undefined;
    case 'extend':
      return [`${response.login === response.role ? response.role : `${response.login} (${response.role})`} now valid until ${at(response.expiresAt)}`];
    case 'approve':
    case 'deny':
      return [response.decision === 'approved'
        ? `request ${response.requestId} approved: ${response.requestedBy} may request ${response.role} for ${response.incidentId} until ${at(response.expiresAt)}`
        : `request ${response.requestId} denied: ${response.requestedBy} gets no ${response.role} for ${response.incidentId}`];
    case 'history':
      if (response.entries.length === 0) return ['no history for that selection'];
      return response.entries.map((e) => [
        at(e.at), e.action.padEnd(16), e.login ?? e.role, e.actor, e.incidentId,
        e.expiresAt && e.action !== 'drop' ? `until ${at(e.expiresAt)}` : '',
        e.previousHolder ? `from ${e.previousHolder}` : '', e.sessionsEnded !== null ? `${e.sessionsEnded} session(s) ended` : '',
        e.requestId ? `request ${e.requestId}` : '', e.reason ? `"${e.reason}"` : '',
      ].filter(Boolean).join('  '));
    case 'revoke':
      if (!response.logins) return undefined;
      if (response.logins.length === 0) return [`no active login of ${response.role} to revoke`];
      return response.logins.map((l) => `${l.login} of ${l.holder} (${l.incidentId}) revoked; ${l.sessionsEnded} session(s) ended${l.dropped ? ', login dropped' : ''}`);
    case 'status': {
      if (!response.logins) return undefined;
      const lines = response.roles.map((r) => `${r.database} ${r.role} (${r.access}): group for per-person logins`);
      for (const l of response.logins) lines.push(`  ${l.login} ${l.holder} for ${l.incidentId} ${l.active ? `until ${at(l.expiresAt)}` : `expired ${at(l.expiresAt)}`}, ${l.sessions} session(s)`);
      return lines;
    }
    case 'sweep':
      if (!response.logins) return undefined;
      return [`${response.sessionsEnded} session(s) of expired roles and logins ended; ${response.logins.filter((l) => l.dropped).length} expired login(s) dropped`];
  }
}
