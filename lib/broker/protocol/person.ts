// Who is a person: the one identity rule of the broker. Every place that compares people (self-approval, the
// holder's reissue and extend, a person's own login and the logins counted against maxLogins, the audit, the
// events, the history) compares `personOf(...).key`, never the caller's ARN: part of an assumed-role session's
// ARN, its session name, is chosen by whoever assumes the role.
//
// The rule, from the ARN STS vouched for (GetCallerIdentity):
//   * an IAM user (`arn:aws:iam::<acct>:user/[path/]<name>`) is a person: the key is the user's ARN; the account
//     root likewise;
//   * an IAM Identity Center session (`arn:aws:sts::<acct>:assumed-role/AWSReservedSSO_<permission set>_<suffix>/<user>`)
//     is the user Identity Center named: AWS sets the session name, the user cannot. The key is
//     `identity-center:<user>`, the same in every account and permission set, so a user who may request in one
//     and approve in another is still one person;
//   * a session of a role whose trust policy binds session names to people (`sts:RoleSessionName` must be
//     `${aws:username}` or the identity provider's subject, or `sts:SourceIdentity` is set and required) is that
//     person: the key is the session ARN. GetCallerIdentity does not show SourceIdentity, so the broker cannot
//     see the binding; the allowlist entry says it (`{ role, bindsSessionNames: true }`) and is trusted;
//   * any other assumed-role session is its role: all of its sessions are one "person" whose key is the role's
//     ARN without its path (`arn:aws:iam::<acct>:role/<name>`, as STS drops the path). Such a person cannot
//     approve its own requests, nor be given a new password on a login it holds (someone else in the role may
//     be using it; db_admin refuses the reissue of a login held by a role).
// Anything else (the --direct mode's `user@host (direct)`) is taken as given.
//
// Pure: no AWS, no pg. The audit keeps the caller's full ARN beside the key.

export type PersonKind = 'iam-user' | 'root' | 'identity-center' | 'bound-session' | 'role' | 'given';

export interface Person {
  /** What is compared and what db_admin records as requester, holder and approver. */
  readonly key: string;
  /** The caller's ARN as STS gave it (or the trusted string): recorded in the audit line beside the key. */
  readonly arn: string;
  readonly kind: PersonKind;
}

/** An assumed-role session, a user or the root, as parsed from a caller ARN. */
export type CallerArn =
  | { readonly type: 'user'; readonly partition: string; readonly account: string; readonly arn: string }
  | { readonly type: 'root'; readonly partition: string; readonly account: string; readonly arn: string }
  | { readonly type: 'session'; readonly partition: string; readonly account: string; readonly roleName: string; readonly sessionName: string; readonly arn: string };

const USER = /^arn:(aws[a-z-]*):iam::(\d{12}):user\/[\w+=,.@/-]+$/;
const ROOT = /^arn:(aws[a-z-]*):iam::(\d{12}):root$/;
const SESSION = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;

export function parseCallerArn(arn: string): CallerArn | undefined {
  let m = USER.exec(arn);
  if (m) return { type: 'user', partition: m[1] ?? '', account: m[2] ?? '', arn };
  m = ROOT.exec(arn);
  if (m) return { type: 'root', partition: m[1] ?? '', account: m[2] ?? '', arn };
  m = SESSION.exec(arn);
  if (m) return { type: 'session', partition: m[1] ?? '', account: m[2] ?? '', roleName: m[3] ?? '', sessionName: m[4] ?? '', arn };
  return undefined;
}

// Identity Center names the role it creates in each account AWSReservedSSO_<permission set name>_<16 hex>, under
// the path /aws-reserved/sso.amazonaws.com/[region/]. The suffix changes when the permission set is assigned again;
// the name (1 to 32 of [\w+=,.@-], underscores included) does not.
const IDENTITY_CENTER_ROLE = /^AWSReservedSSO_([\w+=,.@-]{1,32})_([0-9a-fA-F]{16})$/;
export const IDENTITY_CENTER_PATH = '/aws-reserved/sso.amazonaws.com/';

/** The permission set an Identity Center role was made for, or undefined for any other role name. */
export function identityCenterPermissionSet(roleName: string): string | undefined {
  return IDENTITY_CENTER_ROLE.exec(roleName)?.[1];
}

/** The role's ARN as a person key: without its path, which STS's session ARN does not carry. */
export const roleKey = (partition: string, account: string, roleName: string): string => `arn:${partition}:iam::${account}:role/${roleName}`;

/**
 * The person behind a verified caller ARN. `bindsSessionNames` says whether the allowlist marks a role as one
 * whose trust policy binds session names to people (see the header).
 */
export function personOf(arn: string, bindsSessionNames: (partition: string, account: string, roleName: string) => boolean): Person {
  const caller = parseCallerArn(arn);
  if (!caller) return { key: arn, arn, kind: 'given' };
  if (caller.type === 'user') return { key: arn, arn, kind: 'iam-user' };
  if (caller.type === 'root') return { key: arn, arn, kind: 'root' };
  if (identityCenterPermissionSet(caller.roleName) !== undefined) return { key: `identity-center:${caller.sessionName}`, arn, kind: 'identity-center' };
  if (bindsSessionNames(caller.partition, caller.account, caller.roleName)) return { key: arn, arn, kind: 'bound-session' };
  return { key: roleKey(caller.partition, caller.account, caller.roleName), arn, kind: 'role' };
}

/** How a person is named in messages: the key, and the session it came through when that is not the key. */
export function describePerson(person: Person): string {
  return person.key === person.arn ? person.key : `${person.key} (as ${person.arn})`;
}
