// What the per-database planner (lib/drift/diff-database.ts) and its parts share: the input, and the two callbacks
// each part reports through (a step to run, a finding about the database).
import type { DatabaseObjectFacts } from './facts.js';
import type { RoleModel, DatabaseModel } from '../model/model.js';

export interface DatabaseDiffInput {
  readonly model: RoleModel;
  readonly db: DatabaseModel;
  readonly major: number;
  /** undefined when the database does not exist yet: plan as for an empty database. */
  readonly facts: DatabaseObjectFacts | undefined;
  /** The text of sql/db_admin.sql and the marker recorded in the schema comment once it is installed. */
  readonly dbAdminSql: string;
  readonly dbAdminMarker: string;
}

/** Adds a database-objects step, run as `runAs` (undefined: the connecting user). */
export type Add = (runAs: string | undefined, sql: string, reason: string) => void;
/** Adds a finding about this database. */
export type Find = (code: string, subject: string, message: string, objects?: readonly string[], roles?: readonly string[]) => void;
