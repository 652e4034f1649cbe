// The cluster's instances from the RDS API, for the broker's instance lookup (lib/broker/instances.ts):
// DescribeDBClusters says which instances are members (and which is the writer), DescribeDBInstances where
// each one listens. An instance being created has no endpoint yet and one being deleted is on its way out:
// neither is listed, so the sweep neither waits for nor fails on them.
import type { RDSClient } from '@aws-sdk/client-rds';
import type { InstanceDiscovery } from '../lib/broker/instances.js';
import { resolveClient, type ClientSource } from './lazy-client.js';

export function rdsInstanceDiscovery(source: ClientSource<Pick<RDSClient, 'send'>>, clusterIdentifier: string): InstanceDiscovery {
  return async () => {
    const { DescribeDBClustersCommand, DescribeDBInstancesCommand } = await import('@aws-sdk/client-rds');
    const rds = await resolveClient(source);
    const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: clusterIdentifier }));
    const members = [...(DBClusters?.[0]?.DBClusterMembers ?? [])]
      .sort((a, b) => Number(b.IsClusterWriter === true) - Number(a.IsClusterWriter === true))
      .flatMap((m) => (m.DBInstanceIdentifier ? [m.DBInstanceIdentifier] : []));
    if (members.length === 0) throw new Error(`cluster ${clusterIdentifier} has no member instances`);
    const endpoints = new Map<string, string>();
    let marker: string | undefined;
    do {
      const page = await rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-instance-id', Values: members }], ...(marker ? { Marker: marker } : {}) }));
      for (const instance of page.DBInstances ?? []) {
        if (instance.DBInstanceIdentifier && instance.Endpoint?.Address && instance.DBInstanceStatus !== 'deleting') {
          endpoints.set(instance.DBInstanceIdentifier, instance.Endpoint.Address);
        }
      }
      marker = page.Marker;
    } while (marker);
    return members.flatMap((id) => endpoints.get(id) ?? []);
  };
}
