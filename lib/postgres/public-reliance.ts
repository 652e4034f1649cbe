// Runs sql/inspect-public-reliance.sql in one managed database: who loses what when apply revokes PUBLIC there.
import type pg from 'pg';
import type { ClusterFacts } from '../drift/facts.js';
import { publicRelianceWarnings as warningsOf, publicSchemaRevokes, type PublicRelianceFacts } from '../plan/lockout-objects.js';
import type { RoleModel, DatabaseModel } from '../model/model.js';
import type { Finding } from '../plan/plan-types.js';
import type { DatabaseSessions } from './database-sessions.js';
import { readSql } from './sql-files.js';

export async function inspectPublicReliance(client: pg.Client, model: RoleModel, db: DatabaseModel): Promise<Finding[]> {
  const roles = [...model.managedNames];
  const { rows } = await client.query<{ losses: PublicRelianceFacts[] }>(readSql('inspect-public-reliance.sql'), [db.schemas, roles, publicSchemaRevokes(db)]);
  return warningsOf(db, rows[0]?.losses ?? []);
}

/** The same for every database in scope that exists, in the engine's session for it; before anything changes. */
export async function publicRelianceWarnings(
  sessions: DatabaseSessions, model: RoleModel, dbs: readonly DatabaseModel[], cluster: ClusterFacts,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const db of dbs.filter((d) => cluster.databases.some((c) => c.name === d.name))) {
    out.push(...await inspectPublicReliance(await sessions.get(db.name), model, db));
  }
  return out;
}
