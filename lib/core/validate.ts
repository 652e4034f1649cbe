// Strict parsing of a role-model spec: every problem is reported with the field path that holds it,
// and nothing downstream ever sees an unchecked value.
import {
  FIREFIGHTER_SLOTS,
  LOGIN_ROLE_SLOTS,
  LOGIN_SUFFIX_BYTES,
  type DatabaseSpec,
  type Guardrails,
  type LoginRoleSpec,
  type RoleModelSpec,
} from './spec.js';
import { invisibleCharacterProblem } from './text-rules.js';
import { checkExtraRoleMembers, checkExtraRoles } from './validate-extra-roles.js';

export interface SpecIssue {
  /** e.g. `databases[0].roles.app.name` */
  readonly path: string;
  readonly message: string;
}

export class SpecError extends Error {
  constructor(readonly issues: readonly SpecIssue[]) {
    super(`invalid role-model spec:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

const MAX_IDENTIFIER_BYTES = 63;
const RESERVED_ROLE_NAMES = new Set(['public', 'none', 'current_user', 'session_user', 'current_role', 'rdsadmin', 'postgres']);
const RESERVED_DATABASES = new Set(['postgres', 'template0', 'template1', 'rdsadmin']);
const RESERVED_SCHEMAS = new Set(['public', 'db_admin', 'information_schema']);
const DURATION = /^([0-9]{1,9})(us|ms|s|min|h|d)?$/;
/** Milliseconds per unit; a bare number is milliseconds for every timeout we set. */
const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
/** A timeout under a second (or 0, which disables it) is no guardrail; PostgreSQL's own ceiling is INT_MAX ms. */
const MIN_TIMEOUT_MS = 1000;
const MAX_TIMEOUT_MS = 2_147_483_647;
const CLUSTER_ID = /^[a-zA-Z][a-zA-Z0-9-]{0,62}$/;

type Obj = Record<string, unknown>;

export class Checker {
  readonly issues: SpecIssue[] = [];

  fail(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  object(value: unknown, path: string, allowed: readonly string[], required: readonly string[]): Obj | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path || '(root)', `must be an object, got ${describe(value)}`);
      return undefined;
    }
    const obj = value as Obj;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail(join(path, key), `unknown key; allowed keys are ${allowed.join(', ')}`);
    }
    for (const key of required) {
      if (obj[key] === undefined) this.fail(join(path, key), 'is required');
    }
    return obj;
  }

  identifier(value: unknown, path: string, kind: 'role' | 'schema' | 'database'): string | undefined {
    if (typeof value !== 'string' || value.length === 0) {
      this.fail(path, `must be a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_IDENTIFIER_BYTES) {
      this.fail(path, `"${value.slice(0, 20)}..." is ${bytes} bytes; PostgreSQL truncates identifiers to 63 bytes, use a shorter name`);
    }
    // A name that looks like another in a log, a plan or \du is a way to hide a role; refuse what cannot be seen.
    const invisible = invisibleCharacterProblem(value);
    if (invisible) this.fail(path, invisible);
    if (kind !== 'database' && /^(pg_|rds_)/i.test(value)) {
      this.fail(path, `"${value}" starts with a reserved prefix (pg_ or rds_); choose another name`);
    }
    if (kind === 'role' && RESERVED_ROLE_NAMES.has(value.toLowerCase())) this.fail(path, `"${value}" is a reserved role name`);
    if (kind === 'database' && RESERVED_DATABASES.has(value)) this.fail(path, `"${value}" is a system database; manage your own database`);
    if (kind === 'schema' && RESERVED_SCHEMAS.has(value)) this.fail(path, `"${value}" is managed separately; list only application schemas`);
    return value;
  }

  connectionLimit(value: unknown, path: string): void {
    if (value === undefined) return;
    if (!Number.isInteger(value) || (value as number) < -1 || (value as number) > 100_000) {
      this.fail(path, `must be an integer from -1 (no limit) to 100000, got ${describe(value)}`);
    }
  }

  boolean(value: unknown, path: string): void {
    if (value !== undefined && typeof value !== 'boolean') this.fail(path, `must be true or false, got ${describe(value)}`);
  }
}

function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function checkGuardrails(c: Checker, value: unknown, path: string): void {
  if (value === undefined) return;
  const g = c.object(value, path, ['statementTimeout', 'lockTimeout', 'idleInTransactionSessionTimeout', 'searchPath'], []);
  if (!g) return;
  for (const key of ['statementTimeout', 'lockTimeout', 'idleInTransactionSessionTimeout'] as const) {
    const v = g[key];
    if (v === undefined) continue;
    const m = typeof v === 'string' ? DURATION.exec(v) : null;
    if (!m) {
      c.fail(join(path, key), `must be a duration such as "5min", "30s" or "500ms", got ${describe(v)}`);
      continue;
    }
    const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
    if (ms < MIN_TIMEOUT_MS) {
      c.fail(join(path, key), `${describe(v)} ${ms === 0 ? 'disables the timeout' : 'is under 1 second, which defeats the timeout'}; use at least "1s", or remove the field`);
    } else if (ms > MAX_TIMEOUT_MS) {
      c.fail(join(path, key), `${describe(v)} is longer than PostgreSQL's maximum of 2147483647ms (about 24 days); use a shorter duration`);
    }
  }
  const sp = g.searchPath;
  if (sp !== undefined) {
    if (!Array.isArray(sp) || sp.length === 0) c.fail(join(path, 'searchPath'), `must be a non-empty array of schema names, got ${describe(sp)}`);
    else sp.forEach((s, i) => {
      if (s === 'public') return;
      c.identifier(s, join(join(path, 'searchPath'), i), 'database');
    });
  }
}

function checkLoginRole(c: Checker, value: unknown, path: string, firefighter: boolean): void {
  const r = c.object(value, path, firefighter ? ['name', 'adopt', 'connectionLimit', 'iam', 'guardrails', 'maxLogins'] : ['name', 'adopt', 'connectionLimit', 'iam', 'guardrails'], ['name']);
  if (!r) return;
  if (r.maxLogins !== undefined && (!Number.isInteger(r.maxLogins) || (r.maxLogins as number) < 1 || (r.maxLogins as number) > 1000)) {
    c.fail(join(path, 'maxLogins'), `must be an integer from 1 to 1000, got ${describe(r.maxLogins)}`);
  }
  c.identifier(r.name, join(path, 'name'), 'role');
  c.boolean(r.adopt, join(path, 'adopt'));
  c.connectionLimit(r.connectionLimit, join(path, 'connectionLimit'));
  c.boolean(r.iam, join(path, 'iam'));
  if (firefighter && r.iam === true) {
    c.fail(join(path, 'iam'), 'firefighter roles log in with a temporary password; rds_iam would bypass its expiry. Remove "iam"');
  }
  checkGuardrails(c, r.guardrails, join(path, 'guardrails'));
}

function checkDatabase(c: Checker, value: unknown, path: string): void {
  const d = c.object(value, path, ['name', 'connectionLimit', 'schemas', 'revokePublicSchemaUsage', 'readWriteApproval', 'keepConnect', 'roles', 'extraRoles'], ['name', 'schemas', 'roles']);
  if (!d) return;
  checkExtraRoles(c, d.extraRoles, join(path, 'extraRoles'), checkGuardrails);
  c.boolean(d.readWriteApproval, join(path, 'readWriteApproval'));
  c.identifier(d.name, join(path, 'name'), 'database');
  c.connectionLimit(d.connectionLimit, join(path, 'connectionLimit'));
  c.boolean(d.revokePublicSchemaUsage, join(path, 'revokePublicSchemaUsage'));
  if (!Array.isArray(d.schemas) || d.schemas.length === 0) {
    if (d.schemas !== undefined) c.fail(join(path, 'schemas'), `must be a non-empty array of schema names, got ${describe(d.schemas)}`);
  } else {
    const seen = new Set<string>();
    d.schemas.forEach((s, i) => {
      const name = c.identifier(s, join(join(path, 'schemas'), i), 'schema');
      if (name !== undefined && seen.has(name)) c.fail(join(join(path, 'schemas'), i), `duplicate schema "${name}"`);
      if (name !== undefined) seen.add(name);
    });
  }
  if (d.keepConnect !== undefined) {
    if (!Array.isArray(d.keepConnect)) c.fail(join(path, 'keepConnect'), `must be an array of role names, got ${describe(d.keepConnect)}`);
    else d.keepConnect.forEach((r, i) => c.identifier(r, join(join(path, 'keepConnect'), i), 'role'));
  }
  const rolesPath = join(path, 'roles');
  const roles = d.roles === undefined ? undefined : c.object(d.roles, rolesPath, ['owner', ...LOGIN_ROLE_SLOTS], ['owner', ...LOGIN_ROLE_SLOTS]);
  if (!roles) return;
  const owner = c.object(roles.owner, join(rolesPath, 'owner'), ['name', 'adopt'], ['name']);
  if (owner) {
    c.identifier(owner.name, join(join(rolesPath, 'owner'), 'name'), 'role');
    c.boolean(owner.adopt, join(join(rolesPath, 'owner'), 'adopt'));
  }
  for (const slot of LOGIN_ROLE_SLOTS) {
    if (roles[slot] !== undefined) {
      checkLoginRole(c, roles[slot], join(rolesPath, slot), (FIREFIGHTER_SLOTS as readonly string[]).includes(slot));
    }
  }
}

/** The per-person options: the mode itself, and what only makes sense with it. */
function checkPerPerson(c: Checker, root: Obj): void {
  const mode = root.firefighterLogins;
  if (mode !== undefined && mode !== 'shared' && mode !== 'per-person') {
    c.fail('firefighterLogins', `must be "shared" or "per-person", got ${describe(mode)}`);
    return;
  }
  const minutes = root.firefighterMinutesPerIncident;
  if (minutes !== undefined && (!Number.isInteger(minutes) || (minutes as number) < 60 || (minutes as number) > 1440)) {
    c.fail('firefighterMinutesPerIncident', `must be an integer from 60 to 1440, got ${describe(minutes)}`);
  }
  // firefighterMinutesPerIncident holds in both modes: shared roles are extended within it too.
  if (mode === 'per-person' || !Array.isArray(root.databases)) return;
  const why = 'needs "firefighterLogins": "per-person" at the top of the spec';
  root.databases.forEach((db: unknown, i) => {
    if (typeof db !== 'object' || db === null) return;
    const d = db as Obj;
    if (d.readWriteApproval === true) c.fail(`databases[${i}].readWriteApproval`, why);
    const roles = d.roles as Obj | undefined;
    for (const slot of FIREFIGHTER_SLOTS) {
      const r = roles?.[slot] as Obj | undefined;
      if (r && typeof r === 'object' && r.maxLogins !== undefined) c.fail(`databases[${i}].roles.${slot}.maxLogins`, why);
    }
  });
}

/** Every role name the spec manages, with the field path that declares it and whether the spec adopts it. */
export function managedRoleNames(spec: RoleModelSpec): { name: string; path: string; adopt: boolean }[] {
  const out = [
    { name: spec.admin.name, path: 'admin.name', adopt: spec.admin.adopt === true },
    { name: spec.passwordBroker.name, path: 'passwordBroker.name', adopt: spec.passwordBroker.adopt === true },
    ...(spec.verifier ? [{ name: spec.verifier.name, path: 'verifier.name', adopt: spec.verifier.adopt === true }] : []),
  ];
  spec.databases.forEach((db, i) => {
    out.push({ name: db.roles.owner.name, path: `databases[${i}].roles.owner.name`, adopt: db.roles.owner.adopt === true });
    for (const slot of LOGIN_ROLE_SLOTS) out.push({ name: db.roles[slot].name, path: `databases[${i}].roles.${slot}.name`, adopt: db.roles[slot].adopt === true });
    db.extraRoles?.forEach((x, j) => out.push({ name: x.name, path: `databases[${i}].extraRoles[${j}].name`, adopt: x.adopt === true }));
  });
  return out;
}

/**
 * Parses and validates a spec (e.g. from JSON). Throws SpecError listing every problem, each with
 * the path of the field to change; returns the spec unchanged when it is valid.
 */
export function parseSpec(input: unknown): RoleModelSpec {
  const c = new Checker();
  const root = c.object(input, '', ['$schema', 'cluster', 'firefighterLogins', 'firefighterMinutesPerIncident', 'admin', 'passwordBroker', 'verifier', 'databases'], ['cluster', 'admin', 'passwordBroker', 'databases']);
  if (!root) throw new SpecError(c.issues);
  checkPerPerson(c, root);
  if (root.cluster !== undefined && (typeof root.cluster !== 'string' || !CLUSTER_ID.test(root.cluster))) {
    c.fail('cluster', `must be an Aurora cluster identifier (a letter, then letters, digits or hyphens, at most 63), got ${describe(root.cluster)}`);
  }
  const admin = root.admin === undefined ? undefined : c.object(root.admin, 'admin', ['name', 'adopt', 'connectionLimit', 'iam'], ['name']);
  if (admin) {
    c.identifier(admin.name, 'admin.name', 'role');
    c.boolean(admin.adopt, 'admin.adopt');
    c.connectionLimit(admin.connectionLimit, 'admin.connectionLimit');
    c.boolean(admin.iam, 'admin.iam');
    if (admin.iam === true) {
      // The master stays a member of the admin role (it runs db_admin through SET ROLE). On PostgreSQL 15 every
      // membership carries privileges, so an admin in rds_iam would give the master rds_iam's, and Aurora would
      // then accept only an IAM token for the master: the first apply would lock it out.
      c.fail('admin.iam', 'the master is a member of the admin role, so rds_iam on it would make Aurora refuse the master\'s password (PostgreSQL 15: membership is inheritance). Remove "iam"; log in as the admin with a password from a secret');
    }
  }
  const broker = root.passwordBroker === undefined ? undefined : c.object(root.passwordBroker, 'passwordBroker', ['name', 'adopt', 'connectionLimit', 'iam'], ['name']);
  if (broker) {
    c.identifier(broker.name, 'passwordBroker.name', 'role');
    c.boolean(broker.adopt, 'passwordBroker.adopt');
    c.connectionLimit(broker.connectionLimit, 'passwordBroker.connectionLimit');
    c.boolean(broker.iam, 'passwordBroker.iam');
  }
  const verifier = root.verifier === undefined ? undefined : c.object(root.verifier, 'verifier', ['name', 'adopt', 'connectionLimit', 'iam'], ['name']);
  if (verifier) {
    c.identifier(verifier.name, 'verifier.name', 'role');
    c.boolean(verifier.adopt, 'verifier.adopt');
    c.connectionLimit(verifier.connectionLimit, 'verifier.connectionLimit');
    c.boolean(verifier.iam, 'verifier.iam');
  }
  if (root.databases !== undefined) {
    if (!Array.isArray(root.databases) || root.databases.length === 0) {
      c.fail('databases', `must be a non-empty array, got ${describe(root.databases)}`);
    } else {
      root.databases.forEach((db, i) => checkDatabase(c, db, `databases[${i}]`));
    }
  }
  if (c.issues.length > 0) throw new SpecError(c.issues);

  const spec = input as RoleModelSpec;
  const seenRoles = new Map<string, string>();
  for (const { name, path } of managedRoleNames(spec)) {
    const first = seenRoles.get(name);
    if (first) c.fail(path, `role "${name}" is already used by ${first}; every managed role needs its own name`);
    else seenRoles.set(name, path);
  }
  checkExtraRoleMembers(spec, seenRoles, (path, message) => c.fail(path, message));
  const seenDbs = new Map<string, number>();
  spec.databases.forEach((db: DatabaseSpec, i) => {
    for (const slot of FIREFIGHTER_SLOTS) {
      const name = db.roles[slot].name;
      if (spec.firefighterLogins === 'per-person' && Buffer.byteLength(name, 'utf8') > 63 - LOGIN_SUFFIX_BYTES) {
        c.fail(`databases[${i}].roles.${slot}.name`, `"${name}" is ${Buffer.byteLength(name, 'utf8')} bytes; per-person logins add ${LOGIN_SUFFIX_BYTES} (e.g. _7f3a9c) and a role name holds 63, so use at most ${63 - LOGIN_SUFFIX_BYTES}`);
      }
    }
    const first = seenDbs.get(db.name);
    if (first !== undefined) c.fail(`databases[${i}].name`, `database "${db.name}" is already declared by databases[${first}]`);
    else seenDbs.set(db.name, i);
    db.keepConnect?.forEach((r, j) => {
      const managed = seenRoles.get(r);
      if (managed) c.fail(`databases[${i}].keepConnect[${j}]`, `"${r}" is managed (${managed}); keepConnect lists unmanaged roles only`);
    });
    const ownSchemas = new Set(db.schemas);
    for (const slot of LOGIN_ROLE_SLOTS) {
      const role: LoginRoleSpec = db.roles[slot];
      const sp: Guardrails['searchPath'] = role.guardrails?.searchPath;
      sp?.forEach((s, j) => {
        if (s !== 'public' && !ownSchemas.has(s)) {
          c.fail(`databases[${i}].roles.${slot}.guardrails.searchPath[${j}]`, `schema "${s}" is not one of this database's schemas (${db.schemas.join(', ')})`);
        }
      });
    }
  });
  if (c.issues.length > 0) throw new SpecError(c.issues);
  return spec;
}
