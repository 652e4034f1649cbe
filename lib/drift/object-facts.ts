// What the inspection queries report about a database's objects and privileges, read by the checks in
// lib/drift/checks: plain data, no driver types.
export interface MisownedObject {
  readonly kind: 'TABLE' | 'VIEW' | 'MATERIALIZED VIEW' | 'FOREIGN TABLE' | 'SEQUENCE' | 'ROUTINE' | 'AGGREGATE' | 'TYPE' | 'DOMAIN'
    | 'STATISTICS' | 'COLLATION' | 'TEXT SEARCH CONFIGURATION' | 'TEXT SEARCH DICTIONARY' | 'CONVERSION'
    | 'OPERATOR' | 'OPERATOR CLASS' | 'OPERATOR FAMILY';
  readonly schema: string;
  readonly name: string;
  readonly args: string | null;
  /** Its owner now; absent from an older inspection. */
  readonly owner?: string;
  /** A SECURITY DEFINER routine: it runs with its owner's privileges, which the hand-over changes. */
  readonly securityDefiner?: boolean;
}

/** Per schema and role: how many objects of a class exist and how many the role can use, per privilege. */
export interface ObjectAccessFacts {
  readonly schema: string;
  readonly role: string;
  readonly objectClass: 'tables' | 'sequences' | 'routines';
  readonly total: number;
  readonly granted: Readonly<Record<string, number>>;
}

export interface FunctionPrint {
  readonly name: string;
  readonly args: string;
  /** `db_admin.f(name,text)`, as regprocedure prints it with search_path pinned to pg_catalog. */
  readonly signature: string;
  readonly def: string;
  readonly owner: string;
  readonly acl: readonly string[];
}

export interface Named {
  readonly name: string;
  readonly def: string;
}

export interface ColumnPrint {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly default: string | null;
  readonly identity: string;
  readonly generated: string;
}

export interface RelationPrint {
  readonly name: string;
  readonly kind: string;
  readonly owner: string;
  readonly acl: readonly string[];
  readonly rowSecurity: string;
  readonly columns: readonly ColumnPrint[];
  readonly constraints: readonly Named[];
  readonly indexes: readonly Named[];
  readonly triggers: readonly Named[];
  readonly policies: readonly Named[];
  readonly rules: readonly Named[];
}

export interface SchemaPrint {
  readonly functions: readonly FunctionPrint[];
  readonly relations: readonly RelationPrint[];
  readonly types: readonly { name: string; kind: string }[];
}

export interface DbAdminPrints {
  /** The installed db_admin. */
  readonly have: SchemaPrint;
  /** A fresh install of the files, its scratch schema's name already replaced by db_admin. */
  readonly want: SchemaPrint;
}

export interface ColumnGrantFacts {
  readonly schema: string;
  readonly table: string;
  /** The schema is one of the spec's application schemas. */
  readonly listed: boolean;
  readonly column: string;
  /** The managed role that holds the privilege (directly, or through PUBLIC when viaPublic). */
  readonly role: string;
  readonly viaPublic: boolean;
  readonly privilege: string;
  readonly grantor: string;
  /** The grantor owns the table (after apply hands an object to the owner role, so does the grant). */
  readonly byOwner: boolean;
  /** The grant is the inspecting (applying) user's own. */
  readonly byApplier: boolean;
  /** The inspecting user may SET ROLE to the grantor (16+: the SET option; 15: membership). */
  readonly grantorSettable: boolean;
  /** The inspecting user may look up names in the schema. */
  readonly schemaUsable: boolean;
  /** The grantor may look up names in the schema. */
  readonly grantorSchemaUsable: boolean;
  /** The role holds the privilege on the whole table anyway (the table-level check covers it). */
  readonly tableLevel: boolean;
}

export interface OtherGrantFacts {
  readonly schema: string;
  readonly objectClass: 'schema' | 'tables' | 'sequences' | 'routines';
  /** null for the schema itself. */
  readonly name: string | null;
  /** A routine's input argument types as the server formats them; null otherwise. */
  readonly args: string | null;
  readonly role: string;
  readonly privilege: string;
  readonly grantor: string;
  readonly byApplier: boolean;
  readonly grantorSettable: boolean;
  readonly schemaUsable: boolean;
  readonly grantorSchemaUsable: boolean;
}

/** A pg_default_acl entry that grants something to a managed role. schema null: every schema. */
export interface DefaultGrantFacts {
  readonly role: string;
  readonly schema: string | null;
  readonly objectType: string;
  readonly grantee: string;
  readonly privilege: string;
  /** The applying user can act for `role` (ALTER DEFAULT PRIVILEGES FOR ROLE needs that). */
  readonly usable: boolean;
}

export interface WidePrivilegeFacts {
  readonly columnGrants: readonly ColumnGrantFacts[];
  readonly otherGrants: readonly OtherGrantFacts[];
  /** Absent when read from an older inspection. */
  readonly defaultGrants?: readonly DefaultGrantFacts[];
  /** USAGE on foreign servers and wrappers (lib/drift/checks/diff-foreign-servers.ts); absent from an older inspection. */
  readonly foreignGrants?: readonly ForeignGrantFacts[];
  /** Schemas and objects managed roles own outside the listed schemas (lib/drift/checks/diff-owned-outside.ts); absent from an older inspection. */
  readonly ownedOutside?: readonly OwnedOutsideFacts[];
}

/** What decides who can revoke a grant (lib/drift/checks/diff-grant-options.ts revokes grant options the same way). */
export type GrantSource = Pick<OtherGrantFacts, 'grantor' | 'byApplier' | 'grantorSettable' | 'schemaUsable' | 'grantorSchemaUsable'> & { readonly schema: string | null };

export interface HeldOption extends GrantSource {
  readonly objectClass: 'database' | 'schema' | 'table' | 'sequence' | 'column' | 'routine';
  /** The object (a column shares its table's key). */
  readonly key: string;
  /** null for the database. */
  readonly schema: string | null;
  readonly listed: boolean;
  /** The database, table, sequence or routine; null for a schema. */
  readonly name: string | null;
  /** A routine's input argument types as the server formats them; null otherwise. */
  readonly args: string | null;
  readonly column: string | null;
  /** The holder: a managed role, or PUBLIC. */
  readonly role: string;
  readonly privilege: string;
  /** The grantor owns the object. */
  readonly byOwner: boolean;
  /** Who owns the object (apply hands an object in a listed schema to the owner role; an extension's keeps its). */
  readonly objectOwner: string;
  /** The object belongs to an extension (apply leaves its owner as it is). */
  readonly member: boolean;
}

/** A grant on an object with a held option, made by a role other than its owner. */
export interface Regrant extends Omit<GrantSource, 'schema'> {
  readonly key: string;
  readonly column: string | null;
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

/** A column grant whose grantor holds the option neither on the column nor on its table. */
export interface OrphanColumnGrant {
  readonly schema: string;
  readonly name: string;
  readonly column: string;
  readonly grantor: string;
  readonly grantee: string;
  readonly privilege: string;
}

/** A default privilege (pg_default_acl) that hands a managed role an option on what `role` creates later: the
 *  same facts as the wide check's default grants. */
export type DefaultOption = DefaultGrantFacts;

export interface GrantOptionFacts {
  /** The applying user (CURRENT_USER of the inspection), which keeps CONNECT on the database. */
  readonly applier: string;
  readonly options: readonly HeldOption[];
  readonly regrants: readonly Regrant[];
  readonly defaults: readonly DefaultOption[];
  readonly orphans: readonly OrphanColumnGrant[];
}

/** A firefighter LOGIN role whose validity has not passed (or is unset), from sql/inspect-firefighter-passwords.sql. */
export interface PasswordFacts {
  readonly name: string;
  /** shared: the spec's firefighter role; login: a per-person login `<group>_<6 hex>`. */
  readonly kind: 'shared' | 'login';
  readonly group: string;
  /** ISO UTC with microseconds, 'infinity', or null (never set). */
  readonly validUntil: string | null;
  /** More than the broker's 2 hours away, by the server clock. */
  readonly beyondMax: boolean | null;
  /** The latest audit row of the broker that gave or took this role's validity; undefined when there is none
   *  or the audit could not be read. */
  readonly latestAudit?: { readonly action: string; readonly until: string | null };
}

/** One schema, role and object class, with a list of what is missing there and one of what is extra. */
export interface ObjectClassLists {
  readonly schema: string;
  readonly role: string;
  readonly objectClass: ObjectAccessFacts['objectClass'];
  readonly missing: readonly string[];
  readonly extra: readonly string[];
}

/** One count that differs from the model: the privileges the role lacks on some objects, and those it holds beyond it. */
export type PrivilegeQuestion = ObjectClassLists;

/** The answer: schema-qualified names of the objects lacking one of `missing`, and of those holding one of `extra`. */
export type PrivilegeNames = ObjectClassLists;

export interface ForeignGrantFacts {
  readonly objectClass: 'server' | 'wrapper';
  readonly name: string;
  /** A managed role, or PUBLIC. */
  readonly role: string;
  readonly privilege: string;
  readonly grantable: boolean;
  readonly grantor: string;
  /** The grant is the inspecting (applying) user's own. */
  readonly byApplier: boolean;
  /** The inspecting user may SET ROLE to the grantor (16+: the SET option; 15: membership). */
  readonly grantorSettable: boolean;
  /** Whom the holder granted the privilege from its grant option ('PUBLIC' included). */
  readonly passedOn: readonly string[];
}

export interface OwnedOutsideFacts {
  /** The managed role that owns it. */
  readonly role: string;
  readonly kind: 'SCHEMA' | MisownedObject['kind'];
  readonly schema: string;
  /** null for a schema. */
  readonly name: string | null;
  readonly args: string | null;
  /** The owning role may look up names in the schema (whoever inherits its privileges then may too). */
  readonly schemaUsable: boolean;
}
