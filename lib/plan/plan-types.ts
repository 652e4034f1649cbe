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
  /** A manual step the rest of its database's steps cannot run without: apply stops before that database. */
  readonly blocking?: boolean;
  /** One line `plan` prints instead of a long statement (the db_admin.sql install) unless --verbose. */
  readonly brief?: string;
}

export interface Finding {
  /** Stable machine-readable kind, e.g. `role-missing`, `table-privilege`, `membership-extra`. */
  readonly code: string;
  readonly database?: string;
  readonly subject: string;
  readonly message: string;
  /** Every object the finding is about, schema-qualified (the message names at most NAMED_IN_MESSAGE). */
  readonly objects?: readonly string[];
  /** The roles a finding is about when its subject is not one (a db_admin routine, several roles at once). */
  readonly roles?: readonly string[];
}

/** How many object names a finding's message spells out before "and N more". */
export const NAMED_IN_MESSAGE = 10;

/** `a, b, c` or `a, ..., j and 5 more`. */
export function nameList(names: readonly string[], total = names.length): string {
  const shown = names.slice(0, NAMED_IN_MESSAGE);
  const more = total - shown.length;
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

export interface DiffResult {
  readonly findings: Finding[];
  readonly steps: Step[];
}
