// The broker configuration the construct writes: accepted as written, and every mistake named by its field.
import { describe, expect, it } from 'vitest';
import { principalMatches } from '../../lib/broker/protocol/allowlist.js';
import { BrokerConfigError, incidentIdMatcher, isAllowed, parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';

const valid = () => ({
  clusterId: 'my-pg',
  brokerId: 'MyStack-PasswordBroker-3F2A1B',
  port: 5432,
  writerHost: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
  instanceHosts: ['my-pg-1.abc.eu-west-1.rds.amazonaws.com', 'my-pg-2.abc.eu-west-1.rds.amazonaws.com'],
  brokerUser: 'my_pg_password_broker',
  databases: [{ name: 'my-pg-db', firefighterRo: 'my_pg_firefighter_ro', firefighterRw: 'my_pg_firefighter_rw' }],
  allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: ['arn:aws:iam::123456789012:role/team/incident-lead'] },
  incidentIdPattern: 'INC-[0-9]+',
  delivery: 'response' as const,
});

function issues(input: unknown): string[] {
  try {
    parseBrokerConfig(input);
  } catch (error) {
    if (error instanceof BrokerConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('parseBrokerConfig', () => {
  it('accepts what the construct writes, unchanged', () => {
    expect(parseBrokerConfig(valid())).toEqual(valid());
    expect(parseBrokerConfig({ ...valid(), stsEndpoint: 'http://127.0.0.1:4566', tls: { caFile: '/var/runtime/ca-cert.pem' } })).toMatchObject({ stsEndpoint: 'http://127.0.0.1:4566' });
    const bus = 'arn:aws:events:eu-west-1:123456789012:event-bus/incidents';
    expect([parseBrokerConfig({ ...valid(), eventBus: 'default' }).eventBus, parseBrokerConfig({ ...valid(), eventBus: bus }).eventBus]).toEqual(['default', bus]);
    expect(parseBrokerConfig({ ...valid(), rdsClusterIdentifier: 'my-pg-staging' }).rdsClusterIdentifier).toBe('my-pg-staging');
    expect(parseBrokerConfig({ ...valid(), statementLogGroup: '/aws/rds/cluster/my-pg-1a2b3c4d/postgresql' }).statementLogGroup).toBe('/aws/rds/cluster/my-pg-1a2b3c4d/postgresql');
    expect(() => parseBrokerConfig({ ...valid(), statementLogGroup: 'logs; rm -rf /' })).toThrow(/statementLogGroup: .*give a CloudWatch log group name, e\.g\. \/aws\/rds\/cluster\/my-pg\/postgresql/);
  });

  it.each([
    ['a missing clusterId', { clusterId: undefined }, 'clusterId: is required'],
    ['port 0', { port: 0 }, 'port: must be an integer from 1 to 65535, got 0'],
    ['port "5432"', { port: '5432' }, 'port: must be an integer from 1 to 65535, got "5432"'],
    ['no instance hosts', { instanceHosts: [] }, 'instanceHosts: must be a non-empty array of instance endpoints (writer and readers), got []'],
    ['a host twice', { instanceHosts: ['a.example', 'a.example'] }, 'instanceHosts: lists a host twice; sessions would be counted twice'],
    ['a host with a space', { writerHost: 'my pg' }, 'writerHost: "my pg" is not valid; give a DNS name or an IP address'],
    ['a 64-byte broker user', { brokerUser: 'b'.repeat(64) }, `brokerUser: "${'b'.repeat(56)}... is not a PostgreSQL role or database name (at most 63 bytes, no control characters)`],
    ['no databases', { databases: [] }, 'databases: must be a non-empty array of { name, firefighterRo, firefighterRw }, got []'],
    ['an unknown database key', { databases: [{ ...valid().databases[0], owner: 'x' }] }, 'databases[0].owner: unknown key; allowed keys are name, firefighterRo, firefighterRw'],
    ['a wildcard principal', { allowlist: { ro: ['arn:aws:iam::123456789012:role/*'], rw: [] } }, 'allowlist.ro[0]: "arn:aws:iam::123456789012:role/*" contains a wildcard; list each role or user ARN'],
    ['a non-ARN principal', { allowlist: { ro: ['alice'], rw: [] } }, 'allowlist.ro[0]: "alice" is not valid; use an IAM role, user or root ARN, e.g. arn:aws:iam::123456789012:role/oncall'],
    ['an assumed-role session (its name is the caller\'s choice)', { allowlist: { ro: [], rw: ['arn:aws:sts::123456789012:assumed-role/oncall/alice'] } }, 'allowlist.rw[0]: "arn:aws:sts::123456789012:assumed-role/oncall/alice" names an assumed-role session, whose name the caller picks when assuming the role, so it identifies nobody; list the role instead: arn:aws:iam::123456789012:role/oncall'],
    ['a bad incident pattern', { incidentIdPattern: 'INC-[' }, 'incidentIdPattern: "INC-[" is not a valid regular expression; fix its syntax'],
    ['an unknown delivery', { delivery: 'email' }, 'delivery: must be "response" or "secret", got "email"'],
    ['secret delivery without secrets', { delivery: 'secret' }, 'secretArns.my_pg_firefighter_ro: is required with delivery "secret"; give the secret ARN the password of this role is written to'],
    ['plain http to STS elsewhere', { stsEndpoint: 'http://sts.eu-west-1.amazonaws.com' }, 'stsEndpoint: "http://sts.eu-west-1.amazonaws.com" must use https (plain http is accepted only for 127.0.0.1)'],
    ['an unknown key', { brokerID: 'x' }, 'brokerID: unknown key; allowed keys are clusterId, brokerId, port, writerHost, instanceHosts, brokerUser, databases, allowlist, incidentIdPattern, delivery, secretArns, stsEndpoint, tls, firefighterLogins, eventBus, rdsClusterIdentifier, statementLogGroup'],
    ['an unknown login mode', { firefighterLogins: 'personal' }, 'firefighterLogins: must be "shared" or "per-person", got "personal"'],
    ['an event bus with a space', { eventBus: 'on call' }, 'eventBus: "on call" is not valid; give an event bus name (e.g. default) or an event bus ARN'],
    ['a cluster identifier with a trailing hyphen', { rdsClusterIdentifier: 'my-pg-' }, 'rdsClusterIdentifier: "my-pg-" is not valid; give the RDS cluster identifier, e.g. my-pg-staging'],
  ])('names the field of %s', (_name, change, message) => {
    expect(issues({ ...valid(), ...change })).toContain(message);
  });

  it('reports every problem at once', () => {
    expect(issues({ ...valid(), port: -1, delivery: 'x', brokerUser: '' })).toHaveLength(3);
    expect(issues('{}')).toEqual(['(root): must be a JSON object, got "{}"']);
  });
});

describe('allowlist matching', () => {
  const role = 'arn:aws:iam::123456789012:role/team/oncall';
  it.each([
    ['a session of the role (STS drops the path)', 'arn:aws:sts::123456789012:assumed-role/oncall/alice', role, true],
    ['a session of a same-named role in another account', 'arn:aws:sts::210987654321:assumed-role/oncall/alice', role, false],
    ['a session of a role whose name only starts the same', 'arn:aws:sts::123456789012:assumed-role/oncall-admin/alice', role, false],
    ['a session in another partition', 'arn:aws-cn:sts::123456789012:assumed-role/oncall/alice', role, false],
    ['the same user', 'arn:aws:iam::123456789012:user/alice', 'arn:aws:iam::123456789012:user/alice', true],
    ['a user named like the role', 'arn:aws:iam::123456789012:user/oncall', role, false],
  ])('%s: %s', (_name, caller, allowed, expected) => {
    expect(principalMatches(caller, allowed)).toBe(expected);
  });

  it('checks the list of the access asked for', () => {
    const config = parseBrokerConfig(valid());
    expect(isAllowed(config, 'ro', 'arn:aws:sts::123456789012:assumed-role/oncall/alice')).toBe(true);
    expect(isAllowed(config, 'rw', 'arn:aws:sts::123456789012:assumed-role/oncall/alice')).toBe(false);
    expect(isAllowed(config, 'rw', 'arn:aws:sts::123456789012:assumed-role/incident-lead/carol')).toBe(true);
  });
});

describe('incidentIdMatcher', () => {
  it('anchors the pattern: the whole id must match', () => {
    const match = incidentIdMatcher({ incidentIdPattern: 'INC-[0-9]+' });
    expect(match('INC-4711')).toBe(true);
    expect(match('x INC-4711')).toBe(false);
    expect(match('INC-4711; DROP')).toBe(false);
    expect(match('INC-1|anything')).toBe(false);
  });
  it('an alternation cannot escape the anchors', () => {
    expect(incidentIdMatcher({ incidentIdPattern: 'INC-1|.*' })('anything at all')).toBe(true);
    expect(incidentIdMatcher({ incidentIdPattern: 'INC-[0-9]+|CHG-[0-9]+' })('CHG-1 extra')).toBe(false);
  });
  it.each([
    ['INC-4711', true], ['OPS-123', true], ['INC0012345', true], ['Q1ABC2DEF3GHI', true], ['2026-12-07.db_1', true], ['x'.repeat(64), true],
    // Old: any of these was accepted (the default was "at most 128 printable characters").
    ['INC 42', false], ['https://tracker.example/INC-42', false], ['-42', false], ['INC-42;', false], ['x'.repeat(65), false], ['', false],
  ])('without a pattern, the default ticket-like id: %j -> %s', (id, ok) => {
    expect(incidentIdMatcher({})(id)).toBe(ok);
  });

  it('a refused id is told the rule and an example, the same through the Lambda and --direct (one service)', async () => {
    const { createBrokerService } = await import('../../lib/broker/service.js');
    const config = parseBrokerConfig({ ...valid(), incidentIdPattern: undefined });
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const service = createBrokerService({ config, logger: quiet, identity: { trusted: 'me (direct)' }, connect: async () => { throw new Error('not reached'); } });
    expect(await service({ action: 'request', role: 'ro', incidentId: 'INC 42', reason: 'x' })).toMatchObject({ ok: false, code: 'INVALID_INPUT',
      message: 'incidentId: does not match this broker\'s incident id format (letters, digits, "-", "_" or "." only, at most 64, e.g. INC-4711; set incidentIdPattern on the broker for another format); use your ticket\'s id' });
  });
});
