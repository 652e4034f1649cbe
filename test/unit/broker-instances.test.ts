// The broker's instance lookup: RDS (mocked at the client) names the cluster's members and their endpoints,
// writer first; the answer is cached for a minute; deployed instances no longer in the cluster are reported;
// a failed lookup falls back to the last answer or the deployed list and says so.
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { discoveredInstances, InstanceNotes, staticInstances } from '../../lib/broker/instances.js';
import { rdsInstanceDiscovery } from '../../lambda/rds-instances.js';

const rds = mockClient(RDSClient);
const DEPLOYED = { instanceHosts: ['w.abc.eu-west-1.rds.amazonaws.com', 'old.abc.eu-west-1.rds.amazonaws.com'] };

function cluster(members: { id: string; writer?: boolean; status?: string; address?: string | null }[]) {
  rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'my-pg' }).resolves({
    DBClusters: [{ DBClusterIdentifier: 'my-pg', DBClusterMembers: members.map((m) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m.writer ?? false })) }],
  });
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: members.map((m) => ({
      DBInstanceIdentifier: m.id, DBInstanceStatus: m.status ?? 'available',
      ...(m.address === null ? {} : { Endpoint: { Address: m.address ?? `${m.id}.abc.eu-west-1.rds.amazonaws.com`, Port: 5432 } }),
    })),
  });
}

describe('instance discovery through RDS', () => {
  beforeEach(() => rds.reset());

  it('lists the members with an endpoint, writer first, from DescribeDBClusters and DescribeDBInstances', async () => {
    cluster([{ id: 'r1' }, { id: 'w', writer: true }, { id: 'new', address: null, status: 'creating' }, { id: 'bye', status: 'deleting' }]);
    const hosts = await rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg')();
    expect(hosts).toEqual(['w.abc.eu-west-1.rds.amazonaws.com', 'r1.abc.eu-west-1.rds.amazonaws.com']);
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({ Filters: [{ Name: 'db-instance-id', Values: ['w', 'r1', 'new', 'bye'] }] });
  });

  it('a cluster without members is an error, not an empty list', async () => {
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'my-pg', DBClusterMembers: [] }] });
    await expect(rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg')()).rejects.toThrow('cluster my-pg has no member instances');
  });

  it('caches the answer for 60 s and reports deployed instances that are no longer in the cluster', async () => {
    cluster([{ id: 'w', writer: true }, { id: 'r2' }]);
    let now = 1_000_000;
    const lookup = discoveredInstances(DEPLOYED, rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg'), { now: () => now });
    const first = await lookup.current();
    expect(first).toEqual({ hosts: ['w.abc.eu-west-1.rds.amazonaws.com', 'r2.abc.eu-west-1.rds.amazonaws.com'], gone: ['old.abc.eu-west-1.rds.amazonaws.com'] });
    now += 59_000;
    expect(await lookup.current()).toEqual(first);
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
    now += 2_000;
    await lookup.current();
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(2);
    await lookup.refresh();
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(3);
  });

  it('a failed lookup uses the last answer, or else the deployed list, and says why', async () => {
    let now = 0;
    const lookup = discoveredInstances(DEPLOYED, rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg'), { now: () => now });
    const denied = Object.assign(new Error('not authorized to perform: rds:DescribeDBClusters'), { name: 'AccessDenied' });
    rds.on(DescribeDBClustersCommand).rejects(denied);
    expect(await lookup.current()).toEqual({ hosts: DEPLOYED.instanceHosts, gone: [], problem: 'instance discovery failed (AccessDenied: not authorized to perform: rds:DescribeDBClusters); used the deployed list' });
    rds.reset();
    cluster([{ id: 'w', writer: true }]);
    now += 61_000; // past the backoff after a failure
    await lookup.current();
    rds.reset();
    rds.on(DescribeDBClustersCommand).rejects(denied);
    now += 90_000;
    expect(await lookup.current()).toMatchObject({ hosts: ['w.abc.eu-west-1.rds.amazonaws.com'], problem: expect.stringContaining('used the list from 90 s ago') });
  });

  it('after a failed lookup the cloud is not asked again for 60 s (each attempt costs its timeouts)', async () => {
    let now = 0;
    const lookup = discoveredInstances(DEPLOYED, rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg'), { now: () => now });
    rds.on(DescribeDBClustersCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));
    expect((await lookup.current()).problem).toBe('instance discovery failed (TimeoutError: connect ETIMEDOUT); used the deployed list');
    now += 30_000;
    expect(await lookup.current()).toEqual({ hosts: DEPLOYED.instanceHosts, gone: [], problem: 'instance discovery failed (TimeoutError: connect ETIMEDOUT) 30 s ago, not asked again for 60 s; used the deployed list' });
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
    // After an instance failed, whether it went away is asked anyway.
    await lookup.refresh();
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(2);
    rds.reset();
    cluster([{ id: 'w', writer: true }]);
    now += 61_000;
    expect(await lookup.current()).toEqual({ hosts: ['w.abc.eu-west-1.rds.amazonaws.com'], gone: ['old.abc.eu-west-1.rds.amazonaws.com'] });
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
  });

  it('a failed lookup\'s message is scrubbed of signed-URL parts and access key ids', async () => {
    const lookup = discoveredInstances(DEPLOYED, async () => {
      throw new Error('request to https://rds.eu-west-1.amazonaws.com/?X-Amz-Credential=ASIAABCDEFGHIJKLMNOP%2F20261130&X-Amz-Signature=0123abcd failed');
    });
    const problem = (await lookup.current()).problem ?? '';
    expect(problem).toContain('amazonaws.com/?[redacted]&[redacted] failed');
    expect(problem).not.toMatch(/ASIAABCDEFGHIJKLMNOP|0123abcd/);
  });

  it('without discovery the configured list is the answer; notes collect what an invocation learnt', async () => {
    expect(await staticInstances(DEPLOYED).current()).toEqual({ hosts: DEPLOYED.instanceHosts, gone: [] });
    const notes = new InstanceNotes();
    expect(notes.report()).toEqual({});
    notes.note({ hosts: [], gone: ['b', 'a'], problem: 'p' });
    expect(notes.report()).toEqual({ instancesGone: ['a', 'b'], instanceLookup: 'p' });
  });
});
