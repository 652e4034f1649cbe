// The shape of a role-model spec as one table: every object's keys (in the order messages list them), which are
// required, and each field's kind, range or allowed values. The validator (validate*.ts) reads its keys, ranges
// and allowed values from here, and spec-schema.ts writes the JSON Schema from here, so the two cannot drift
// apart on what a key is called or what it may hold. Rules across fields (unique role names, what only
// per-person mode allows, searchPath within the database's schemas, ...) stay in the validator.
import { ROLE_PROFILES } from './spec.js';
import { CLUSTER_ID, type IdentifierKind } from './identifier-rules.js';

export type ShapeName = 'root' | 'clusterRole' | 'database' | 'roles' | 'owner' | 'loginRole' | 'firefighterRole' | 'guardrails' | 'extraRole';

export type Rule =
  | { readonly kind: 'identifier'; readonly of: IdentifierKind; readonly alsoAllowed?: readonly string[] }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'string'; readonly pattern?: RegExp; readonly minLength?: number; readonly maxLength?: number; readonly description: string }
  | { readonly kind: 'array'; readonly items: Rule; readonly minItems?: number; readonly unique?: boolean }
  | { readonly kind: 'object'; readonly shape: ShapeName };

export interface Shape {
  readonly description: string;
  readonly fields: Readonly<Record<string, Rule>>;
  readonly required: readonly string[];
}

/** A PostgreSQL duration the guardrails accept: digits and a unit (a bare number is milliseconds). */
export const DURATION = /^([0-9]{1,9})(us|ms|s|min|h|d)?$/;

const role: Rule = { kind: 'identifier', of: 'role' };
const bool: Rule = { kind: 'boolean' };
const connectionLimit: Rule = { kind: 'integer', min: -1, max: 100_000 };
const duration: Rule = { kind: 'string', pattern: DURATION, description: 'a duration such as "5min", "30s" or "500ms", at least 1s' };
const loginFields = { name: role, adopt: bool, connectionLimit, iam: bool, guardrails: { kind: 'object', shape: 'guardrails' } } as const satisfies Record<string, Rule>;

export const SHAPES = {
  root: {
    description: 'A cdk-aurora-firefighter role-model spec',
    fields: {
      $schema: { kind: 'string', minLength: 1, maxLength: 2048, description: 'the URL or path of this JSON Schema (ignored by the engine)' },
      cluster: { kind: 'string', pattern: CLUSTER_ID, description: 'an Aurora cluster identifier: a letter, then letters, digits or hyphens, at most 63' },
      firefighterLogins: { kind: 'enum', values: ['shared', 'per-person'] },
      firefighterMinutesPerIncident: { kind: 'integer', min: 60, max: 1440 },
      admin: { kind: 'object', shape: 'clusterRole' },
      passwordBroker: { kind: 'object', shape: 'clusterRole' },
      verifier: { kind: 'object', shape: 'clusterRole' },
      databases: { kind: 'array', items: { kind: 'object', shape: 'database' }, minItems: 1 },
    },
    required: ['cluster', 'admin', 'passwordBroker', 'databases'],
  },
  clusterRole: { description: 'A role of the whole cluster', fields: { name: role, adopt: bool, connectionLimit, iam: bool }, required: ['name'] },
  database: {
    description: 'A managed database',
    fields: {
      name: { kind: 'identifier', of: 'database' },
      connectionLimit,
      schemas: { kind: 'array', items: { kind: 'identifier', of: 'schema' }, minItems: 1, unique: true },
      revokePublicSchemaUsage: bool,
      readWriteApproval: bool,
      keepConnect: { kind: 'array', items: role },
      roles: { kind: 'object', shape: 'roles' },
      extraRoles: { kind: 'array', items: { kind: 'object', shape: 'extraRole' } },
    },
    required: ['name', 'schemas', 'roles'],
  },
  roles: {
    description: "The database's seven roles",
    fields: {
      owner: { kind: 'object', shape: 'owner' },
      migrator: { kind: 'object', shape: 'loginRole' },
      app: { kind: 'object', shape: 'loginRole' },
      firefighterRo: { kind: 'object', shape: 'firefighterRole' },
      firefighterRw: { kind: 'object', shape: 'firefighterRole' },
    },
    required: ['owner', 'migrator', 'app', 'firefighterRo', 'firefighterRw'],
  },
  owner: { description: 'The NOLOGIN role that owns every object', fields: { name: role, adopt: bool }, required: ['name'] },
  loginRole: { description: 'A login role of the database', fields: loginFields, required: ['name'] },
  firefighterRole: {
    description: 'A firefighter role (maxLogins only with "firefighterLogins": "per-person")',
    fields: { ...loginFields, maxLogins: { kind: 'integer', min: 1, max: 1000 } },
    required: ['name'],
  },
  guardrails: {
    description: "Settings of the role's sessions",
    fields: {
      statementTimeout: duration,
      lockTimeout: duration,
      idleInTransactionSessionTimeout: duration,
      searchPath: { kind: 'array', items: { kind: 'identifier', of: 'schema', alsoAllowed: ['public'] }, minItems: 1 },
    },
    required: [],
  },
  extraRole: {
    description: 'A team role with a profile: a login ("iam": true) or a group of existing roles ("members")',
    fields: {
      name: role,
      profile: { kind: 'enum', values: [...ROLE_PROFILES] },
      adopt: bool,
      iam: bool,
      members: { kind: 'array', items: role, unique: true },
      connectionLimit,
      guardrails: { kind: 'object', shape: 'guardrails' },
    },
    required: ['name', 'profile'],
  },
} as const satisfies Record<ShapeName, Shape>;


/** The keys of a shape, in order: what Checker.object allows. */
export function keysOf(name: ShapeName): string[] {
  return Object.keys(SHAPES[name].fields);
}

/** An integer field's range, e.g. rangeOf('firefighterRole', 'maxLogins'). */
export function rangeOf(name: ShapeName, field: string): { min: number; max: number } {
  const rule = (SHAPES[name].fields as Record<string, Rule>)[field];
  if (rule?.kind !== 'integer') throw new Error(`${name}.${field} is not an integer field`);
  return rule;
}

/** An enum field's values. */
export function valuesOf(name: ShapeName, field: string): readonly string[] {
  const rule = (SHAPES[name].fields as Record<string, Rule>)[field];
  if (rule?.kind !== 'enum') throw new Error(`${name}.${field} is not an enum field`);
  return rule.values;
}
