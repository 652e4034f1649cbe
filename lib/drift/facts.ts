// What the inspection queries (sql/inspect-*.sql) report about the server: plain data, no driver types.
import type { DbAdminPrints, GrantOptionFacts, MisownedObject, ObjectAccessFacts, PasswordFacts, PrivilegeNames, WidePrivilegeFacts } from './object-facts.js';

export interface RoleFacts {
  readonly name: string;
  readonly login: boolean;
  readonly inherit: boolean;
  readonly createRole: boolean;
  readonly createDb: boolean;
  readonly superuser: boolean;
  readonly replication: boolean;
  readonly bypassRls: boolean;
  readonly connectionLimit: number;
  /** Reaches rds_iam directly or through any membership; null when rds_iam does not exist. */
  readonly iam: boolean | null;
}

export interface MembershipFacts {
  readonly role: string;
  readonly member: string;
  readonly grantor: string;
  readonly admin: boolean;
  /** PostgreSQL 16+ per-grant options; null on 15. */
  readonly inherit: boolean | null;
  readonly set: boolean | null;
  /** The member is CREATEROLE with rds_superuser's privileges (the master, or an administrator like it). */
  readonly memberAdministers?: boolean;
  readonly memberCreateRole?: boolean;
  /** The applying user holds the grantor's privileges, so it may revoke in the grantor's name. */
  readonly grantorUsable?: boolean;
}

export interface DatabaseFacts {
  readonly name: string;
  readonly owner: string;
  readonly connectionLimit: number;
  /** Explicit grants on the database: grantee (`PUBLIC` for PUBLIC) and privilege. */
  readonly acl: readonly { grantee: string; privilege: string }[];
}

/** A per-person login db_admin issued and has not dropped (sql/inspect-issued-logins.sql). */
export interface IssuedLoginFacts {
  readonly database: string;
  readonly login: string;
  /** Its firefighter group. */
  readonly role: string;
  readonly expired: boolean;
  readonly expiresAt: string;
  /** Objects it owns in its database that the sweep leaves alone (all but large objects and default privileges). */
  readonly owns: readonly string[];
  /** Other databases where it owns something or holds a privilege. */
  readonly elsewhere: readonly string[];
}

export interface ClusterFacts {
  readonly serverVersionNum: number;
  readonly currentUser: string;
  readonly existingRoles: readonly string[];
  readonly roles: readonly RoleFacts[];
  readonly memberships: readonly MembershipFacts[];
  readonly databases: readonly DatabaseFacts[];
  /** Effective database privileges of each managed role on each managed database. */
  readonly databaseAccess: readonly { role: string; database: string; connect: boolean; create: boolean; temporary: boolean }[];
  /** `ALTER ROLE ... IN DATABASE ... SET` of the managed roles and of the inspecting user (the master). */
  readonly roleSettings: readonly { role: string; database: string; settings: readonly string[] }[];
  /** The comment of each existing managed role: the engine's mark (lib/model/role-mark.ts) or anything else. */
  readonly roleComments: readonly { name: string; comment: string | null }[];
  /** `ALTER ROLE <managed> SET ...` for every database (no IN DATABASE). */
  readonly wideSettings: readonly { role: string; settings: readonly string[] }[];
  /** `ALTER DATABASE <managed> SET ...`, for every role in it. */
  readonly databaseSettings: readonly { database: string; settings: readonly string[] }[];
  /**
   * Managed databases whose owner's privileges the inspecting user has, which `ALTER DATABASE ... SET` needs (16+:
   * a membership with INHERIT; the master's own in the owner is SET only). Undefined when not read.
   */
  readonly databaseOwnerUsable?: readonly string[];
  /**
   * pgaudit is loaded (shared_preload_libraries): its pgaudit.log is a superuser setting of the server, not a
   * placeholder. The firefighter roles then get the statement audit (diff-settings.ts). Undefined when not read.
   */
  readonly pgauditLoaded?: boolean;
  /** Members of firefighter groups db_admin recorded as per-person logins; undefined when not read. */
  readonly issuedLogins?: readonly IssuedLoginFacts[];
}

/** The pgaudit extension in one database (sql/inspect-database.sql); trusted: a schema the database's owner cannot touch. */
export interface PgauditExtensionFacts {
  readonly loaded: boolean;
  readonly available: boolean;
  /** The schema it is installed in; null when it is not installed. */
  readonly installedIn: string | null;
  /** The schema named pgaudit and the one it is installed in, when they exist. */
  readonly schemas: readonly { name: string; owner: string; trusted: boolean }[];
}

export interface DatabaseObjectFacts {
  readonly database: string;
  /** Absent when not read (an empty database planned before it exists). */
  readonly pgaudit?: PgauditExtensionFacts;
  /** ownerUsage/ownerCreate: what the schema's owner itself may do in it (it can revoke that from itself);
   *  ownerHeld: the applying user already has the owner's privileges. */
  readonly schemas: readonly { name: string; owner: string; publicPrivileges: readonly string[]; ownerUsage?: boolean; ownerCreate?: boolean; ownerHeld?: boolean }[];
  readonly schemaAccess: readonly { schema: string; role: string; usage: boolean; create: boolean }[];
  readonly publicSchema: { exists: boolean; publicPrivileges: readonly string[] };
  readonly publicSchemaCreate: readonly string[];
  readonly objectAccess: readonly ObjectAccessFacts[];
  /** Per managed schema: routines PUBLIC may execute (schema-qualified signatures). Extension members and
   *  internal parts (range constructors) are left out: they are not ours to change. */
  readonly publicRoutines: readonly { schema: string; names: readonly string[] }[];
  /** Objects in managed schemas not owned by the owner role, by owner, with their schema-qualified names. */
  readonly misowned: readonly { owner: string; count: number; names: readonly string[] }[];
  /** The misowned objects an ALTER ... OWNER names (indexes, linked sequences and array types follow their
   *  parent). args: the input argument types of a routine, as the server formats them; null otherwise. */
  readonly misownedObjects: readonly MisownedObject[];
  /** Exploded pg_default_acl rows for the owner and admin roles; schema null means global. */
  readonly defaultAcl: readonly { role: string; schema: string | null; objectType: string; grantee: string; privilege: string }[];
  /** Column grants and grants outside the listed schemas (sql/inspect-wide-privileges.sql); absent when not read. */
  readonly wide?: WidePrivilegeFacts;
  /** Grant options held by managed roles (sql/inspect-grant-options.sql); absent when not read. */
  readonly grantOptions?: GrantOptionFacts;
  /** The objects behind each objectAccess count that differs from the model (lib/drift/checks/privilege-names.ts). */
  readonly privilegeNames?: readonly PrivilegeNames[];
  readonly dbAdmin: {
    readonly exists: boolean;
    readonly owner: string | null;
    readonly comment: string | null;
    readonly schemaAcl: readonly { grantee: string; privilege: string }[];
    /** Rows of db_admin.firefighter_role; guardrails null when not recorded (an older db_admin). */
    readonly firefighterRoles: readonly { role: string; access: string; guardrails?: Readonly<Record<string, readonly string[]>> | null; incidentMinutes?: number | null }[];
    /** Effective EXECUTE per role on each db_admin routine (signature -> roles that can execute). */
    readonly executors: readonly { routine: string; roles: readonly string[] }[];
    /** Managed roles (other than admin) with any privilege on a db_admin table. */
    readonly tableAccess: readonly string[];
    readonly missingRoutines: readonly string[];
    /** Rows of db_admin.firefighter_login_policy (per-person logins); undefined when not read. */
    readonly loginPolicies?: readonly { role: string; maxLogins: number; connectionLimit: number; approval: boolean; incidentMinutes: number; approvalMinutes: number }[];
    /** The installed db_admin and a fresh install of sql/db_admin*.sql, described alike; absent when db_admin is. */
    readonly prints?: DbAdminPrints;
    /** Why the comparison could not run (e.g. the master cannot SET ROLE to the owner yet). */
    readonly printError?: string;
  };
  /** Firefighter logins with an unexpired (or unset) password validity (sql/inspect-firefighter-passwords.sql);
   *  auditUnreadable: the broker's audit could not be read, so validity within its 2 hours is not judged. */
  readonly firefighterPasswords?: { readonly passwords: readonly PasswordFacts[]; readonly auditUnreadable: boolean };
}
