// Strict parsing of a role-model spec: every problem is reported with the field path that holds it,
// and nothing downstream ever sees an unchecked value.
import {
  FIREFIGHTER_SLOTS,
  LOGIN_ROLE_SLOTS,
  LOGIN_SUFFIX_BYTES,
  type DatabaseSpec,
  type RoleModelSpec,
} from './spec.js';
import { CLUSTER_ID } from './identifier-rules.js';
import { Checker, describe, join, SpecError, type Obj } from './spec-checker.js';
import { didYouMean } from './suggest.js';
import { rangeOf, valuesOf } from './spec-shape.js';
import { checkExtraRoleMembers, checkExtraRoles } from './validate-extra-roles.js';
import { checkGuardrails, checkSearchPathSchemas } from './validate-guardrails.js';

export { SpecError, type SpecIssue } from './spec-checker.js';

function checkLoginRole(c: Checker, value: unknown, path: string, firefighter: boolean): void {
  const r = c.shape(value, path, firefighter ? 'firefighterRole' : 'loginRole');
  if (!r) return;
  c.integer(r.maxLogins, join(path, 'maxLogins'), rangeOf('firefighterRole', 'maxLogins'));
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
  const d = c.shape(value, path, 'database');
  if (!d) return;
  checkExtraRoles(c, d.extraRoles, join(path, 'extraRoles'));
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
  const roles = d.roles === undefined ? undefined : c.shape(d.roles, rolesPath, 'roles');
  if (!roles) return;
  const owner = roles.owner === undefined ? undefined : c.shape(roles.owner, join(rolesPath, 'owner'), 'owner');
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
  const modes = valuesOf('root', 'firefighterLogins');
  if (mode !== undefined && !modes.includes(mode as string)) {
    c.fail('firefighterLogins', `must be ${modes.map((m) => JSON.stringify(m)).join(' or ')}, got ${describe(mode)}${didYouMean(mode, modes)}`);
    return;
  }
  const minutes = root.firefighterMinutesPerIncident;
  c.integer(minutes, 'firefighterMinutesPerIncident', rangeOf('root', 'firefighterMinutesPerIncident'));
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

/** A role of the whole cluster (admin, passwordBroker, verifier) at the top of the spec; undefined when absent. */
function checkClusterRole(c: Checker, value: unknown, path: string): Obj | undefined {
  if (value === undefined) return undefined;
  const r = c.shape(value, path, 'clusterRole');
  if (!r) return undefined;
  c.identifier(r.name, join(path, 'name'), 'role');
  c.boolean(r.adopt, join(path, 'adopt'));
  c.connectionLimit(r.connectionLimit, join(path, 'connectionLimit'));
  c.boolean(r.iam, join(path, 'iam'));
  return r;
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
  const root = c.shape(input, '', 'root');
  if (!root) throw new SpecError(c.issues);
  if (root.$schema !== undefined && (typeof root.$schema !== 'string' || root.$schema.length === 0 || root.$schema.length > 2048)) {
    c.fail('$schema', `must be the URL or path of a JSON Schema, got ${describe(root.$schema)}`);
  }
  checkPerPerson(c, root);
  if (root.cluster !== undefined && (typeof root.cluster !== 'string' || !CLUSTER_ID.test(root.cluster))) {
    c.fail('cluster', `must be an Aurora cluster identifier (a letter, then letters, digits or hyphens, at most 63), got ${describe(root.cluster)}`);
  }
  const admin = checkClusterRole(c, root.admin, 'admin');
  if (admin?.iam === true) {
    // The master stays a member of the admin role (it runs db_admin through SET ROLE). On PostgreSQL 15 every
    // membership carries privileges, so an admin in rds_iam would give the master rds_iam's, and Aurora would
    // then accept only an IAM token for the master: the first apply would lock it out.
    c.fail('admin.iam', 'the master is a member of the admin role, so rds_iam on it would make Aurora refuse the master\'s password (PostgreSQL 15: membership is inheritance). Remove "iam"; log in as the admin with a password from a secret');
  }
  checkClusterRole(c, root.passwordBroker, 'passwordBroker');
  checkClusterRole(c, root.verifier, 'verifier');
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
    for (const slot of LOGIN_ROLE_SLOTS) {
      checkSearchPathSchemas(db.roles[slot].guardrails?.searchPath, db.schemas, `databases[${i}].roles.${slot}.guardrails.searchPath`, (path, message) => c.fail(path, message));
    }
  });
  if (c.issues.length > 0) throw new SpecError(c.issues);
  return spec;
}
