// Baseline for bench/synth.bench.ts: the least a user would write for an Aurora PostgreSQL Serverless v2
// cluster with plain aws-cdk-lib (VPC without NAT, one writer, generated secret, IAM auth, encryption).
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';

const app = new App();
const stack = new Stack(app, 'BareAurora');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
new rds.DatabaseCluster(stack, 'Cluster', {
  engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 }),
  vpc,
  vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  writer: rds.ClusterInstance.serverlessV2('writer'),
  iamAuthentication: true,
  storageEncrypted: true,
});
