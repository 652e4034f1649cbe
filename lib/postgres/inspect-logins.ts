// Which members of the firefighter groups are per-person logins db_admin issued (issue 17, item 4): the record in
// db_admin.firefighter_login of the group's database, for a member admin granted, never the name alone (a role
// anyone can create as `<group>_<6 hex>`). Read only when a group has such a member, so a cluster without live
// per-person logins pays no statement for it. Also what would keep the sweep from dropping an expired one.
import type pg from 'pg';
import type { ClusterFacts, IssuedLoginFacts } from '../drift/facts.js';
import type { DatabaseModel, RoleModel } from '../model/model.js';
import { quoteIdent } from '../plan/sql-text.js';
import { DB_ADMIN_SCHEMA } from '../spec/spec.js';
import { readSql } from './sql-files.js';

/** SQLSTATEs of a record admin cannot read: no SET ROLE admin (42501, 22023), no table yet (42P01). */
const UNREADABLE = new Set(['42501', '22023', '42P01', '42703']);

export interface DatabaseClients {
  readonly get: (database: string) => Promise<pg.Client>;
}

export async function inspectIssuedLogins(cluster: Omit<ClusterFacts, 'issuedLogins'>, model: RoleModel, sessions: DatabaseClients): Promise<IssuedLoginFacts[]> {
  const managed = model.managedNames;
  const out: IssuedLoginFacts[] = [];
  for (const db of model.databases) {
    if (!cluster.databases.some((d) => d.name === db.name)) continue;
    const groups = [db.roles.firefighterRo.name, db.roles.firefighterRw.name];
    const candidates = [...new Set(cluster.memberships
      .filter((m) => groups.includes(m.role) && !managed.has(m.member) && m.grantor === model.admin.name).map((m) => m.member))];
    if (candidates.length === 0) continue;
    out.push(...await readIssued(await sessions.get(db.name), model, db, candidates));
  }
  return out;
}

/** db_admin.firefighter_login belongs to admin: read it as admin, in a read-only transaction. */
async function readIssued(client: pg.Client, model: RoleModel, db: DatabaseModel, candidates: string[]): Promise<IssuedLoginFacts[]> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL ROLE ${quoteIdent(model.admin.name)}`);
    const present = await client.query<{ ok: boolean }>(`SELECT pg_catalog.to_regclass('${DB_ADMIN_SCHEMA}.firefighter_login') IS NOT NULL AS ok`);
    // No record: nothing here was issued by db_admin.
    if (!present.rows[0]?.ok) return [];
    const { rows } = await client.query<{ facts: { logins: Omit<IssuedLoginFacts, 'database'>[] } }>(readSql('inspect-issued-logins.sql'), [candidates]);
    return (rows[0]?.facts.logins ?? []).map((l) => ({ ...l, database: db.name }));
  } catch (error) {
    // A record admin cannot read proves nothing was issued: the members are then reported as unmanaged.
    if (UNREADABLE.has((error as { code?: unknown }).code as string)) return [];
    throw error;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}
