// The role-model spec: the one document the custom resource, the CLIs, the demo and the tests share.
// Names are PostgreSQL identifiers exactly as they appear in the catalog (never pre-quoted).

/**
 * Session guardrails set with `ALTER ROLE ... IN DATABASE ... SET`. Durations use PostgreSQL units and must
 * be at least 1 second: `0` would disable the timeout. `firefighterRo` always also gets
 * `default_transaction_read_only = on`.
 */
export interface Guardrails {
  /** e.g. `'5min'`. @default - not set */
  readonly statementTimeout?: string;
  /** e.g. `'5s'`. @default - not set */
  readonly lockTimeout?: string;
  /** e.g. `'2min'`. @default - not set */
  readonly idleInTransactionSessionTimeout?: string;
  /** Schema names in order, unquoted, e.g. `['my-pg-db-schema', 'public']`. @default - not set */
  readonly searchPath?: readonly string[];
}

export interface LoginRoleSpec {
  readonly name: string;
  /**
   * Take over a role that already exists and was not created by this library (its comment carries no
   * `cdk-aurora-firefighter` mark). Without it the engine refuses a name that matches such a role.
   * `rolemodel plan` lists every attribute and membership adopting it changes. @default false
   */
  readonly adopt?: boolean;
  /** @default -1 (no limit) */
  readonly connectionLimit?: number;
  /** Member of `rds_iam`: logs in with an IAM token only. Never allowed on firefighter roles. @default false */
  readonly iam?: boolean;
  /** @default - none */
  readonly guardrails?: Guardrails;
  /**
   * Firefighter roles with `firefighterLogins: 'per-person'` only: the most logins of this role active at once.
   * @default 20
   */
  readonly maxLogins?: number;
}

export interface OwnerRoleSpec {
  /** NOLOGIN owner of the database, its schemas and every object in them. */
  readonly name: string;
  /**
   * Take over a role that already exists and was not created by this library (its comment carries no
   * `cdk-aurora-firefighter` mark). Without it the engine refuses a name that matches such a role.
   * `rolemodel plan` lists every attribute and membership adopting it changes. @default false
   */
  readonly adopt?: boolean;
}

export interface DatabaseRoles {
  readonly owner: OwnerRoleSpec;
  readonly migrator: LoginRoleSpec;
  readonly app: LoginRoleSpec;
  readonly firefighterRo: LoginRoleSpec;
  readonly firefighterRw: LoginRoleSpec;
}

export interface DatabaseSpec {
  readonly name: string;
  /** @default -1 (no limit) */
  readonly connectionLimit?: number;
  /** Application schemas, owned by the owner role. At least one. */
  readonly schemas: readonly string[];
  /** Also revoke USAGE on schema `public` from PUBLIC (CREATE is always revoked). @default true */
  readonly revokePublicSchemaUsage?: boolean;
  /**
   * Read-write firefighter logins need a second person's approval (`firefighter approve ID`), checked in
   * db_admin. Needs `firefighterLogins: 'per-person'`. @default false
   */
  readonly readWriteApproval?: boolean;
  /** Unmanaged roles that keep CONNECT (explicitly granted) when apply revokes CONNECT from PUBLIC, e.g. a
   *  legacy login still being migrated. They get nothing else. @default - none */
  readonly keepConnect?: readonly string[];
  readonly roles: DatabaseRoles;
  /** Roles beyond the seven slots, each with a privilege profile (lib/core/extra-roles.ts). @default - none */
  readonly extraRoles?: readonly ExtraRoleSpec[];
}

export interface AdminRoleSpec {
  /** Cluster-level DBA automation role: CREATEROLE CREATEDB, owns the `db_admin` schema and functions. */
  readonly name: string;
  /**
   * Take over a role that already exists and was not created by this library (its comment carries no
   * `cdk-aurora-firefighter` mark). Without it the engine refuses a name that matches such a role.
   * `rolemodel plan` lists every attribute and membership adopting it changes. @default false
   */
  readonly adopt?: boolean;
  /** @default -1 (no limit) */
  readonly connectionLimit?: number;
  /** @default false */
  readonly iam?: boolean;
}

export interface PasswordBrokerSpec {
  /** Cluster-level login that may only EXECUTE the `db_admin` password functions. */
  readonly name: string;
  /**
   * Take over a role that already exists and was not created by this library (its comment carries no
   * `cdk-aurora-firefighter` mark). Without it the engine refuses a name that matches such a role.
   * `rolemodel plan` lists every attribute and membership adopting it changes. @default false
   */
  readonly adopt?: boolean;
  /** @default 3 */
  readonly connectionLimit?: number;
  /** Logs in with an IAM token (`rds_iam`). @default true */
  readonly iam?: boolean;
}

/** A login for `rolemodel verify` in CI and monitoring (issue 10.7): CONNECT to each managed database, no
 *  membership, no privilege on any schema; it reads the catalog only. */
export interface VerifierSpec {
  readonly name: string;
  /** @default false */
  readonly adopt?: boolean;
  /** @default 3 */
  readonly connectionLimit?: number;
  /** Logs in with an IAM token (`rds_iam`). @default false */
  readonly iam?: boolean;
}

export interface RoleModelSpec {
  /** Cluster identifier, e.g. `my-pg`: names the advisory lock and appears in audit records. */
  readonly cluster: string;
  readonly admin: AdminRoleSpec;
  readonly passwordBroker: PasswordBrokerSpec;
  /** A read-only login `rolemodel verify` can run as, instead of the master. @default - none */
  readonly verifier?: VerifierSpec;
  /** One or more databases, each with its own roles and isolated from the others. */
  readonly databases: readonly DatabaseSpec[];
  /**
   * `shared`: one login per firefighter role, one holder at a time (the reference design).
   * `per-person`: the firefighter roles become NOLOGIN groups and every request creates a login of its own.
   * @default 'shared'
   */
  readonly firefighterLogins?: FirefighterLogins;
  /** The most minutes one person may hold a firefighter role (shared) or logins (per-person) for one incident,
   *  extensions included. @default 240 */
  readonly firefighterMinutesPerIncident?: number;
}

export type FirefighterLogins = 'shared' | 'per-person';

/** Per-person defaults; the connection limit of each person's login is the role's `connectionLimit`, else this. */
export const PER_PERSON_DEFAULTS = { maxLogins: 20, connectionLimit: 3, minutesPerIncident: 240, approvalMinutes: 15 } as const;

/** Bytes a per-person login adds to its group's name (`_` and 6 hex digits). */
export const LOGIN_SUFFIX_BYTES = 7;

export function isPerPerson(spec: Pick<RoleModelSpec, 'firefighterLogins'>): boolean {
  return spec.firefighterLogins === 'per-person';
}

/** The per-database role slots, in the order they are created and reported. */
export const LOGIN_ROLE_SLOTS = ['migrator', 'app', 'firefighterRo', 'firefighterRw'] as const;
export type LoginRoleSlot = (typeof LOGIN_ROLE_SLOTS)[number];
export const FIREFIGHTER_SLOTS = ['firefighterRo', 'firefighterRw'] as const;
export type FirefighterSlot = (typeof FIREFIGHTER_SLOTS)[number];

/** The `db_admin` schema created in every managed database; fixed so the broker can find it. */
export const DB_ADMIN_SCHEMA = 'db_admin';

/** Most hours a firefighter password may be valid; enforced again by the server-side function. */
export const MAX_FIREFIGHTER_HOURS = 2;

/** What an extra role may do, always one of the slots' own privilege sets (never DDL, TRUNCATE, ownership or db_admin). */
export const ROLE_PROFILES = ['read', 'write', 'write-delete'] as const;
export type RoleProfile = (typeof ROLE_PROFILES)[number];

/**
 * A role beyond the seven slots: a login with IAM (`"iam": true`, e.g. a reporting service) or a NOLOGIN
 * group whose members are existing, unmanaged logins (`"members"`, e.g. a team's people).
 */
export interface ExtraRoleSpec {
  readonly name: string;
  /** `read`: as firefighterRo; `write`: as app (no DELETE); `write-delete`: as firefighterRw. */
  readonly profile: RoleProfile;
  /** As on the slots: take over an existing role the engine did not create. @default false */
  readonly adopt?: boolean;
  /** A LOGIN role that logs in with an IAM token only. Either this or `members`. */
  readonly iam?: boolean;
  /** A NOLOGIN group: these existing roles are granted membership (and only these). Either this or `iam`. */
  readonly members?: readonly string[];
  /** @default -1 (no limit) */
  readonly connectionLimit?: number;
  /** Logins (`"iam": true`) only: a group's settings never reach its members' sessions. @default - none */
  readonly guardrails?: Guardrails;
}
