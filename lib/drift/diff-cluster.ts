// Cluster-wide part of the plan: roles and their adoption here; memberships (diff-memberships.ts), databases and
// their ACLs (diff-cluster-database.ts) and role settings (diff-settings.ts) in their own files.
import type { ClusterFacts, RoleFacts } from './facts.js';
import type { ManagedRole, RoleAttributes, RoleModel } from '../model/model.js';
import { diffClusterDatabase } from './checks/diff-cluster-database.js';
import { diffExtraRoleMembers } from './checks/diff-extra-roles.js';
import { diffMemberships } from './checks/diff-memberships.js';
import { diffIssuedLogins } from './checks/diff-issued-logins.js';
import { diffUnmanagedMembers } from './checks/diff-unmanaged-members.js';
import { EXPIRED } from './checks/diff-passwords.js';
import { diffSettings } from './checks/diff-settings.js';
import type { DiffResult, Finding, Step } from '../plan/plan-types.js';
import { claimRoles, markFor, renderMark, RoleClaimError } from '../model/role-mark.js';
import { quoteIdent, quoteLiteral } from '../plan/sql-text.js';

export { parseSearchPath } from './checks/diff-settings.js';

export function majorOf(facts: Pick<ClusterFacts, 'serverVersionNum'>): number {
  return Math.floor(facts.serverVersionNum / 10_000);
}

function attributeSql(role: RoleAttributes): string {
  return [
    role.login ? 'LOGIN' : 'NOLOGIN',
    role.inherit ? 'INHERIT' : 'NOINHERIT',
    role.createDb ? 'CREATEDB' : 'NOCREATEDB',
    role.createRole ? 'CREATEROLE' : 'NOCREATEROLE',
    'NOSUPERUSER NOREPLICATION NOBYPASSRLS',
    `CONNECTION LIMIT ${role.connectionLimit}`,
  ].join(' ');
}

function alterAttributes(want: RoleAttributes, have: RoleFacts): string {
  const out: string[] = [];
  if (want.login !== have.login) out.push(want.login ? 'LOGIN' : 'NOLOGIN');
  if (want.inherit !== have.inherit) out.push(want.inherit ? 'INHERIT' : 'NOINHERIT');
  if (want.createDb !== have.createDb) out.push(want.createDb ? 'CREATEDB' : 'NOCREATEDB');
  if (want.createRole !== have.createRole) out.push(want.createRole ? 'CREATEROLE' : 'NOCREATEROLE');
  if (want.connectionLimit !== have.connectionLimit) out.push(`CONNECTION LIMIT ${want.connectionLimit}`);
  return out.join(' ');
}

function attributeDifferences(want: ManagedRole, have: RoleFacts): string[] {
  const out: string[] = [];
  const check = (label: string, w: unknown, h: unknown) => {
    if (w !== h) out.push(`${label} is ${String(h)}, expected ${String(w)}`);
  };
  check('login', want.login, have.login);
  check('inherit', want.inherit, have.inherit);
  check('createrole', want.createRole, have.createRole);
  check('createdb', want.createDb, have.createDb);
  // SUPERUSER, REPLICATION, BYPASSRLS: lib/drift/checks/privileged-roles.ts (the master cannot change them).
  check('connection limit', want.connectionLimit, have.connectionLimit);
  return out;
}

/**
 * Compares the cluster-wide state with the spec. Steps are ordered as they must run. Throws RoleClaimError,
 * before planning anything, when the spec names a role it did not create (and does not adopt) or another
 * spec's role.
 */
export function diffCluster(model: RoleModel, facts: ClusterFacts): DiffResult {
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const v16 = majorOf(facts) >= 16;
  const roles = model.managed;

  if (roles.some((r) => r.iam) && !facts.existingRoles.includes('rds_iam')) {
    throw new Error('role rds_iam does not exist: this server is not Aurora/RDS; create it (NOLOGIN) to emulate IAM authentication locally, or set "iam": false in the spec');
  }

  const comments = new Map((facts.roleComments ?? []).map((c) => [c.name, c.comment]));
  const claims = claimRoles(model, new Map(facts.roles.map((r) => [r.name, comments.get(r.name) ?? null])));
  const refused = claims.flatMap((c) => (c.kind === 'refuse' ? [c.reason] : []));
  if (refused.length > 0) throw new RoleClaimError(refused);
  const adopting = new Set(claims.filter((c) => c.kind === 'adopt').map((c) => c.role.name));
  // What adopting each role changes, listed in one finding and in the plan.
  const adoptChanges = new Map<string, string[]>([...adopting].map((name) => [name, []]));
  const note = (role: string, change: string) => adoptChanges.get(role)?.push(change);
  const why = (role: string, reason: string) => (adopting.has(role) ? `adopt ${role}: ${reason}` : reason);
  const mark = (role: ManagedRole) => `COMMENT ON ROLE ${quoteIdent(role.name)} IS ${quoteLiteral(renderMark(markFor(model, role)))}`;

  for (const want of roles) {
    const have = facts.roles.find((r) => r.name === want.name);
    if (!have) {
      findings.push({ code: 'role-missing', subject: want.name, message: `role ${want.name} does not exist` });
      // A firefighter role is born expired: a password only the broker sets, with its 1 or 2 hours (diff-passwords.ts).
      const expired = want.kind === 'firefighterRo' || want.kind === 'firefighterRw' ? ` VALID UNTIL ${quoteLiteral(EXPIRED)}` : '';
      steps.push({ phase: 'roles', sql: `CREATE ROLE ${quoteIdent(want.name)} ${attributeSql(want)} PASSWORD NULL${expired}`, reason: `${want.kind} role` });
      steps.push({ phase: 'roles', sql: mark(want), reason: 'mark it as created by this role model (no other spec may claim it)' });
      continue;
    }
    const claim = claims.find((c) => c.role.name === want.name);
    if (claim?.kind === 'remark') {
      findings.push({ code: 'role-mark', subject: want.name, message: `${want.name} is marked for other databases of this cluster's role model; expected ${renderMark(markFor(model, want))}` });
      steps.push({ phase: 'roles', sql: mark(want), reason: 'record the databases this role serves' });
    }
    const diffs = attributeDifferences(want, have);
    if (diffs.length > 0) {
      findings.push({ code: 'role-attribute', subject: want.name, message: `${want.name}: ${diffs.join('; ')}` });
      for (const d of diffs) note(want.name, d);
      // Only what differs: a non-superuser may not even restate SUPERUSER, REPLICATION or BYPASSRLS.
      const changes = alterAttributes(want, have);
      if (changes) steps.push({ phase: 'roles', sql: `ALTER ROLE ${quoteIdent(want.name)} WITH ${changes}`, reason: why(want.name, `converge attributes of ${want.kind} role`) });
    }
    if (have.iam !== null && have.iam !== want.iam) {
      findings.push({ code: 'iam', subject: want.name, message: want.iam ? `${want.name} is not a member of rds_iam` : `${want.name} reaches rds_iam, but it must log in with a password` });
    }
  }

  diffMemberships(model, facts, roles, v16, { note, why }, findings, steps);

  const extra = diffExtraRoleMembers(model, facts);
  findings.push(...extra.findings);
  steps.push(...extra.steps);
  const unmanaged = diffUnmanagedMembers(model, facts);
  findings.push(...unmanaged.findings, ...diffIssuedLogins(model, facts));
  steps.push(...unmanaged.steps);

  for (const db of model.databases) diffClusterDatabase(model, db, facts, v16, findings, steps);
  diffSettings(model, facts, findings, steps);

  // Adoption first in the plan, with everything it changes spelled out.
  const adoptSteps: Step[] = [];
  for (const name of adopting) {
    const role = roles.find((r) => r.name === name);
    if (!role) continue;
    const settings = steps.filter((s) => s.sql.startsWith(`ALTER ROLE ${quoteIdent(name)} IN DATABASE `) || s.sql.startsWith(`ALTER ROLE ${quoteIdent(name)} RESET `)).map((s) => s.sql);
    const changes = [...(adoptChanges.get(name) ?? []), ...settings.map((s) => `run ${s}`)];
    const summary = changes.length > 0 ? changes.join('; ') : 'no attribute, membership or setting changes';
    findings.push({ code: 'role-adopt', subject: name, message: `adopting ${name}, which cdk-aurora-firefighter did not create: ${summary}` });
    adoptSteps.push({ phase: 'roles', sql: mark(role), reason: `adopt ${name} (${role.kind} role, not created by cdk-aurora-firefighter); it changes: ${summary}` });
  }
  return { findings, steps: dedupe([...adoptSteps, ...steps]) };
}

function dedupe(steps: Step[]): Step[] {
  const seen = new Set<string>();
  return steps.filter((s) => {
    const key = `${s.phase}\0${s.database ?? ''}\0${s.runAs ?? ''}\0${s.sql}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
