// The access each managed role must have, derived from the spec. Verification compares the server's
// effective privileges (has_*_privilege, which follows memberships and PUBLIC) with this.
import { isPerPerson, type DatabaseSpec, type RoleModelSpec, type RoleProfile } from '../spec/spec.js';

export type RoleKind = 'admin' | 'broker' | 'owner' | 'migrator' | 'app' | 'firefighterRo' | 'firefighterRw' | 'extra' | 'verifier';

export const TABLE_PRIVILEGES_16 = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;
export const SEQUENCE_PRIVILEGES = ['USAGE', 'SELECT', 'UPDATE'] as const;

export function tablePrivileges(major: number): string[] {
  return major >= 17 ? [...TABLE_PRIVILEGES_16, 'MAINTAIN'] : [...TABLE_PRIVILEGES_16];
}

export interface RoleAttributes {
  readonly login: boolean;
  readonly inherit: boolean;
  readonly createRole: boolean;
  readonly createDb: boolean;
  readonly connectionLimit: number;
}

export interface ManagedRole extends RoleAttributes {
  readonly name: string;
  readonly kind: RoleKind;
  /** Database the role belongs to; undefined for the cluster-level admin and broker. */
  readonly database?: string;
  readonly iam: boolean;
  /** Extra roles only: the privilege profile (PROFILE_GRANTS). */
  readonly profile?: RoleProfile;
}

/** Object privileges a role must hold on every object of a class in the application schemas. */
export interface ObjectGrants {
  readonly tables: readonly string[];
  readonly sequences: readonly string[];
  readonly routines: readonly string[];
}

export const OBJECT_GRANTS: Record<'migrator' | 'app' | 'firefighterRo' | 'firefighterRw' | 'broker' | 'verifier', ObjectGrants> = {
  // The migrator holds nothing itself: it works only after SET ROLE owner.
  migrator: { tables: [], sequences: [], routines: [] },
  app: { tables: ['SELECT', 'INSERT', 'UPDATE'], sequences: ['USAGE', 'SELECT'], routines: ['EXECUTE'] },
  firefighterRo: { tables: ['SELECT'], sequences: ['SELECT'], routines: [] },
  firefighterRw: { tables: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'], sequences: ['USAGE', 'SELECT'], routines: [] },
  broker: { tables: [], sequences: [], routines: [] },
  // Reads the catalog only (rolemodel verify): CONNECT, nothing in any schema.
  verifier: { tables: [], sequences: [], routines: [] },
};

/**
 * Each profile of an extra role IS one slot's privilege set (not a copy), so a change to what the app or a
 * firefighter may do reaches every role of that profile, and no profile can hold DDL, TRUNCATE or ownership.
 */
export const PROFILE_GRANTS: Record<RoleProfile, 'firefighterRo' | 'app' | 'firefighterRw'> = { read: 'firefighterRo', write: 'app', 'write-delete': 'firefighterRw' };

export function managedRoles(spec: RoleModelSpec): ManagedRole[] {
  const none = { createRole: false, createDb: false };
  const roles: ManagedRole[] = [
    { name: spec.admin.name, kind: 'admin', login: true, inherit: true, createRole: true, createDb: true, connectionLimit: spec.admin.connectionLimit ?? -1, iam: spec.admin.iam ?? false },
    { name: spec.passwordBroker.name, kind: 'broker', login: true, inherit: true, ...none, connectionLimit: spec.passwordBroker.connectionLimit ?? 3, iam: spec.passwordBroker.iam ?? true },
    ...(spec.verifier ? [{ name: spec.verifier.name, kind: 'verifier' as const, login: true, inherit: true, ...none, connectionLimit: spec.verifier.connectionLimit ?? 3, iam: spec.verifier.iam ?? false }] : []),
  ];
  // Per-person mode: the firefighter roles are groups; each person's login is a member (db_admin creates it).
  const firefighterLogin = !isPerPerson(spec);
  for (const db of spec.databases) {
    const r = db.roles;
    roles.push(
      { name: r.owner.name, kind: 'owner', database: db.name, login: false, inherit: true, ...none, connectionLimit: -1, iam: false },
      // NOINHERIT: on 15 there are no per-grant options, and a migrator that inherited the owner's
      // privileges could create objects it would own itself without SET ROLE.
      { name: r.migrator.name, kind: 'migrator', database: db.name, login: true, inherit: false, ...none, connectionLimit: r.migrator.connectionLimit ?? -1, iam: r.migrator.iam ?? false },
      { name: r.app.name, kind: 'app', database: db.name, login: true, inherit: true, ...none, connectionLimit: r.app.connectionLimit ?? -1, iam: r.app.iam ?? false },
      { name: r.firefighterRo.name, kind: 'firefighterRo', database: db.name, login: firefighterLogin, inherit: true, ...none, connectionLimit: r.firefighterRo.connectionLimit ?? -1, iam: false },
      { name: r.firefighterRw.name, kind: 'firefighterRw', database: db.name, login: firefighterLogin, inherit: true, ...none, connectionLimit: r.firefighterRw.connectionLimit ?? -1, iam: false },
    );
    for (const x of db.extraRoles ?? []) {
      roles.push({ name: x.name, kind: 'extra', profile: x.profile, database: db.name, login: x.iam === true, inherit: true, ...none, connectionLimit: x.connectionLimit ?? -1, iam: x.iam === true });
    }
  }
  return roles;
}

/** A role whose object access is checked in a database, with the privilege set it must hold there. */
export interface CheckedRole {
  readonly name: string;
  readonly kind: keyof typeof OBJECT_GRANTS;
}

/** Roles whose object access is checked in a database: its own login roles and the broker. */
export function checkedRoles(spec: RoleModelSpec, db: DatabaseSpec): CheckedRole[] {
  return [
    { name: db.roles.migrator.name, kind: 'migrator' },
    { name: db.roles.app.name, kind: 'app' },
    { name: db.roles.firefighterRo.name, kind: 'firefighterRo' },
    { name: db.roles.firefighterRw.name, kind: 'firefighterRw' },
    { name: spec.passwordBroker.name, kind: 'broker' },
    ...(spec.verifier ? [{ name: spec.verifier.name, kind: 'verifier' as const }] : []),
    ...(db.extraRoles ?? []).map((x) => ({ name: x.name, kind: PROFILE_GRANTS[x.profile] })),
  ];
}

/** Everyone who may CONNECT to a managed database (besides its owner and the applying master). */
export function connectors(spec: RoleModelSpec, db: DatabaseSpec): string[] {
  return [spec.admin.name, db.roles.migrator.name, db.roles.app.name, db.roles.firefighterRo.name, db.roles.firefighterRw.name, spec.passwordBroker.name, ...(spec.verifier ? [spec.verifier.name] : []), ...(db.extraRoles ?? []).map((x) => x.name)];
}

/** One database of the model: its spec, with who is checked there and who may connect, derived once. */
export interface DatabaseModel extends DatabaseSpec {
  /** Roles whose object access is checked here (checkedRoles). */
  readonly checked: readonly CheckedRole[];
  /** Everyone who may CONNECT besides its owner and the applying master (connectors). */
  readonly connectors: readonly string[];
}

/**
 * The spec resolved once: what plan, apply, verify and every check take (spec -> model -> diff -> plan). It is
 * the spec itself plus what is derived from it, so a check reads names from it as from the spec and never
 * derives the managed roles again.
 */
export interface RoleModel extends RoleModelSpec {
  readonly databases: readonly DatabaseModel[];
  /** Every role the spec manages, cluster-level first (managedRoles). */
  readonly managed: readonly ManagedRole[];
  readonly managedNames: ReadonlySet<string>;
  /** Per-person firefighter logins: the firefighter roles are NOLOGIN groups. */
  readonly perPerson: boolean;
}

/** Resolves a validated spec (parseSpec) into the model. */
export function resolveModel(spec: RoleModelSpec): RoleModel {
  const managed = managedRoles(spec);
  return {
    ...spec,
    databases: spec.databases.map((db) => ({ ...db, checked: checkedRoles(spec, db), connectors: connectors(spec, db) })),
    managed,
    managedNames: new Set(managed.map((r) => r.name)),
    perPerson: isPerPerson(spec),
  };
}

