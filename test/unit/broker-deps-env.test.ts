// The broker Lambda's wiring from its environment (depsFromEnv): clients that only some invocations use (RDS for
// the instance lookup, Secrets Manager for `delivery: secret`) are made on first use and still reach AWS through
// the SDK client (mocked here at the client, as everywhere).
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BROKER_CONFIG_ENV, parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { depsFromEnv, iamTokenProvider } from '../../lambda/broker-handler.js';
import { once } from '../../lambda/lazy-client.js';

const config = {
  clusterId: 'my-pg',
  brokerId: 'MyStack-PasswordBroker-3F2A1B',
  port: 5432,
  writerHost: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
  instanceHosts: ['my-pg-1.abc.eu-west-1.rds.amazonaws.com'],
  brokerUser: 'my_pg_password_broker',
  databases: [{ name: 'my-pg-db', firefighterRo: 'my_pg_firefighter_ro', firefighterRw: 'my_pg_firefighter_rw' }],
  allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: ['arn:aws:iam::123456789012:role/team/incident-lead'] },
  incidentIdPattern: 'INC-[0-9]+',
  delivery: 'response',
};
const env = (extra: object) => ({ AWS_REGION: 'eu-west-1', [BROKER_CONFIG_ENV]: JSON.stringify({ ...config, ...extra }) });

describe('broker Lambda dependencies from the environment', () => {
  const rds = mockClient(RDSClient);
  afterEach(() => rds.reset());

  it('the instance lookup asks RDS (the client made on the first lookup) for the cluster named in the configuration', async () => {
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'my-pg-staging' }).resolves({
      DBClusters: [{ DBClusterMembers: [{ DBInstanceIdentifier: 'r1', IsClusterWriter: false }, { DBInstanceIdentifier: 'w', IsClusterWriter: true }] }],
    });
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: ['r1', 'w'].map((id) => ({ DBInstanceIdentifier: id, DBInstanceStatus: 'available', Endpoint: { Address: `${id}.abc.eu-west-1.rds.amazonaws.com` } })),
    });
    const deps = depsFromEnv(env({ rdsClusterIdentifier: 'my-pg-staging' }));
    expect(rds.calls()).toHaveLength(0);
    const view = await deps.instances?.current();
    expect(view?.hosts).toEqual(['w.abc.eu-west-1.rds.amazonaws.com', 'r1.abc.eu-west-1.rds.amazonaws.com']);
    expect(view?.problem).toBeUndefined();
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
  });

  it('without rdsClusterIdentifier there is no lookup; with delivery "secret" the Secrets Manager client is made on first use', async () => {
    expect(depsFromEnv(env({})).instances).toBeUndefined();
    const deps = depsFromEnv(env({ delivery: 'secret', secretArns: { my_pg_firefighter_ro: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a', my_pg_firefighter_rw: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:b' } }));
    expect(typeof deps.secrets).toBe('function');
    const make = deps.secrets as () => Promise<unknown>;
    const client = await make();
    expect(client).toBeInstanceOf(SecretsManagerClient);
    expect(await make()).toBe(client);
  });

  it('each instance gets an IAM token signed for its own host (the test server cannot tell; Aurora does)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLEBROKER001');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'broker-secret-key-0000000000000000000000');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    try {
      const token = iamTokenProvider(parseBrokerConfig(config), 'eu-west-1');
      const [writer, reader] = ['my-pg-1.abc.eu-west-1.rds.amazonaws.com', 'my-pg-2.abc.eu-west-1.rds.amazonaws.com'];
      const a = new URL(`https://${await token(writer)}`);
      const b = new URL(`https://${await token(reader)}`);
      expect([a.host, b.host]).toEqual([`${writer}:5432`, `${reader}:5432`]);
      for (const t of [a, b]) {
        expect(Object.fromEntries(t.searchParams)).toMatchObject({ Action: 'connect', DBUser: 'my_pg_password_broker', 'X-Amz-Expires': '900' });
        expect(t.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAEXAMPLEBROKER001\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
      }
      expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('once: one value for every call, and a failed make is tried again', async () => {
    let calls = 0;
    const make = once(async () => {
      calls++;
      if (calls === 1) throw new Error('module not found');
      return { n: calls };
    });
    await expect(make()).rejects.toThrow('module not found');
    const [a, b] = await Promise.all([make(), make()]);
    expect(a).toEqual({ n: 2 });
    expect(b).toBe(a);
    expect(calls).toBe(2);
  });
});
