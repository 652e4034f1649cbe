// Networking that works (issue 11, item 5): the cluster and the Lambdas get separate subnet selections, and a
// synth-time check gives Lambdas in subnets without a NAT route the interface endpoints they call (created,
// reused, or an error naming the fix); no STS or EventBridge endpoint without a broker, none for events with eventBus: false.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, LambdaEndpoints, RoleModel, type FirefighterDatabaseProps } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { dependencyClosure, ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));
type Json = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

function threeTierVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Net', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

function build(props: Partial<FirefighterDatabaseProps> = {}, withVpc?: (stack: Stack) => ec2.IVpc) {
  const stack = new Stack(new App(), 'Net');
  const vpc = withVpc?.(stack);
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, ...(vpc ? { vpc } : {}), ...props });
  const json = Template.fromStack(stack).toJSON() as Json;
  const ref = (c: { node: { defaultChild?: unknown } }) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
  return { stack, db, json, vpc, ref };
}

const endpointServices = (json: Json) =>
  Object.values(json.Resources).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint').map((r) => JSON.stringify(r.Properties?.ServiceName).match(/\.(secretsmanager|sts|events|rds)\b/)?.[1]).sort();

function lambdaSubnetRefs(json: Json, descriptionStart: string): string[] {
  const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Description).startsWith(descriptionStart));
  return (fn?.Properties?.VpcConfig.SubnetIds as { Ref: string }[]).map((s) => s.Ref).sort();
}

beforeAll(() => ensureBundles());

describe('a VPC with public, private-with-egress and isolated subnets', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build({}, threeTierVpc);
  });

  it('puts the cluster in the isolated subnets and both Lambdas in the subnets with a NAT route', () => {
    const vpc = built.vpc as ec2.Vpc;
    const ids = (subnets: ec2.ISubnet[]) => subnets.map((s) => built.ref(s as ec2.Subnet)).sort();
    const group = Object.values(built.json.Resources).find((r) => r.Type === 'AWS::RDS::DBSubnetGroup');
    expect((group?.Properties?.SubnetIds as { Ref: string }[]).map((s) => s.Ref).sort()).toEqual(ids(vpc.isolatedSubnets));
    expect(lambdaSubnetRefs(built.json, 'Applies and verifies')).toEqual(ids(vpc.privateSubnets));
    expect(lambdaSubnetRefs(built.json, 'Issues temporary')).toEqual(ids(vpc.privateSubnets));
  });

  it('creates no interface endpoint: the NAT route reaches Secrets Manager and STS', () => {
    expect(endpointServices(built.json)).toEqual([]);
  });

  it('creates the endpoints in that VPC when the Lambdas are put in the isolated subnets, open only to their callers', () => {
    const { json, db, ref } = build({ lambdaSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, threeTierVpc);
    expect(endpointServices(json)).toEqual(['events', 'rds', 'secretsmanager', 'sts']);
    const sg = (c: ec2.IConnectable) => ref(c.connections.securityGroups[0] as ec2.SecurityGroup);
    const sources = (endpoint: ec2.InterfaceVpcEndpoint) => Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && JSON.stringify(r.Properties?.GroupId) === JSON.stringify({ 'Fn::GetAtt': [sg(endpoint), 'GroupId'] }))
      .map((r) => r.Properties?.SourceSecurityGroupId['Fn::GetAtt'][0]);
    const [secrets, sts, events, rdsApi] = ['SecretsManager', 'Sts', 'Events', 'Rds'].map((id) => db.endpoints.find((e) => e.node.id === id));
    expect(sources(secrets!)).toEqual([sg(db.roleModel)]);
    expect(sources(sts!)).toEqual([sg(db.broker)]);
    expect(sources(events!)).toEqual([sg(db.broker)]);
    expect(sources(rdsApi!)).toEqual([sg(db.broker)]);
  });
});

describe('the synth-time endpoint check', () => {
  it('stops an imported VPC whose Lambda subnets have no NAT route, naming the fixes', () => {
    const imported = (stack: Stack) => ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'], isolatedSubnetIds: ['subnet-0a', 'subnet-0b'],
    });
    expect(() => build({}, imported)).toThrow(
      "Net/MyPg: the Lambdas run in subnets without a NAT route (subnetType Isolated) of an imported VPC and need interface endpoints for secretsmanager, sts, events and rds, which this app does not define; set lambdaEndpoints: LambdaEndpoints.CREATE to create them, lambdaEndpoints: LambdaEndpoints.EXISTING if the VPC already has them with private DNS, or lambdaSubnets to private subnets with egress",
    );
    expect(endpointServices(build({ lambdaEndpoints: LambdaEndpoints.CREATE }, imported).json)).toEqual(['events', 'rds', 'secretsmanager', 'sts']);
    expect(endpointServices(build({ lambdaEndpoints: LambdaEndpoints.EXISTING }, imported).json)).toEqual([]);
  });

  it('reuses an endpoint the app already defines for the VPC instead of adding a second one', () => {
    let own: ec2.InterfaceVpcEndpoint | undefined;
    const { json, db, ref } = build({}, (stack) => {
      const vpc = new ec2.Vpc(stack, 'Flat', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
      own = vpc.addInterfaceEndpoint('Mine', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
      return vpc;
    });
    expect(endpointServices(json)).toEqual(['events', 'rds', 'secretsmanager', 'sts']);
    expect(db.endpoints).toContain(own);
    // The role model's resource waits for the reused endpoint too (and a DESTROY delete runs before it goes).
    const [resourceId] = Object.entries(json.Resources).find(([, r]) => r.Type === 'Custom::FirefighterRoleModel') ?? [];
    expect(dependencyClosure(json as never, resourceId as string).has(ref(own as ec2.InterfaceVpcEndpoint))).toBe(true);
  });

  it('orders a standalone RoleModel\'s resources after the endpoint it creates and that endpoint\'s ingress rule', () => {
    const stack = new Stack(new App(), 'Standalone');
    const vpc = new ec2.Vpc(stack, 'Flat', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const cluster = new rds.DatabaseCluster(stack, 'Cluster', { engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 }), writer: rds.ClusterInstance.serverlessV2('writer'), vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const model = new RoleModel(stack, 'Model', { spec, cluster, masterSecret: cluster.secret as never, vpc });
    const json = Template.fromStack(stack).toJSON() as Json;
    const id = (c: { node: { defaultChild?: unknown } }) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
    const [endpoint] = model.endpoints;
    const rules = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::EC2::SecurityGroupIngress'
      && JSON.stringify(r.Properties?.SourceSecurityGroupId).includes(id(model.handler.connections.securityGroups[0] as ec2.SecurityGroup))).map(([rid]) => rid);
    expect(rules).toHaveLength(2);
    const waitsFor = dependencyClosure(json as never, id(model.databaseResource('my-pg-db')));
    expect([id(endpoint as ec2.InterfaceVpcEndpoint), ...rules].filter((r) => !waitsFor.has(r))).toEqual([]);
  });
});

describe('without a broker', () => {
  it('creates no STS endpoint (and no security group for one)', () => {
    const { json } = build({ enableBroker: false });
    expect(endpointServices(json)).toEqual(['secretsmanager']);
  });
});

describe('a broker that publishes no events (eventBus: false)', () => {
  it('creates no EventBridge endpoint', () => {
    const { json } = build({ broker: { enableEvents: false } });
    expect(endpointServices(json)).toEqual(['rds', 'secretsmanager', 'sts']);
  });
});

describe('a broker that does not look up the instances (instanceDiscovery: false)', () => {
  it('creates no RDS endpoint, grants no rds:Describe* and writes no cluster identifier', () => {
    const { json } = build({ broker: { instanceDiscovery: false } });
    expect(endpointServices(json)).toEqual(['events', 'secretsmanager', 'sts']);
    expect(JSON.stringify(json)).not.toMatch(/rds:Describe|rdsClusterIdentifier/);
  });
});
