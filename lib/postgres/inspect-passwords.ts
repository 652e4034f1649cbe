// Reads what the server shows of firefighter passwords, for lib/drift/checks/diff-passwords.ts (issue 10, item 4).
import type pg from 'pg';
import type { PasswordFacts } from '../drift/object-facts.js';
import { DB_ADMIN_SCHEMA } from '../spec/spec.js';
import { quoteIdent } from '../plan/sql-text.js';
import { readSql } from './sql-files.js';
import type { RoleModel, DatabaseModel } from '../model/model.js';

type Candidate = Omit<PasswordFacts, 'latestAudit'>;
interface Latest { name: string; action: string; until: string | null }

/** SQLSTATEs of an audit the session cannot read: no SET ROLE admin (42501, 22023), no table yet (42P01). */
const UNREADABLE = new Set(['42501', '22023', '42P01', '42703']);

/**
 * Firefighter LOGIN roles of this database whose validity has not passed, with the broker's latest audit row
 * for each. auditUnreadable: the audit could not be read as admin (then no password within the broker's 2 hours
 * can be judged; the caller must not call it drift).
 */
export async function inspectFirefighterPasswords(
  client: pg.Client, model: RoleModel, db: DatabaseModel, inTransaction: boolean,
): Promise<{ passwords: PasswordFacts[]; auditUnreadable: boolean }> {
  const roles = [db.roles.firefighterRo.name, db.roles.firefighterRw.name];
  const groups = model.perPerson ? roles : [];
  const { rows } = await client.query<{ facts: { roles: Candidate[] } }>(readSql('inspect-firefighter-passwords.sql'), [roles, groups]);
  const candidates = rows[0]?.facts.roles ?? [];
  // Only a finite validity within the 2 hours needs the audit to judge it.
  const needAudit = candidates.filter((c) => c.validUntil !== null && c.validUntil !== 'infinity' && !c.beyondMax);
  if (needAudit.length === 0) return { passwords: candidates, auditUnreadable: false };
  const audit = await readAudit(client, model, needAudit, inTransaction);
  if (!audit) return { passwords: candidates, auditUnreadable: true };
  const latest = new Map(audit.map((a) => [a.name, a]));
  return {
    passwords: candidates.map((c) => {
      const a = latest.get(c.name);
      return a ? { ...c, latestAudit: { action: a.action, until: a.until } } : c;
    }),
    auditUnreadable: false,
  };
}

/** The audit tables belong to admin: read them as admin, in a read-only transaction (or a savepoint in apply's). */
async function readAudit(client: pg.Client, model: RoleModel, candidates: Candidate[], inTransaction: boolean): Promise<Latest[] | undefined> {
  await client.query(inTransaction ? 'SAVEPOINT read_firefighter_audit' : 'BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL ROLE ${quoteIdent(model.admin.name)}`);
    const present = await client.query<{ ok: boolean }>(
      `SELECT pg_catalog.to_regclass('${DB_ADMIN_SCHEMA}.firefighter_audit') IS NOT NULL AND pg_catalog.to_regclass('${DB_ADMIN_SCHEMA}.firefighter_login_audit') IS NOT NULL AS ok`);
    // No db_admin yet: the broker never issued anything here, so no unexpired password is the broker's.
    if (!present.rows[0]?.ok) return [];
    const { rows } = await client.query<{ facts: { shared: Latest[]; logins: Latest[] } }>(readSql('inspect-firefighter-audit.sql'), [
      candidates.filter((c) => c.kind === 'shared').map((c) => c.name), candidates.filter((c) => c.kind === 'login').map((c) => c.name),
    ]);
    const facts = rows[0]?.facts;
    return [...(facts?.shared ?? []), ...(facts?.logins ?? [])];
  } catch (error) {
    if (UNREADABLE.has((error as { code?: unknown }).code as string)) return undefined;
    throw error;
  } finally {
    await client.query(inTransaction ? 'ROLLBACK TO SAVEPOINT read_firefighter_audit' : 'ROLLBACK').catch(() => undefined);
  }
}
