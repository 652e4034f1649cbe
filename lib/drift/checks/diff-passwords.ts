// Firefighter passwords come only from the broker (issue 10, item 4). What the server shows of a password is
// its validity (pg_roles.rolvaliduntil; pg_authid is a superuser's): the engine creates firefighter roles already
// expired and the broker gives 1 or 2 hours, recorded in its audit table. Anything else is a password someone
// set by hand, and it is drift: apply expires it and ends the role's sessions.
import type { PasswordFacts } from '../object-facts.js';
import type { DatabaseObjectFacts } from '../facts.js';
import { DB_ADMIN_SCHEMA } from '../../spec/spec.js';
import type { Finding, Step } from '../../plan/plan-types.js';
import { quoteIdent, quoteLiteral } from '../../plan/sql-text.js';
import type { RoleModel, DatabaseModel } from '../../model/model.js';

/** The validity the engine gives a firefighter role it creates: long past, so no password works. */
export const EXPIRED = '1970-01-01 00:00:00+00';


const GIVES_VALIDITY = new Set(['issue', 'takeover', 'reissue', 'extend']);

/** Why the password did not come from the broker, or null when it did. */
export function outsideBrokerReason(p: PasswordFacts): string | null {
  if (p.validUntil === null) return 'its password has no expiry (VALID UNTIL was never set; the broker always sets one)';
  if (p.validUntil === 'infinity') return "its password never expires (VALID UNTIL 'infinity')";
  if (p.beyondMax) return `its password is valid until ${p.validUntil}, more than the broker's 2 hours away`;
  const a = p.latestAudit;
  if (!a || !GIVES_VALIDITY.has(a.action) || a.until !== p.validUntil) return `its password is valid until ${p.validUntil}, and the broker's audit has no ${p.kind === 'login' ? 'issue or extension' : 'issue'} with that expiry`;
  return null;
}

export function diffFirefighterPasswords(
  model: RoleModel, db: DatabaseModel, facts: DatabaseObjectFacts['firefighterPasswords'], allowlisted: ReadonlySet<string>,
): { findings: Finding[]; steps: Step[] } {
  const findings: Finding[] = [];
  const passwords = (facts?.passwords ?? []).filter((p) =>
    // Within the broker's 2 hours only the audit can tell; without it, say nothing rather than cry drift.
    !(facts?.auditUnreadable && p.validUntil !== null && p.validUntil !== 'infinity' && !p.beyondMax));
  const steps: Step[] = [];
  const admin = model.admin.name;
  const database = db.name;
  for (const p of passwords) {
    const why = outsideBrokerReason(p);
    if (!why) continue;
    findings.push({ code: 'firefighter-password', database, subject: p.name, message: `${p.kind === 'login' ? `per-person login ${p.name} of ${p.group}` : p.name}: password set outside the broker: ${why}; apply expires it and ends its sessions` });
    const reason = `${p.name}: password set outside the broker; expire it and end its sessions`;
    const name = quoteLiteral(p.name);
    if (p.kind === 'shared' && allowlisted.has(p.name)) {
      // The broker's own functions: the expiry is audited like any other, and status shows the role free.
      steps.push({ phase: 'database-objects', database, runAs: admin, reason,
        sql: `SELECT ${DB_ADMIN_SCHEMA}.expire_firefighter_password(${name}, 'rolemodel apply', 'password-drift', 'password set outside the broker')` });
      steps.push({ phase: 'database-objects', database, runAs: admin, reason, sql: `SELECT ${DB_ADMIN_SCHEMA}.end_firefighter_sessions(${name})` });
      continue;
    }
    // A per-person login was created by admin (which holds ADMIN OPTION on it on 16+); a shared role without an
    // allowlist row yet is altered by the master, which created it.
    const runAs = p.kind === 'login' ? { runAs: admin } : {};
    steps.push({ phase: 'database-objects', database, ...runAs, reason, sql: `ALTER ROLE ${quoteIdent(p.name)} PASSWORD NULL VALID UNTIL ${quoteLiteral(EXPIRED)}` });
    steps.push({ phase: 'database-objects', database, runAs: admin, reason,
      // In the select list of a filtered subquery, never in a WHERE beside the filter: the planner may order quals as
      // it likes, and would then signal every backend, this one included.
      sql: `SELECT pg_catalog.count(*) FROM (SELECT pg_catalog.pg_terminate_backend(a.pid) AS ended FROM pg_catalog.pg_stat_activity a WHERE a.usename OPERATOR(pg_catalog.=) ${name} AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()) t WHERE t.ended` });
  }
  return { findings, steps };
}
