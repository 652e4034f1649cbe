// RoleModel and PasswordBroker on clusters the constructs did not create: in another stack, or imported.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { LambdaEndpoints, PasswordBroker, RoleModel } from '../../lib/constructs/index.js';
import { ROLE_MODEL_RESOURCE_TYPE } from '../../lib/spec/custom-resource-contract.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { ensureBundles, findCycle, REPO } from './support.js';

const reference = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as RoleModelSpec;
const twoDatabases = JSON.parse(readFileSync(path.join(REPO, 'examples', 'two-databases.json'), 'utf8')) as RoleModelSpec;
const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 });

beforeAll(() => ensureBundles());

function importedCluster(stack: Stack) {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
  });
  const cluster = rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, 'Legacy', {
    clusterIdentifier: 'legacy-pg',
    clusterResourceIdentifier: 'cluster-ABCDEFGHIJKLMNOP',
    clusterEndpointAddress: 'legacy-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
    instanceEndpointAddresses: ['legacy-pg-1.abc.eu-west-1.rds.amazonaws.com', 'legacy-pg-2.abc.eu-west-1.rds.amazonaws.com'],
    port: 5432,
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'ClusterSg', 'sg-0cccccccccccccccc')],
    engine,
  });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Master', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-pg-master-AbCdEf');
  return { vpc, cluster, secret };
}

describe('a cluster in one stack, the role model and the broker in another', () => {
  let app: App;
  let dataStack: Stack;
  let accessStack: Stack;

  beforeAll(() => {
    app = new App();
    dataStack = new Stack(app, 'Data');
    const vpc = new ec2.Vpc(dataStack, 'Vpc', { natGateways: 0, maxAzs: 2, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const cluster = new rds.DatabaseCluster(dataStack, 'Cluster', {
      engine,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      writer: rds.ClusterInstance.serverlessV2('writer'),
      iamAuthentication: true,
    });
    accessStack = new Stack(app, 'Access');
    const roleModel = new RoleModel(accessStack, 'RoleModel', { spec: twoDatabases, cluster, masterSecret: cluster.secret as secretsmanager.ISecret, vpc });
    const broker = new PasswordBroker(accessStack, 'Broker', { spec: twoDatabases, cluster, vpc });
    broker.node.addDependency(roleModel);
  });

  it('synthesizes: the access stack depends on the data stack and not the other way round', () => {
    const assembly = app.synth();
    const stackDeps = (name: string) => assembly.getStackByName(name).dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'));
    expect(stackDeps('Access')).toEqual(['Data']);
    expect(stackDeps('Data')).toEqual([]);
  });

  it('has no cycle inside either template', () => {
    expect(findCycle(Template.fromStack(dataStack).toJSON() as never)).toBeUndefined();
    expect(findCycle(Template.fromStack(accessStack).toJSON() as never)).toBeUndefined();
  });

  it('keeps the ingress rules beside the Lambdas, in the access stack', () => {
    // The role-model handler and the broker to the cluster port (imported from the data stack); them to the four
    // endpoints below on 443.
    const ports = Object.values(Template.fromStack(accessStack).findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties.FromPort as unknown);
    expect(ports.map((p) => (p === 443 ? 443 : 'cluster port')).sort()).toEqual([443, 443, 443, 443, 'cluster port', 'cluster port']);
    Template.fromStack(dataStack).resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('creates the interface endpoints the Lambdas need in isolated subnets beside them, in the access stack', () => {
    // Before: none at all (the handler and the broker timed out at deploy time calling Secrets Manager and STS).
    const services = Object.values(Template.fromStack(accessStack).findResources('AWS::EC2::VPCEndpoint'))
      .map((r) => JSON.stringify(r.Properties.ServiceName).match(/\.(secretsmanager|sts|events|rds)\b/)?.[1]).sort();
    expect(services).toEqual(['events', 'rds', 'secretsmanager', 'sts']);
    Template.fromStack(dataStack).resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('creates one custom resource per database, each naming its own database', () => {
    const resources = Template.fromStack(accessStack).findResources(ROLE_MODEL_RESOURCE_TYPE);
    expect(Object.values(resources).map((r) => r.Properties.Database).sort()).toEqual(['my-pg-db', 'other_pg_db']);
  });
});

describe('an imported cluster', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(new App(), 'Imported');
    const { vpc, cluster, secret } = importedCluster(stack);
    // The imported VPC's isolated subnets have the endpoints already (the usual set-up of such a VPC).
    new RoleModel(stack, 'RoleModel', { spec: reference, cluster, masterSecret: secret, vpc, removalPolicy: RemovalPolicy.DESTROY, endpoints: LambdaEndpoints.EXISTING });
    new PasswordBroker(stack, 'Broker', { spec: reference, cluster, vpc, readOnlyRequesters: ['arn:aws:iam::123456789012:role/oncall'], endpoints: LambdaEndpoints.EXISTING });
    template = Template.fromStack(stack);
  });

  it('scopes rds-db:connect to the given cluster resource id and the broker user', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]);
    const connect = statements.filter((s) => s.Action === 'rds-db:connect');
    expect(connect).toHaveLength(1);
    expect(JSON.stringify(connect[0]?.Resource)).toContain(':dbuser:cluster-ABCDEFGHIJKLMNOP/my_pg_password_broker');
  });

  it('opens the imported security group to the two Lambdas on the cluster port', () => {
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(rules).toHaveLength(2);
    for (const rule of rules) expect(rule).toMatchObject({ GroupId: 'sg-0cccccccccccccccc', FromPort: 5432, ToPort: 5432, IpProtocol: 'tcp' });
  });

  it('passes the endpoint, port, secret ARN and destroy policy to the custom resource', () => {
    const [resource] = Object.values(template.findResources(ROLE_MODEL_RESOURCE_TYPE));
    expect(resource?.Properties).toMatchObject({
      Host: 'legacy-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
      Port: '5432',
      SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:legacy-pg-master-AbCdEf',
      RemovalPolicy: 'destroy',
      DropDatabaseOnDelete: 'false',
    });
  });

  it('gives the broker every instance endpoint', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.FIREFIGHTER_BROKER_CONFIG);
    const config = JSON.parse(fn?.Properties.Environment.Variables.FIREFIGHTER_BROKER_CONFIG as string);
    expect(config).toMatchObject({
      writerHost: 'legacy-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
      instanceHosts: ['legacy-pg-1.abc.eu-west-1.rds.amazonaws.com', 'legacy-pg-2.abc.eu-west-1.rds.amazonaws.com'],
      port: 5432,
      allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: [] },
    });
  });
});

describe('validation errors name the value and the fix', () => {
  const build = (extra: (stack: Stack, parts: ReturnType<typeof importedCluster>) => void) => () => {
    const stack = new Stack(new App(), 'Invalid');
    extra(stack, importedCluster(stack));
  };

  it.each([
    [
      'a SNAPSHOT removal policy',
      build((s, { vpc, cluster, secret }) => new RoleModel(s, 'R', { spec: reference, cluster, masterSecret: secret, vpc, removalPolicy: RemovalPolicy.SNAPSHOT })),
      /removalPolicy snapshot is not supported for a role model; use RemovalPolicy.RETAIN or RemovalPolicy.DESTROY/,
    ],
    [
      'dropDatabaseOnDelete under RETAIN',
      build((s, { vpc, cluster, secret }) => new RoleModel(s, 'R', { spec: reference, cluster, masterSecret: secret, vpc, dropDatabaseOnDelete: true })),
      /dropDatabaseOnDelete is true but removalPolicy is RETAIN; set removalPolicy to RemovalPolicy.DESTROY/,
    ],
    [
      'an invalid spec',
      build((s, { vpc, cluster, secret }) => new RoleModel(s, 'R', { spec: { ...reference, cluster: '9bad' }, cluster, masterSecret: secret, vpc })),
      /cluster: must be an Aurora cluster identifier .* got "9bad"/,
    ],
    [
      'more broker concurrency than connections',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: reference, cluster, vpc, reservedConcurrentExecutions: 4 })),
      /reservedConcurrentExecutions 4 must be an integer from 1 to the broker user's connection limit \(3\); lower it, leave it unset/,
    ],
    [
      'a broker without IAM login',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: { ...reference, passwordBroker: { name: 'my_pg_password_broker', iam: false } }, cluster, vpc })),
      /passwordBroker.iam is false for "my_pg_password_broker"; the broker logs in with an IAM token/,
    ],
    [
      'a requester that is not an IAM principal ARN',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: reference, cluster, vpc, readWriteRequesters: ['oncall-lead'] })),
      /requester "oncall-lead" is not valid; use an IAM role, user or root ARN, e.g. arn:aws:iam::123456789012:role\/oncall/,
    ],
    [
      'a wildcard requester',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: reference, cluster, vpc, readOnlyRequesters: ['arn:aws:iam::123456789012:role/oncall-*'] })),
      /requester "arn:aws:iam::123456789012:role\/oncall-\*" contains a wildcard; list each role or user ARN/,
    ],
    [
      'an assumed-role session as a requester (the caller picks the session name)',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: reference, cluster, vpc, readWriteRequesters: ['arn:aws:sts::123456789012:assumed-role/oncall/alice'] })),
      /requester "arn:aws:sts::123456789012:assumed-role\/oncall\/alice" names an assumed-role session, whose name the caller picks when assuming the role, so it identifies nobody; list the role instead: arn:aws:iam::123456789012:role\/oncall/,
    ],
    [
      'an invalid incident id pattern',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: reference, cluster, vpc, incidentIdPattern: '(' })),
      /incidentIdPattern "\(" is not a valid regular expression/,
    ],
    [
      'an imported cluster without instance endpoints',
      build((s, { vpc }) => {
        const bare = rds.DatabaseCluster.fromDatabaseClusterAttributes(s, 'Bare', {
          clusterIdentifier: 'bare', clusterEndpointAddress: 'bare.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432,
          securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(s, 'BareSg', 'sg-0dddddddddddddddd')], engine, clusterResourceIdentifier: 'cluster-X',
        });
        new PasswordBroker(s, 'B', { spec: reference, cluster: bare, vpc });
      }),
      /the cluster has no instance endpoints .*; pass instanceHosts or import it with instanceEndpointAddresses/,
    ],
    [
      'a role model in isolated subnets of an imported VPC with no endpoint',
      build((s, { vpc, cluster, secret }) => new RoleModel(s, 'R', { spec: reference, cluster, masterSecret: secret, vpc })),
      /the role-model handler runs in subnets without a NAT route \(subnetType Isolated\) of an imported VPC and need interface endpoints for secretsmanager, which this app does not define; set endpoints: LambdaEndpoints.CREATE to create them, endpoints: LambdaEndpoints.EXISTING if the VPC already has them with private DNS, or vpcSubnets to private subnets with egress/,
    ],
    [
      'a broker in isolated subnets of an imported VPC with no endpoint',
      build((s, { vpc, cluster }) => new PasswordBroker(s, 'B', { spec: reference, cluster, vpc })),
      /the broker runs in subnets without a NAT route .* need interface endpoints for sts, events and rds, which this app does not define; set endpoints: LambdaEndpoints.CREATE/,
    ],
  ])('rejects %s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });

  it('names the database when asked for one the role model does not manage', () => {
    const stack = new Stack(new App(), 'Lookup');
    const { vpc, cluster, secret } = importedCluster(stack);
    const roleModel = new RoleModel(stack, 'R', { spec: reference, cluster, masterSecret: secret, vpc, endpoints: LambdaEndpoints.EXISTING });
    expect(roleModel.databaseResource('my-pg-db').node.id).toBe('Database-my-pg-db');
    expect(() => roleModel.databaseResource('nope')).toThrow(/database "nope" is not in the role model \(my-pg-db\); add it to the spec/);
  });
});
