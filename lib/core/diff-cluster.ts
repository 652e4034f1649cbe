// Cluster-wide part of the plan: roles, memberships, databases, database ACLs and role settings.
import type { ClusterFacts, MembershipFacts, RoleFacts } from './facts.js';
import { connectors, managedRoles, type ManagedRole, type RoleAttributes } from './model.js';
import { diffExtraRoleMembers } from './diff-extra-roles.js';
import { EXPIRED } from './diff-passwords.js';
import { diffSettings } from './diff-settings.js';
import type { DiffResult, Finding, Step } from './plan-types.js';
import { claimRoles, markFor, renderMark, RoleClaimError } from './role-mark.js';
import { LOGIN_SUFFIX_BYTES, type DatabaseSpec, type RoleModelSpec } from './spec.js';
import { quoteIdent, quoteIdents, quoteLiteral } from './sql-text.js';

export { parseSearchPath } from './diff-settings.js';

/** Memberships the engine never revokes by itself: AWS's and PostgreSQL's predefined roles. rds_iam is the
 *  exception, because the spec decides it (`iam`) and a firefighter must never reach it. */
export function isReservedRole(role: string): boolean {
  return /^(rds_|pg_)/.test(role) && role !== 'rds_iam';
}

interface WantedMembership {
  readonly role: string;
  readonly member: string;
  readonly admin: boolean;
  /** Checked on 16+ only (15 has no per-grant options). undefined: not checked. */
  readonly inherit?: boolean;
  readonly set?: boolean;
  readonly why: string;
}

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
  // SUPERUSER, REPLICATION, BYPASSRLS: lib/core/privileged-roles.ts (the master cannot change them).
  check('connection limit', want.connectionLimit, have.connectionLimit);
  return out;
}

export function wantedMemberships(spec: RoleModelSpec, facts: ClusterFacts): WantedMembership[] {
  const v16 = majorOf(facts) >= 16;
  const exists = (r: string) => facts.existingRoles.includes(r);
  const out: WantedMembership[] = [];
  for (const db of spec.databases) {
    const owner = db.roles.owner.name;
    out.push({ role: owner, member: db.roles.migrator.name, admin: false, ...(v16 ? { inherit: false, set: true } : {}), why: 'migrator runs DDL through SET ROLE owner' });
    out.push({ role: owner, member: spec.admin.name, admin: true, ...(v16 ? { inherit: false, set: true } : {}), why: 'admin may SET ROLE owner and manage it' });
    if (v16) {
      // 16+: ALTER ROLE ... PASSWORD on another role needs CREATEROLE plus ADMIN OPTION on it.
      for (const slot of ['firefighterRo', 'firefighterRw'] as const) {
        out.push({ role: db.roles[slot].name, member: spec.admin.name, admin: true, inherit: false, set: false, why: 'the password functions (owned by admin) alter firefighter passwords' });
      }
    }
  }
  for (const r of managedRoles(spec)) {
    // 16+: with INHERIT even for a NOINHERIT role (the migrator), so the role has rds_iam's privileges and Aurora
    // accepts only an IAM token for it, whichever way it reads the membership.
    if (r.iam) out.push({ role: 'rds_iam', member: r.name, admin: false, ...(v16 ? { inherit: true } : {}), why: 'logs in with IAM' });
  }
  if (exists('rds_password')) out.push({ role: 'rds_password', member: spec.admin.name, admin: false, why: 'password management when rds.restrict_password_commands is on' });
  out.push({ role: 'pg_signal_backend', member: spec.admin.name, admin: false, ...(v16 ? { inherit: true } : {}), why: 'end_firefighter_sessions ends firefighter sessions' });
  return out;
}

function grantSql(w: WantedMembership, v16: boolean): string {
  const options: string[] = [];
  if (w.admin) options.push('ADMIN OPTION');
  if (v16 && w.inherit !== undefined) options.push(`INHERIT ${w.inherit ? 'TRUE' : 'FALSE'}`);
  if (v16 && w.set !== undefined) options.push(`SET ${w.set ? 'TRUE' : 'FALSE'}`);
  return `GRANT ${quoteIdent(w.role)} TO ${quoteIdent(w.member)}${options.length ? ` WITH ${options.join(', ')}` : ''}`;
}

function membershipMatches(w: WantedMembership, grants: MembershipFacts[]): boolean {
  return grants.some((g) =>
    (!w.admin || g.admin) &&
    (w.inherit === undefined || g.inherit === null || g.inherit === w.inherit) &&
    (w.set === undefined || g.set === null || g.set === w.set));
}

function diffDatabase(spec: RoleModelSpec, db: DatabaseSpec, facts: ClusterFacts, findings: Finding[], steps: Step[]): void {
  const owner = db.roles.owner.name;
  const have = facts.databases.find((d) => d.name === db.name);
  const limit = db.connectionLimit ?? -1;
  if (!have) {
    findings.push({ code: 'database-missing', database: db.name, subject: db.name, message: `database "${db.name}" does not exist` });
    steps.push({
      phase: 'create-database', database: db.name,
      sql: `CREATE DATABASE ${quoteIdent(db.name)} OWNER ${quoteIdent(owner)} TEMPLATE template0 ENCODING 'UTF8' CONNECTION LIMIT ${limit}`,
      reason: `database "${db.name}" owned by ${owner}`,
    });
  } else {
    if (have.owner !== owner) {
      findings.push({ code: 'database-owner', database: db.name, subject: db.name, message: `database "${db.name}" is owned by ${have.owner}, expected ${owner}` });
      steps.push({ phase: 'database-settings', database: db.name, sql: `ALTER DATABASE ${quoteIdent(db.name)} OWNER TO ${quoteIdent(owner)}`, reason: 'the owner role owns the database' });
    }
    if (have.connectionLimit !== limit) {
      findings.push({ code: 'database-connection-limit', database: db.name, subject: db.name, message: `database "${db.name}" connection limit is ${have.connectionLimit}, expected ${limit}` });
      steps.push({ phase: 'database-settings', database: db.name, runAs: owner, sql: `ALTER DATABASE ${quoteIdent(db.name)} CONNECTION LIMIT ${limit}`, reason: 'connection limit from the spec' });
    }
  }

  // Explicit ACL: PUBLIC gets nothing; connectors and the applying user get exactly CONNECT.
  const acl = have ? have.acl : [{ grantee: 'PUBLIC', privilege: 'CONNECT' }, { grantee: 'PUBLIC', privilege: 'TEMPORARY' }];
  // keepConnect: unmanaged roles the spec keeps connected (granted CONNECT explicitly once they exist).
  const keep = (db.keepConnect ?? []).filter((r) => facts.existingRoles.includes(r));
  const allowed = new Set([...connectors(spec, db), facts.currentUser, ...keep]);
  const managed = new Set(managedRoles(spec).map((r) => r.name));
  const revokes = new Map<string, Set<string>>();
  for (const { grantee, privilege } of acl) {
    const ok = allowed.has(grantee) && privilege === 'CONNECT';
    if (ok || (grantee !== 'PUBLIC' && !managed.has(grantee))) continue;
    if (!revokes.has(grantee)) revokes.set(grantee, new Set());
    revokes.get(grantee)?.add(privilege);
  }
  for (const [grantee, unsorted] of revokes) {
    const who = grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(grantee);
    const privileges = [...unsorted].sort();
    findings.push({ code: 'database-privilege-extra', database: db.name, subject: grantee, message: `${grantee} has ${privileges.join(', ')} on database "${db.name}"; only CONNECT for its own roles is allowed` });
    steps.push({ phase: 'database-settings', database: db.name, runAs: owner, sql: `REVOKE ${privileges.join(', ')} ON DATABASE ${quoteIdent(db.name)} FROM ${who}`, reason: `no ${privileges.join(', ')} for ${grantee}` });
  }
  const missing = [...allowed].filter((r) => !acl.some((a) => a.grantee === r && a.privilege === 'CONNECT'));
  if (missing.length > 0) {
    steps.push({ phase: 'database-settings', database: db.name, runAs: owner, sql: `GRANT CONNECT ON DATABASE ${quoteIdent(db.name)} TO ${quoteIdents(missing)}`, reason: 'CONNECT is granted explicitly, never through PUBLIC' });
  }

  // Effective access, which also catches CONNECT reached through memberships.
  const own = new Set([...connectors(spec, db), owner, ...keep]);
  // Before 16 a membership always inherits, so admin (member of the owner) holds the owner's privileges.
  const ownerLike = new Set(majorOf(facts) >= 16 ? [owner] : [owner, spec.admin.name]);
  for (const a of facts.databaseAccess.filter((x) => x.database === db.name)) {
    const isOwner = ownerLike.has(a.role);
    const expectConnect = own.has(a.role);
    if (a.connect !== expectConnect && !(expectConnect && missing.includes(a.role))) {
      findings.push({ code: 'database-connect', database: db.name, subject: a.role, message: `${a.role} ${a.connect ? 'can' : 'cannot'} CONNECT to "${db.name}", expected ${expectConnect ? 'can' : 'cannot'}` });
    }
    if (a.create !== isOwner || a.temporary !== isOwner) {
      // An unmanaged keepConnect role's other grants are not ours to judge.
      if (!isOwner && !keep.includes(a.role)) findings.push({ code: 'database-create', database: db.name, subject: a.role, message: `${a.role} has CREATE or TEMPORARY on "${db.name}"` });
    }
  }
}

/**
 * Compares the cluster-wide state with the spec. Steps are ordered as they must run. Throws RoleClaimError,
 * before planning anything, when the spec names a role it did not create (and does not adopt) or another
 * spec's role.
 */
export function diffCluster(spec: RoleModelSpec, facts: ClusterFacts): DiffResult {
  const findings: Finding[] = [];
  const steps: Step[] = [];
  const v16 = majorOf(facts) >= 16;
  const roles = managedRoles(spec);

  if (roles.some((r) => r.iam) && !facts.existingRoles.includes('rds_iam')) {
    throw new Error('role rds_iam does not exist: this server is not Aurora/RDS; create it (NOLOGIN) to emulate IAM authentication locally, or set "iam": false in the spec');
  }

  const comments = new Map((facts.roleComments ?? []).map((c) => [c.name, c.comment]));
  const claims = claimRoles(spec, new Map(facts.roles.map((r) => [r.name, comments.get(r.name) ?? null])));
  const refused = claims.flatMap((c) => (c.kind === 'refuse' ? [c.reason] : []));
  if (refused.length > 0) throw new RoleClaimError(refused);
  const adopting = new Set(claims.filter((c) => c.kind === 'adopt').map((c) => c.role.name));
  // What adopting each role changes, listed in one finding and in the plan.
  const adoptChanges = new Map<string, string[]>([...adopting].map((name) => [name, []]));
  const note = (role: string, change: string) => adoptChanges.get(role)?.push(change);
  const why = (role: string, reason: string) => (adopting.has(role) ? `adopt ${role}: ${reason}` : reason);
  const mark = (role: ManagedRole) => `COMMENT ON ROLE ${quoteIdent(role.name)} IS ${quoteLiteral(renderMark(markFor(spec, role)))}`;

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
      findings.push({ code: 'role-mark', subject: want.name, message: `${want.name} is marked for other databases of this cluster's role model; expected ${renderMark(markFor(spec, want))}` });
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

  // The applying user needs SET ROLE on owners (CREATE DATABASE ... OWNER, objects) and on admin (db_admin).
  const plumbing = [...spec.databases.map((d) => d.roles.owner.name), spec.admin.name];
  for (const role of plumbing) {
    const grants = facts.memberships.filter((m) => m.role === role && m.member === facts.currentUser);
    const canSet = grants.some((g) => g.set === null || g.set);
    if (!canSet) {
      steps.push({ phase: 'roles', sql: `GRANT ${quoteIdent(role)} TO CURRENT_USER${v16 ? ' WITH INHERIT FALSE, SET TRUE' : ''}`, reason: `the applying user needs SET ROLE ${role}` });
    }
  }

  const wanted = wantedMemberships(spec, facts);
  for (const w of wanted) {
    const grants = facts.memberships.filter((m) => m.role === w.role && m.member === w.member);
    if (!membershipMatches(w, grants)) {
      findings.push({
        code: 'membership', subject: w.member,
        message: grants.length === 0 ? `${w.member} is not a member of ${w.role} (${w.why})` : `${w.member} is a member of ${w.role} with the wrong options (${w.why})`,
      });
      note(w.member, `${grants.length === 0 ? 'grant' : 'regrant'} membership in ${w.role}`);
      steps.push({ phase: 'roles', sql: grantSql(w, v16), reason: why(w.member, w.why) });
    }
  }
  const managedNames = new Set(roles.map((r) => r.name));
  const personLogin = perPersonLoginMatcher(spec);
  for (const m of facts.memberships) {
    if (!managedNames.has(m.member)) continue;
    // On 16+ admin holds ADMIN OPTION on each per-person login it created (it drops them when they expire).
    if (m.member === spec.admin.name && personLogin(m.role)) continue;
    if (wanted.some((w) => w.role === m.role && w.member === m.member)) continue;
    const revoke = `REVOKE ${quoteIdent(m.role)} FROM ${quoteIdent(m.member)}`;
    if (isReservedRole(m.role)) {
      // Never silently: rds_superuser, pg_read_all_data, ... may be there on purpose. A human revokes it.
      findings.push({ code: 'membership-reserved', subject: m.member, message: `${m.member} is a member of ${m.role}, which the spec does not grant; the engine never revokes rds_* or pg_* memberships: if it must go, run ${revoke}` });
      note(m.member, `keeps membership in ${m.role} (reported until a human revokes it; never revoked by apply)`);
      steps.push({ phase: 'roles', sql: revoke, reason: why(m.member, `membership in ${m.role} not in the spec (granted by ${m.grantor}); not run by apply`), manual: true });
      continue;
    }
    findings.push({ code: 'membership-extra', subject: m.member, message: `${m.member} is a member of ${m.role}, which the spec does not grant` });
    note(m.member, `revoke membership in ${m.role}`);
    // A grant made by another grantor (16+) survives this REVOKE; verification then reports it.
    steps.push({ phase: 'roles', sql: revoke, reason: why(m.member, `membership not in the spec (granted by ${m.grantor})`) });
  }

  const extra = diffExtraRoleMembers(spec, facts);
  findings.push(...extra.findings);
  steps.push(...extra.steps);

  for (const db of spec.databases) diffDatabase(spec, db, facts, findings, steps);
  diffSettings(spec, facts, findings, steps);

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

/** Names db_admin gives per-person logins: `<firefighter role>_<6 hex>` (sql/db_admin_per_person.sql). */
export function perPersonLoginMatcher(spec: RoleModelSpec): (role: string) => boolean {
  const groups = new Set(spec.databases.flatMap((d) => [d.roles.firefighterRo.name, d.roles.firefighterRw.name]));
  return (role) => /_[0-9a-f]{6}$/.test(role) && groups.has(role.slice(0, -LOGIN_SUFFIX_BYTES));
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
