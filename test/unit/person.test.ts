// The identity rule (lib/broker/protocol/person.ts) and the allowlist around it: who is a person, which callers an
// entry admits, why a caller was not admitted, and which configurations let one person request and approve rw.
import { describe, expect, it } from 'vitest';
import { allowlistEntryProblem, entryMatches, personIn, selfApprovalProblems, whyNotAllowed, type Allowlist, type AllowlistEntry } from '../../lib/broker/protocol/allowlist.js';
import { BrokerConfigError, parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { personOf } from '../../lib/broker/protocol/person.js';

const ACCT = '123456789012';
const SSO = (user: string, suffix = '0123456789abcdef', set = 'OnCall', acct = ACCT) => `arn:aws:sts::${acct}:assumed-role/AWSReservedSSO_${set}_${suffix}/${user}`;
const bound: Allowlist = { ro: [{ role: `arn:aws:iam::${ACCT}:role/team/bound`, bindsSessionNames: true }], rw: [] };

describe('personOf: who is a person', () => {
  it.each([
    ['an IAM user is a person', `arn:aws:iam::${ACCT}:user/alice`, `arn:aws:iam::${ACCT}:user/alice`, 'iam-user'],
    ['an IAM user with a path', `arn:aws:iam::${ACCT}:user/team/alice`, `arn:aws:iam::${ACCT}:user/team/alice`, 'iam-user'],
    ['the account root', `arn:aws:iam::${ACCT}:root`, `arn:aws:iam::${ACCT}:root`, 'root'],
    ['an Identity Center session is the user AWS named', SSO('alice@example.com'), 'identity-center:alice@example.com', 'identity-center'],
    ['the same user after the permission set was assigned again', SSO('alice@example.com', 'fedcba9876543210'), 'identity-center:alice@example.com', 'identity-center'],
    ['the same user through another permission set and account', SSO('alice@example.com', 'aaaaaaaaaaaaaaaa', 'Approver', '210987654321'), 'identity-center:alice@example.com', 'identity-center'],
    ['a permission set name with underscores', SSO('bob', '0123456789abcdef', 'On_Call_RW'), 'identity-center:bob', 'identity-center'],
    ['a role session counts as its role', `arn:aws:sts::${ACCT}:assumed-role/oncall/alice`, `arn:aws:iam::${ACCT}:role/oncall`, 'role'],
    ['whatever session name it picks', `arn:aws:sts::${ACCT}:assumed-role/oncall/alice-approver`, `arn:aws:iam::${ACCT}:role/oncall`, 'role'],
    ['a role named like Identity Center without its suffix is a role', `arn:aws:sts::${ACCT}:assumed-role/AWSReservedSSO_OnCall/alice`, `arn:aws:iam::${ACCT}:role/AWSReservedSSO_OnCall`, 'role'],
    ['a session of a role marked as binding session names is its person', `arn:aws:sts::${ACCT}:assumed-role/bound/alice`, `arn:aws:sts::${ACCT}:assumed-role/bound/alice`, 'bound-session'],
    ['a same-named role in another account is not bound', `arn:aws:sts::210987654321:assumed-role/bound/alice`, 'arn:aws:iam::210987654321:role/bound', 'role'],
    ['the --direct mode\'s operator is taken as given', 'ops@laptop (direct)', 'ops@laptop (direct)', 'given'],
  ])('%s: %s', (_name, arn, key, kind) => {
    expect(personIn(bound, arn)).toEqual({ key, arn, kind });
  });

  it('two session names of one role are one person; two Identity Center users are two', () => {
    const none = () => false;
    expect(personOf(`arn:aws:sts::${ACCT}:assumed-role/oncall/alice`, none).key).toBe(personOf(`arn:aws:sts::${ACCT}:assumed-role/oncall/alice-approver`, none).key);
    expect(personOf(SSO('alice'), none).key).not.toBe(personOf(SSO('bob'), none).key);
  });
});

describe('allowlist entries', () => {
  const ps: AllowlistEntry = { permissionSet: 'OnCall', account: ACCT };
  it.each([
    ['a permission set admits any assignment of it', ps, SSO('alice'), true],
    ['and a later one (new suffix)', ps, SSO('alice', 'fedcba9876543210'), true],
    ['not another permission set', ps, SSO('alice', '0123456789abcdef', 'OnCallAdmin'), false],
    ['not another account', ps, SSO('alice', '0123456789abcdef', 'OnCall', '210987654321'), false],
    ['not a plain role named like the permission set', ps, `arn:aws:sts::${ACCT}:assumed-role/OnCall/alice`, false],
    ['a bound role admits its sessions', bound.ro[0] as AllowlistEntry, `arn:aws:sts::${ACCT}:assumed-role/bound/alice`, true],
  ])('%s', (_name, entry, caller, expected) => {
    expect(entryMatches(caller, entry)).toBe(expected);
  });

  it.each([
    [{ permissionSet: 'On Call', account: ACCT }, 'permission set "On Call" is not a permission set name (1 to 32 of A-Z a-z 0-9 _ + = , . @ -)'],
    [{ permissionSet: 'OnCall', account: '1234' }, 'permission set OnCall: account "1234" is not a 12-digit AWS account id'],
    [{ role: `arn:aws:iam::${ACCT}:role/oncall`, bindsSessionNames: false }, `role "arn:aws:iam::${ACCT}:role/oncall": bindsSessionNames must be true (list the role ARN alone when its session names are not bound)`],
    [{ role: `arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OnCall_0123456789abcdef`, bindsSessionNames: true },
      `arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OnCall_0123456789abcdef is an IAM Identity Center role, whose session names AWS already sets to the user; list its permission set instead: { "permissionSet": "OnCall", "account": "${ACCT}" }`],
    [42, 'must be an IAM principal ARN, { role, bindsSessionNames: true } or { permissionSet, account }, got 42'],
  ])('refuses %j', (entry, message) => {
    expect(allowlistEntryProblem(entry)).toBe(message);
  });

  it.each([
    ['another account', [{ permissionSet: 'OnCall', account: '210987654321' }], `the allowlist has permission set OnCall in account 210987654321; you are alice with permission set OnCall in account ${ACCT}`],
    ['another permission set', [{ permissionSet: 'Admin', account: ACCT }], `the allowlist has permission set Admin in account ${ACCT}; you are alice with permission set OnCall in account ${ACCT}`],
    ['an earlier assignment by role name', [`arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_OnCall_aaaaaaaaaaaaaaaa`],
      `the allowlist names role AWSReservedSSO_OnCall_aaaaaaaaaaaaaaaa, an earlier assignment of permission set OnCall (you came through AWSReservedSSO_OnCall_0123456789abcdef); list the permission set instead: { "permissionSet": "OnCall", "account": "${ACCT}" }`],
  ])('says why an Identity Center caller is not on the list: %s', (_name, entries, why) => {
    expect(whyNotAllowed(entries as AllowlistEntry[], SSO('alice'))).toBe(why);
  });
});

describe('one person requesting read-write and approving it', () => {
  const oncall = `arn:aws:iam::${ACCT}:role/oncall`;
  it.each([
    ['an unbound role on rw and approve', { ro: [], rw: [oncall], approve: [oncall] }, 1],
    ['the same role with another path on approve', { ro: [], rw: [oncall], approve: [`arn:aws:iam::${ACCT}:role/team/oncall`] }, 1],
    ['the role marked as binding session names', { ro: [], rw: [{ role: oncall, bindsSessionNames: true }], approve: [oncall] }, 0],
    ['a permission set on both', { ro: [], rw: [{ permissionSet: 'OnCall', account: ACCT }], approve: [{ permissionSet: 'OnCall', account: ACCT }] }, 0],
    ['an IAM user on both (a person: db_admin refuses their own approval)', { ro: [], rw: [`arn:aws:iam::${ACCT}:user/alice`], approve: [`arn:aws:iam::${ACCT}:user/alice`] }, 0],
    ['another role approves', { ro: [], rw: [oncall], approve: [`arn:aws:iam::${ACCT}:role/lead`] }, 0],
  ])('%s', (_name, allowlist, count) => {
    expect(selfApprovalProblems(allowlist as Allowlist)).toHaveLength(count);
  });

  it('the broker\'s configuration parser refuses it, naming the fix', () => {
    const config = {
      clusterId: 'my-pg', brokerId: 'b', port: 5432, writerHost: 'h.example', instanceHosts: ['h.example'], brokerUser: 'broker', delivery: 'response',
      databases: [{ name: 'db', firefighterRo: 'ro', firefighterRw: 'rw' }], firefighterLogins: 'per-person',
      allowlist: { ro: [oncall], rw: [oncall], approve: [oncall, `arn:aws:iam::${ACCT}:role/lead`] },
    };
    expect(() => parseBrokerConfig(config)).toThrow(BrokerConfigError);
    expect(() => parseBrokerConfig(config)).toThrow(`allowlist.approve[0]: role ${oncall} may request read-write and approve it, and its session names are whatever the caller picks, so one person could approve their own request under a second session name; bind its session names to people`);
    const fixed = { ...config, allowlist: { ...config.allowlist, rw: [{ role: oncall, bindsSessionNames: true }] } };
    expect(parseBrokerConfig(fixed).allowlist.rw).toEqual([{ role: oncall, bindsSessionNames: true }]);
  });
});
