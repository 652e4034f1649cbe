// What the planner produces: findings (what differs from the spec) and the steps that fix them.

export type Phase = 'roles' | 'create-database' | 'database-settings' | 'database-objects';

export interface Step {
  /** roles / database-settings run in the maintenance database, in a transaction; create-database outside one;
   *  database-objects in a transaction inside the managed database. */
  readonly phase: Phase;
  readonly database?: string;
  /** Role to `SET ROLE` to first; undefined means the connecting (master) user. */
  readonly runAs?: string;
  readonly sql: string;
  readonly reason: string;
  /** Shown by `plan` for a human to run; apply never runs it (e.g. revoking an `rds_*` or `pg_*` membership). */
  readonly manual?: boolean;
}

export interface Finding {
  /** Stable machine-readable kind, e.g. `role-missing`, `table-privilege`, `membership-extra`. */
  readonly code: string;
  readonly database?: string;
  readonly subject: string;
  readonly message: string;
}

export interface DiffResult {
  readonly findings: Finding[];
  readonly steps: Step[];
}
