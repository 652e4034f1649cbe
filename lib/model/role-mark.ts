// Which spec a role belongs to. Every role the engine creates carries a mark in its comment
// (`COMMENT ON ROLE`), so a spec never takes over a role it did not create and two specs never fight over one.
//
// What identifies a spec: its `cluster` plus the databases it manages. A database role is marked with the
// cluster and its one database; the cluster-level admin and broker with the cluster and every database of
// the spec. A spec claims a marked role when the cluster matches and, for a database role, the database
// matches, or, for admin and broker, the spec shares at least one database with the mark (so a spec that
// adds a database keeps its admin). Anything else is another spec's role and is refused, both named.
// Only PostgreSQL roles with CREATEROLE (and ADMIN OPTION on the role, 16+) can change a comment; a managed
// login cannot mark or unmark itself.
import type { ManagedRole, RoleModel } from './model.js';
import type { RoleModelSpec } from '../spec/spec.js';
import { managedRoleNames } from '../spec/validate.js';

export const ROLE_MARK_PREFIX = 'cdk-aurora-firefighter:';

export interface RoleMark {
  readonly cluster: string;
  readonly databases: readonly string[];
}

/** The databases a role serves: its own, or every database of the spec for admin and broker. */
export function markFor(spec: RoleModelSpec, role: Pick<ManagedRole, 'database'>): RoleMark {
  return { cluster: spec.cluster, databases: role.database !== undefined ? [role.database] : spec.databases.map((d) => d.name) };
}

export function renderMark(mark: RoleMark): string {
  return `${ROLE_MARK_PREFIX}${JSON.stringify({ cluster: mark.cluster, databases: mark.databases })}`;
}

/** undefined: no mark (a role this library did not create); null: a mark it cannot read. */
export function parseMark(comment: string | null | undefined): RoleMark | null | undefined {
  if (!comment?.startsWith(ROLE_MARK_PREFIX)) return undefined;
  try {
    const value = JSON.parse(comment.slice(ROLE_MARK_PREFIX.length)) as Partial<RoleMark>;
    if (typeof value.cluster !== 'string' || !Array.isArray(value.databases) || !value.databases.every((d) => typeof d === 'string')) return null;
    return { cluster: value.cluster, databases: value.databases };
  } catch {
    return null;
  }
}

export function describeMark(mark: RoleMark): string {
  return `the role model of cluster "${mark.cluster}" for database${mark.databases.length === 1 ? '' : 's'} ${mark.databases.map((d) => `"${d}"`).join(', ')}`;
}

export type Claim =
  | { readonly kind: 'create' | 'own' | 'adopt' | 'remark'; readonly role: ManagedRole }
  | { readonly kind: 'refuse'; readonly role: ManagedRole; readonly reason: string };

/** How the spec stands to each managed role, given the comments of those that exist. */
export function claimRoles(model: RoleModel, existing: ReadonlyMap<string, string | null>): Claim[] {
  const paths = new Map(managedRoleNames(model).map((r) => [r.name, r]));
  const ours = describeMark(markFor(model, { database: undefined }));
  return model.managed.map((role): Claim => {
    if (!existing.has(role.name)) return { kind: 'create', role };
    const declared = paths.get(role.name);
    const field = declared?.path ?? role.name;
    const mark = parseMark(existing.get(role.name));
    const want = markFor(model, role);
    if (mark === undefined) {
      if (declared?.adopt) return { kind: 'adopt', role };
      return {
        kind: 'refuse', role,
        reason: `role "${role.name}" (${field}) already exists and was not created by cdk-aurora-firefighter; to take it over, set "adopt": true on that role and review what \`rolemodel plan\` changes, or choose another name`,
      };
    }
    if (mark === null) {
      return { kind: 'refuse', role, reason: `role "${role.name}" (${field}) carries an unreadable cdk-aurora-firefighter mark; check its comment (\\drg+ or shobj_description) and set it with COMMENT ON ROLE, or choose another name` };
    }
    const sameCluster = mark.cluster === model.cluster;
    const shares = mark.databases.some((d) => want.databases.includes(d));
    if (!sameCluster || !shares) {
      return {
        kind: 'refuse', role,
        reason: `role "${role.name}" (${field}) belongs to ${describeMark(mark)}, but this spec is ${ours}; two specs cannot manage one role: choose another name (to move the role, clear its comment with COMMENT ON ROLE ... IS NULL and adopt it)`,
      };
    }
    const same = mark.databases.length === want.databases.length && mark.databases.every((d) => want.databases.includes(d));
    return { kind: same ? 'own' : 'remark', role };
  });
}

export class RoleClaimError extends Error {
  constructor(readonly reasons: readonly string[]) {
    super(`the spec names roles it may not manage; nothing was changed:\n${reasons.map((r) => `  - ${r}`).join('\n')}`);
    this.name = 'RoleClaimError';
  }
}
