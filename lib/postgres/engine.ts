// Public entry points of the role-model engine. IMPLEMENTATION IN PROGRESS: signatures are the contract.
import type pg from 'pg';
import type { RoleModelSpec } from '../core/spec.js';

/** How to reach the cluster: any pg client config; `database` is the maintenance database (default `postgres`). */
export type ConnectionOptions = pg.ClientConfig;

export interface PlannedStatement {
  /** Where it runs: the maintenance database (cluster-wide roles), outside a transaction, or a managed database. */
  readonly phase: 'cluster' | 'create-database' | 'database';
  readonly database?: string;
  readonly sql: string;
  /** Why: the finding it fixes, e.g. `my_pg_app has DELETE on 3 tables in "my-pg-db-schema"`. */
  readonly reason: string;
}

export interface Finding {
  /** Stable machine code, e.g. `role-attribute`, `table-privilege`, `membership`. */
  readonly code: string;
  readonly database?: string;
  readonly subject: string;
  readonly message: string;
}

export interface ApplyResult {
  readonly statements: readonly PlannedStatement[];
  readonly findings: readonly Finding[];
  /** Human-readable effective-access matrix, one line per role and database. */
  readonly matrix: string;
}

export class VerificationError extends Error {
  constructor(readonly findings: readonly Finding[]) {
    super(`role model does not match the spec:\n${findings.map((f) => `  - ${f.message}`).join('\n')}`);
    this.name = 'VerificationError';
  }
}

export declare function planRoleModel(spec: RoleModelSpec, connection: ConnectionOptions): Promise<PlannedStatement[]>;
/** Applies then verifies; throws VerificationError when the server still differs from the spec. */
export declare function applyRoleModel(spec: RoleModelSpec, connection: ConnectionOptions): Promise<ApplyResult>;
export declare function verifyRoleModel(spec: RoleModelSpec, connection: ConnectionOptions): Promise<{ findings: Finding[]; matrix: string }>;
