// The broker's allowlists: what an entry may be, which callers it admits, who the person behind a caller is
// (person.ts, with the roles the allowlist marks as binding session names), why a caller was not admitted, and
// which configurations would let one person request read-write and approve it. Shared by the PasswordBroker
// construct (refused at synth) and the broker's configuration parser (refused at cold start).
//
// Entries:
//   * an IAM role ARN `arn:aws:iam::<acct>:role/[path/]<name>` admits every session of that role, whose verified
//     ARN is `arn:aws:sts::<acct>:assumed-role/<name>/<any session>` (STS drops the path); all of its sessions
//     are one person unless the role is marked as binding session names:
//   * `{ "role": "<role ARN>", "bindsSessionNames": true }`: the same sessions, each session name a person. Only
//     for a role whose trust policy makes the session name the person's (README, "Who is a person");
//   * `{ "permissionSet": "<name>", "account": "<acct>" }`: IAM Identity Center sessions of that permission set
//     in that account, whatever the random suffix of the role Identity Center made for it (it changes when the
//     permission set is assigned again). Each Identity Center user is a person;
//   * an IAM user ARN or the account root ARN admits exactly that ARN;
//   * an assumed-role *session* ARN is refused (whoever may assume the role picks the session name), and so are
//     wildcards (`*`, `?`): an allowlist is a list of principals, not patterns.
import { identityCenterPermissionSet, IDENTITY_CENTER_PATH, parseCallerArn, personOf, type Person } from './person.js';

export interface BoundRoleEntry {
  readonly role: string;
  readonly bindsSessionNames: true;
}
export interface PermissionSetEntry {
  readonly permissionSet: string;
  readonly account: string;
}
export type AllowlistEntry = string | BoundRoleEntry | PermissionSetEntry;
export type AllowlistName = 'ro' | 'rw' | 'approve';
export interface Allowlist {
  readonly ro: readonly AllowlistEntry[];
  readonly rw: readonly AllowlistEntry[];
  /** Who may approve or deny read-write requests (per-person logins with readWriteApproval). @default - nobody */
  readonly approve?: readonly AllowlistEntry[];
}

const PRINCIPAL = /^arn:aws[a-z-]*:(iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}|iam::\d{12}:root)$/;
const SESSION = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/(?:[^/]+\/)*([^/]+)\/[^/]*$/;
const ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]+)$/;
const PERMISSION_SET = /^[\w+=,.@-]{1,32}$/;
const ACCOUNT = /^\d{12}$/;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A role ARN's parts, or undefined when `arn` is not one. */
export function parseRoleArn(arn: string): { partition: string; account: string; path: string; name: string } | undefined {
  const m = ROLE.exec(arn);
  return m ? { partition: m[1] ?? '', account: m[2] ?? '', path: `/${m[3] ?? ''}`, name: m[4] ?? '' } : undefined;
}

/** Whether a role (by ARN) is one IAM Identity Center made: by its reserved path or its name. */
export function isIdentityCenterRole(arn: string): boolean {
  const role = parseRoleArn(arn);
  return role !== undefined && (role.path.startsWith(IDENTITY_CENTER_PATH) || identityCenterPermissionSet(role.name) !== undefined);
}

/** Why `arn` cannot be an allowlist entry, or undefined when it can. */
export function requesterArnProblem(arn: string): string | undefined {
  if (/[*?]/.test(arn)) return `${describe(arn)} contains a wildcard; list each role or user ARN`;
  const session = SESSION.exec(arn);
  if (session) {
    return `${describe(arn)} names an assumed-role session, whose name the caller picks when assuming the role, so it identifies nobody; list the role instead: arn:${session[1]}:iam::${session[2]}:role/${session[3]}`;
  }
  if (!PRINCIPAL.test(arn)) return `${describe(arn)} is not valid; use an IAM role, user or root ARN, e.g. arn:aws:iam::123456789012:role/oncall`;
  return undefined;
}

/** Why `entry` cannot be an allowlist entry (any of the three forms), or undefined when it can. */
export function allowlistEntryProblem(entry: unknown): string | undefined {
  if (typeof entry === 'string') return requesterArnProblem(entry);
  if (!isObject(entry)) return `must be an IAM principal ARN, { role, bindsSessionNames: true } or { permissionSet, account }, got ${describe(entry)}`;
  if ('permissionSet' in entry) {
    const unknown = Object.keys(entry).filter((k) => k !== 'permissionSet' && k !== 'account');
    if (unknown.length > 0) return `${describe(entry)} has unknown key(s) ${unknown.join(', ')}; a permission set entry is { permissionSet, account }`;
    if (typeof entry.permissionSet !== 'string' || !PERMISSION_SET.test(entry.permissionSet)) return `permission set ${describe(entry.permissionSet)} is not a permission set name (1 to 32 of A-Z a-z 0-9 _ + = , . @ -)`;
    if (typeof entry.account !== 'string' || !ACCOUNT.test(entry.account)) return `permission set ${entry.permissionSet}: account ${describe(entry.account)} is not a 12-digit AWS account id`;
    return undefined;
  }
  const unknown = Object.keys(entry).filter((k) => k !== 'role' && k !== 'bindsSessionNames');
  if (unknown.length > 0 || !('role' in entry)) return `${describe(entry)} is not an entry; use { role, bindsSessionNames: true } or { permissionSet, account }`;
  if (entry.bindsSessionNames !== true) return `role ${describe(entry.role)}: bindsSessionNames must be true (list the role ARN alone when its session names are not bound)`;
  const role = typeof entry.role === 'string' ? parseRoleArn(entry.role) : undefined;
  if (!role || /[*?]/.test(String(entry.role))) return `${describe(entry.role)} is not an IAM role ARN; use e.g. arn:aws:iam::123456789012:role/oncall`;
  if (isIdentityCenterRole(String(entry.role))) {
    return `${String(entry.role)} is an IAM Identity Center role, whose session names AWS already sets to the user; list its permission set instead: { "permissionSet": "${identityCenterPermissionSet(role.name) ?? '<name>'}", "account": "${role.account}" }`;
  }
  return undefined;
}

/**
 * Whether a verified caller ARN (from sts:GetCallerIdentity) is one of the allowlisted principals.
 * A role ARN admits every session of that role; a user or root ARN must match exactly. Session ARNs never get
 * here as entries (requesterArnProblem refuses them).
 */
export function principalMatches(callerArn: string, allowed: string): boolean {
  if (callerArn === allowed) return true;
  const role = parseRoleArn(allowed);
  const caller = parseCallerArn(callerArn);
  if (!role || caller?.type !== 'session') return false;
  return role.partition === caller.partition && role.account === caller.account && role.name === caller.roleName;
}

export function entryMatches(callerArn: string, entry: AllowlistEntry): boolean {
  if (typeof entry === 'string') return principalMatches(callerArn, entry);
  if ('role' in entry) return principalMatches(callerArn, entry.role);
  const caller = parseCallerArn(callerArn);
  return caller?.type === 'session' && caller.account === entry.account && identityCenterPermissionSet(caller.roleName) === entry.permissionSet;
}

const allEntries = (allowlist: Allowlist): AllowlistEntry[] => [...allowlist.ro, ...allowlist.rw, ...(allowlist.approve ?? [])];

/** Whether a role (partition, account, name) is marked as binding session names on any list. */
export function bindsSessionNames(allowlist: Allowlist): (partition: string, account: string, roleName: string) => boolean {
  const bound = allEntries(allowlist).flatMap((e) => (typeof e === 'object' && 'role' in e ? [parseRoleArn(e.role)] : []));
  return (partition, account, name) => bound.some((r) => r?.partition === partition && r.account === account && r.name === name);
}

/** The person behind a verified caller, by the identity rule (person.ts) and this allowlist's bound roles. */
export function personIn(allowlist: Allowlist, callerArn: string): Person {
  return personOf(callerArn, bindsSessionNames(allowlist));
}

export function describeEntry(entry: AllowlistEntry): string {
  if (typeof entry === 'string') return entry;
  if ('role' in entry) return `${entry.role} (session names bound)`;
  return `permission set ${entry.permissionSet} in account ${entry.account}`;
}

/**
 * Why `callerArn` matched none of `entries`, in terms of what is listed: the Identity Center permission set
 * and account the caller came through against those on the list, and a role entry whose suffix went stale.
 */
export function whyNotAllowed(entries: readonly AllowlistEntry[], callerArn: string): string {
  const caller = parseCallerArn(callerArn);
  if (caller?.type !== 'session') return entries.length === 0 ? 'the list is empty' : `you are ${callerArn}`;
  const ps = identityCenterPermissionSet(caller.roleName);
  if (ps === undefined) return `you are role ${caller.roleName} in account ${caller.account}`;
  const sets = entries.filter((e): e is PermissionSetEntry => typeof e === 'object' && 'permissionSet' in e);
  const stale = entries.flatMap((e) => (typeof e === 'string' ? [parseRoleArn(e)] : []))
    .find((r) => r !== undefined && r.account === caller.account && identityCenterPermissionSet(r.name) === ps);
  if (stale) {
    return `the allowlist names role ${stale.name}, an earlier assignment of permission set ${ps} (you came through ${caller.roleName}); list the permission set instead: { "permissionSet": "${ps}", "account": "${caller.account}" }`;
  }
  const you = `you are ${caller.sessionName} with permission set ${ps} in account ${caller.account}`;
  const sameName = sets.filter((s) => s.permissionSet === ps).map((s) => s.account);
  if (sameName.length > 0) return `the allowlist has permission set ${ps} in account ${sameName.join(', ')}; ${you}`;
  const sameAccount = sets.filter((s) => s.account === caller.account).map((s) => s.permissionSet);
  if (sameAccount.length > 0) return `the allowlist has permission set ${sameAccount.join(', ')} in account ${caller.account}; ${you}`;
  return `the allowlist has no permission set in account ${caller.account}; ${you}`;
}

/**
 * Entries with which one person could request read-write and approve it: a role on both the rw and approve
 * lists whose sessions the broker cannot tell apart (not Identity Center, not marked as binding session names).
 * Each is `{ field, message }`, the message naming the fix.
 */
export function selfApprovalProblems(allowlist: Allowlist, isUnparsedRole: (entry: string) => boolean = () => false): { field: string; message: string }[] {
  // Roles by partition, account and name (the path aside); an entry that does not parse (a CDK token the caller
  // knows is a role) by its text.
  const roleId = (arn: string) => {
    const role = parseRoleArn(arn);
    return role ? `${role.partition}:${role.account}:${role.name}` : isUnparsedRole(arn) ? arn : undefined;
  };
  const bound = new Set(allEntries(allowlist).flatMap((e) => (typeof e === 'object' && 'role' in e ? [roleId(e.role)] : [])));
  const rw = new Set(allowlist.rw.flatMap((e) => (typeof e === 'string' ? [roleId(e)] : [])));
  const problems: { field: string; message: string }[] = [];
  (allowlist.approve ?? []).forEach((entry, i) => {
    if (typeof entry !== 'string' || isIdentityCenterRole(entry)) return;
    const id = roleId(entry);
    if (id === undefined || bound.has(id) || !rw.has(id)) return;
    problems.push({
      field: `allowlist.approve[${i}]`,
      message: `role ${entry} may request read-write and approve it, and its session names are whatever the caller picks, so one person could approve their own request under a second session name; `
        + `bind its session names to people (its trust policy requires sts:RoleSessionName = \${aws:username} or sts:SourceIdentity; README "Who is a person") and list it as { "role": "${entry}", "bindsSessionNames": true }, or let another role or an IAM Identity Center permission set approve`,
    });
  });
  return problems;
}
