// The example app (bin/app.ts), synthesized once and asserted on resource by resource: what `cdk synth` deploys.
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROLE_MODEL_RESOURCE_TYPE, parseRoleModelProperties } from '../../lib/spec/custom-resource-contract.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tool } from '../support/tools.js';
import { dependencyClosure, ensureBundles, findCycle } from './support.js';

const RO = 'arn:aws:iam::123456789012:role/oncall-readonly';
const RW = 'arn:aws:iam::123456789012:role/oncall-lead';

let app: App;
let stack: Stack;
let template: Template;
let json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }> };

function resourcesOf(type: string): [string, { Properties?: Record<string, unknown>; DependsOn?: string[] }][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

/** Logical id of the one CloudFormation element whose construct path ends with `pathSuffix`, checked to be a `type`. */
function logicalIdOf(pathSuffix: string, type: string): string {
  const element = only(stack.node.findAll().filter((c) => c.node.path.endsWith(`/${pathSuffix}`) && CfnElement.isCfnElement(c)), pathSuffix) as CfnElement;
  const id = stack.resolve(stack.getLogicalId(element)) as string;
  expect(json.Resources[id]?.Type, pathSuffix).toBe(type);
  return id;
}

/** Every ingress rule of a security group, inline or separate: its source (a logical id or a CIDR) and ports. */
function ingressTo(groupId: string): { source: unknown; fromPort: unknown; toPort: unknown }[] {
  type Rule = { GroupId?: unknown; SourceSecurityGroupId?: { 'Fn::GetAtt': string[] }; CidrIp?: string; FromPort: unknown; ToPort: unknown };
  const inline = (json.Resources[groupId]?.Properties?.SecurityGroupIngress ?? []) as Rule[];
  const separate = resourcesOf('AWS::EC2::SecurityGroupIngress')
    .map(([, r]) => r.Properties as Rule)
    .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify({ 'Fn::GetAtt': [groupId, 'GroupId'] }));
  return [...inline, ...separate].map((r) => ({ source: r.SourceSecurityGroupId?.['Fn::GetAtt'][0] ?? r.CidrIp, fromPort: r.FromPort, toPort: r.ToPort }));
}

beforeAll(async () => {
  ensureBundles();
  const { buildExample } = await import('../../bin/app.js');
  app = new App({ context: { 'requesters-ro': RO, 'requesters-rw': RW } });
  stack = buildExample(app).stack;
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
});

describe('the Aurora cluster', () => {
  it('is Aurora PostgreSQL 17 with IAM auth, encryption, deletion protection and log export', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      EngineVersion: Match.stringLikeRegexp('^17\\.'),
      // The spec's name and 8 hex digits of the stack id: another stage, or a deploy after destroy, gets its own.
      DBClusterIdentifier: { 'Fn::Join': ['', ['my-pg-', Match.objectLike({ 'Fn::Select': Match.anyValue() })]] },
      EnableIAMDatabaseAuthentication: true,
      StorageEncrypted: true,
      DeletionProtection: true,
      EnableCloudwatchLogsExports: ['postgresql'],
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      MasterUsername: Match.anyValue(),
    });
  });

  it('has one Serverless v2 writer that is not public', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', PubliclyAccessible: false, PromotionTier: 0 });
  });

  it('forces TLS, restricts password changes to rds_password and logs connections through its cluster parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', {
      Family: 'aurora-postgresql17',
      Parameters: { 'rds.force_ssl': '1', 'rds.restrict_password_commands': '1', log_connections: '1', log_disconnections: '1' },
    });
  });

  it('exports PostgreSQL logs into a log group with retention that exists before the cluster', () => {
    const logGroupId = only(
      resourcesOf('AWS::Logs::LogGroup').filter(([, r]) => JSON.stringify(r.Properties?.LogGroupName ?? '').startsWith('{"Fn::Join":["",["/aws/rds/cluster/my-pg-",')),
      'postgresql log group',
    )[0];
    const cluster = only(resourcesOf('AWS::RDS::DBCluster'), 'cluster')[1];
    // Exactly the name RDS exports to: /aws/rds/cluster/<the cluster's identifier>/postgresql.
    const [, [prefix, stackIdPart]] = (cluster.Properties?.DBClusterIdentifier as { 'Fn::Join': [string, [string, unknown]] })['Fn::Join'];
    expect(json.Resources[logGroupId]?.Properties).toMatchObject({ LogGroupName: { 'Fn::Join': ['', [`/aws/rds/cluster/${prefix}`, stackIdPart, '/postgresql']] }, RetentionInDays: 365 });
    expect(only(resourcesOf('AWS::RDS::DBCluster'), 'cluster')[1].DependsOn).toContain(logGroupId);
    template.resourceCountIs('Custom::LogRetention', 0);
  });

  it('takes its master password from a secret generated at deploy time', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', SecretStringTemplate: '{"username":"postgres"}' }),
    });
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 1);
  });
});

describe('the network', () => {
  it('has isolated subnets only: no NAT gateway, no internet gateway, no public IPs', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    for (const [, subnet] of resourcesOf('AWS::EC2::Subnet')) expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
  });

  it('has exactly the Secrets Manager, STS, EventBridge and RDS interface endpoints, each open only to the Lambda that calls it', () => {
    const endpoints = resourcesOf('AWS::EC2::VPCEndpoint');
    expect(endpoints.map(([, e]) => JSON.stringify(e.Properties?.ServiceName)).sort()).toEqual([
      expect.stringContaining('.events'),
      expect.stringContaining('.rds'),
      expect.stringContaining('.secretsmanager'),
      expect.stringContaining('.sts'),
    ]);
    for (const [, e] of endpoints) expect(e.Properties?.VpcEndpointType).toBe('Interface');
    const handlerSg = logicalIdOf('RoleModel/Handler/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup');
    const brokerSg = logicalIdOf('Broker/Function/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup');
    // Each endpoint admits only the Lambda that calls it: the master secret is read by the role-model handler,
    // callers are verified at STS by the broker, which publishes events and asks RDS for the instances (with delivery PasswordDelivery.SECRET it is let into
    // Secrets Manager too).
    for (const [name, callers] of [['SecretsManager', [handlerSg]], ['Sts', [brokerSg]], ['Events', [brokerSg]], ['Rds', [brokerSg]]] as const) {
      const rules = ingressTo(logicalIdOf(`Vpc/${name}/SecurityGroup/Resource`, 'AWS::EC2::SecurityGroup'));
      expect(rules.map((r) => r.source).sort()).toEqual([...callers].sort());
      expect(rules.every((r) => r.fromPort === 443 && r.toPort === 443)).toBe(true);
    }
  });

  it('lets only the role-model handler and the broker reach the cluster port', () => {
    const clusterSg = logicalIdOf('Cluster/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup');
    const handlerSg = logicalIdOf('RoleModel/Handler/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup');
    const brokerSg = logicalIdOf('Broker/Function/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup');
    const rules = ingressTo(clusterSg);
    expect(rules.map((r) => r.source).sort()).toEqual([handlerSg, brokerSg].sort());
    for (const rule of rules) {
      expect(rule.fromPort).toEqual({ 'Fn::GetAtt': ['MyPgClusterE9360328', 'Endpoint.Port'] });
      expect(rule.toPort).toEqual(rule.fromPort);
    }
  });

  it('has flow logs with retention', () => {
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });
});

describe('the role model', () => {
  it('is one custom resource per database, through the Provider framework', () => {
    template.resourceCountIs(ROLE_MODEL_RESOURCE_TYPE, 1);
    const [, resource] = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource');
    const providerFn = logicalIdOf('RoleModel/Provider/framework-onEvent/Resource', 'AWS::Lambda::Function');
    expect(resource.Properties?.ServiceToken).toEqual({ 'Fn::GetAtt': [providerFn, 'Arn'] });
  });

  it('pins the properties contract (keys and literal values only)', () => {
    const [, resource] = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource');
    const { ServiceToken: _token, SpecJson, ...rest } = resource.Properties as Record<string, unknown>;
    expect(JSON.parse(SpecJson as string).databases.map((d: { name: string }) => d.name)).toEqual(['my-pg-db']);
    expect(rest).toMatchInlineSnapshot(`
      {
        "Database": "my-pg-db",
        "DropDatabaseOnDelete": "false",
        "Host": {
          "Fn::GetAtt": [
            "MyPgClusterE9360328",
            "Endpoint.Address",
          ],
        },
        "Port": {
          "Fn::GetAtt": [
            "MyPgClusterE9360328",
            "Endpoint.Port",
          ],
        },
        "RemovalPolicy": "retain",
        "SecretArn": {
          "Ref": "MyPgClusterSecretAttachmentAE467B21",
        },
      }
    `);
  });

  it('writes properties the handler parses', () => {
    const [, resource] = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource');
    const resolved = {
      ...(resource.Properties as Record<string, unknown>),
      SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:my-pg-master-AbCdEf',
      Host: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
      Port: '5432',
    };
    const request = parseRoleModelProperties(resolved);
    expect(request).toMatchObject({ database: 'my-pg-db', port: 5432, removalPolicy: 'retain', dropDatabaseOnDelete: false });
    expect(request.spec.cluster).toBe('my-pg');
  });

  it('waits for the writer instance, the secret attachment and its ingress rule, not just the endpoint', () => {
    const [, resource] = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource');
    expect(resource.DependsOn).toEqual(expect.arrayContaining([
      logicalIdOf('Cluster/writer/Resource', 'AWS::RDS::DBInstance'),
      logicalIdOf('Cluster/Secret/Attachment/Resource', 'AWS::SecretsManager::SecretTargetAttachment'),
      logicalIdOf('RoleModel/ClusterIngress0x0', 'AWS::EC2::SecurityGroupIngress'),
    ]));
  });

  it('waits for everything its handler uses (endpoint, endpoint and cluster rules, secret, writer), so create, update and a DESTROY delete are ordered', () => {
    const [resourceId] = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource');
    const waitsFor = dependencyClosure(json, resourceId);
    const handlerSg = logicalIdOf('RoleModel/Handler/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup');
    const secretsEndpoints = resourcesOf('AWS::EC2::VPCEndpoint').filter(([, e]) => JSON.stringify(e.Properties?.ServiceName).includes('.secretsmanager'));
    expect(secretsEndpoints).toHaveLength(1);
    // Every ingress rule that admits the handler (to the endpoint's group and to the cluster's), found by its source.
    const handlerRules = resourcesOf('AWS::EC2::SecurityGroupIngress')
      .filter(([, r]) => JSON.stringify(r.Properties?.SourceSecurityGroupId) === JSON.stringify({ 'Fn::GetAtt': [handlerSg, 'GroupId'] }))
      .map(([id]) => id);
    expect(handlerRules).toHaveLength(2);
    const needed = [
      ...secretsEndpoints.map(([id]) => id),
      ...handlerRules,
      logicalIdOf('Vpc/SecretsManager/SecurityGroup/Resource', 'AWS::EC2::SecurityGroup'),
      logicalIdOf('Cluster/writer/Resource', 'AWS::RDS::DBInstance'),
      logicalIdOf('Cluster/Secret/Attachment/Resource', 'AWS::SecretsManager::SecretTargetAttachment'),
      logicalIdOf('RoleModel/Handler/Resource', 'AWS::Lambda::Function'),
      logicalIdOf('RoleModel/Handler/ServiceRole/DefaultPolicy/Resource', 'AWS::IAM::Policy'),
    ];
    expect(needed.filter((id) => !waitsFor.has(id))).toEqual([]);
  });

  it('runs its handler on Node.js 22 in the VPC, trusting the runtime CA file, with a finite timeout', () => {
    const handler = logicalIdOf('RoleModel/Handler/Resource', 'AWS::Lambda::Function');
    const props = template.findResources('AWS::Lambda::Function')[handler]?.Properties;
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 600,
      Environment: { Variables: { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' } },
      VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
    });
  });

  it('lets the handler read exactly the master secret', () => {
    const role = logicalIdOf('RoleModel/Handler/ServiceRole/Resource', 'AWS::IAM::Role');
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]));
    const statements = policy?.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    expect(statements).toEqual([
      { Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: { Ref: 'MyPgClusterSecretAttachmentAE467B21' } },
    ]);
  });
});

describe('the password broker', () => {
  const brokerFunction = () => template.findResources('AWS::Lambda::Function')[logicalIdOf('Broker/Function/Resource', 'AWS::Lambda::Function')]?.Properties;

  it('may connect as exactly its database user on exactly this cluster', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
      .filter((s) => JSON.stringify(s.Action).includes('rds-db:'));
    const statement = only(statements, 'rds-db statement');
    expect(statement.Action).toBe('rds-db:connect');
    expect(statement.Resource).toEqual({
      'Fn::Join': ['', [
        'arn:', { Ref: 'AWS::Partition' }, ':rds-db:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':dbuser:',
        { 'Fn::GetAtt': ['MyPgClusterE9360328', 'DBClusterResourceId'] }, '/my_pg_password_broker',
      ]],
    });
  });

  it('reserves no concurrency, so it deploys in an account whose quota is below 100 (the connection limit bounds it)', () => {
    expect(brokerFunction()).toMatchObject({ Runtime: 'nodejs22.x', Environment: { Variables: { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' } } });
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => (r.Properties as Record<string, unknown>).ReservedConcurrentExecutions)).toEqual([undefined, undefined, undefined]);
  });

  it('gets its configuration (endpoints, roles, allowlists) as JSON in FIREFIGHTER_BROKER_CONFIG', () => {
    const raw = (brokerFunction()?.Environment as { Variables: Record<string, unknown> }).Variables.FIREFIGHTER_BROKER_CONFIG as { 'Fn::Join': [string, unknown[]] };
    // Substitute each intrinsic with a recognisable literal to read the JSON the Lambda will see.
    const text = raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part).includes('Endpoint.Port') ? '5432' : `<${JSON.stringify(part).includes('writer') ? 'writer' : 'cluster'}>`)).join('');
    expect(JSON.parse(text)).toEqual({
      clusterId: 'my-pg',
      brokerId: expect.stringMatching(/^FirefighterExample-MyPg-Broker-/),
      port: 5432,
      writerHost: '<cluster>',
      instanceHosts: ['<writer>'],
      brokerUser: 'my_pg_password_broker',
      databases: [{ name: 'my-pg-db', firefighterRo: 'my_pg_firefighter_ro', firefighterRw: 'my_pg_firefighter_rw' }],
      allowlist: { ro: [RO], rw: [RW] },
      delivery: 'response',
      eventBus: 'default',
      rdsClusterIdentifier: '<cluster>',
      statementLogGroup: '/aws/rds/cluster/<cluster>/postgresql',
    });
    // The identifier is the cluster's own (a Ref), so the broker asks RDS about exactly this cluster.
    expect(JSON.stringify(raw)).toContain(`rdsClusterIdentifier\\":\\"",{"Ref":"${logicalIdOf('Cluster/Resource', 'AWS::RDS::DBCluster')}"}`);
  });

  it('may ask RDS for the cluster\'s instances: DescribeDBClusters on this cluster only, DescribeDBInstances on db:*', () => {
    const role = logicalIdOf('Broker/Function/ServiceRole/Resource', 'AWS::IAM::Role');
    const statements = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${role}"`))
      .flatMap((r) => (r.Properties?.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement)
      .filter((st) => JSON.stringify(st.Action).includes('rds:Describe'));
    const cluster = logicalIdOf('Cluster/Resource', 'AWS::RDS::DBCluster');
    expect(statements).toEqual([
      expect.objectContaining({ Action: 'rds:DescribeDBClusters', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':cluster:', { Ref: cluster }]] } }),
      expect.objectContaining({ Action: 'rds:DescribeDBInstances', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':db:*']] } }),
    ]);
  });

  it('sweeps on a schedule with {"action":"sweep"}', () => {
    const fn = logicalIdOf('Broker/Function/Resource', 'AWS::Lambda::Function');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, Input: '{"action":"sweep"}' })],
    });
  });

  it('is deployed after the role model it relies on', () => {
    const fn = logicalIdOf('Broker/Function/Resource', 'AWS::Lambda::Function');
    const roleModel = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource')[0];
    expect(json.Resources[fn]?.DependsOn).toContain(roleModel);
  });
});

describe('the whole stack', () => {
  it('gives every Lambda its own log group with a retention', () => {
    const fns = resourcesOf('AWS::Lambda::Function');
    expect(fns).toHaveLength(3);
    for (const [, fn] of fns) {
      const logGroup = (fn.Properties?.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(json.Resources[logGroup]?.Properties?.RetentionInDays).toBe(365);
    }
  });

  it('holds no secret value: no literal secret strings, secrets resolved only by the cluster', () => {
    for (const [, secret] of resourcesOf('AWS::SecretsManager::Secret')) expect(secret.Properties?.SecretString).toBeUndefined();
    const text = JSON.stringify(json);
    const resolves = [...text.matchAll(/\{\{resolve:secretsmanager:/g)].length;
    const clusterText = JSON.stringify(only(resourcesOf('AWS::RDS::DBCluster'), 'cluster')[1].Properties);
    expect(resolves).toBeGreaterThan(0);
    expect([...clusterText.matchAll(/\{\{resolve:secretsmanager:/g)].length).toBe(resolves);
    for (const [, fn] of resourcesOf('AWS::Lambda::Function')) expect(JSON.stringify(fn.Properties)).not.toMatch(/password"\s*:|resolve:secretsmanager/i);
    const [, cr] = only(resourcesOf(ROLE_MODEL_RESOURCE_TYPE), 'role-model resource');
    expect(Object.keys(cr.Properties ?? {}).filter((k) => /pass|secret(?!arn)/i.test(k))).toEqual([]);
  });

  it('has no dependency cycle', () => {
    expect(findCycle(json)).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions with zero unacknowledged findings, each acknowledgement reasoned', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    const acknowledged = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data as Record<string, string>));
    const reasons = acknowledged.flatMap((entry) => Object.entries(entry));
    expect(reasons.length).toBeGreaterThan(0);
    for (const [id, reason] of reasons) expect(reason.length, `reason for ${id}`).toBeGreaterThan(60);
  });
});

// cfn-lint (Python, from PyPI, which a fresh machine cannot reach; on these machines it is installed) reads the
// template against CloudFormation's resource specification: property names, types, allowed values, references.
const cfnLint = tool('cfn-lint', 'pip install cfn-lint');
it.skipIf(!cfnLint.run)(`the template passes cfn-lint${cfnLint.note}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cfn-lint-'));
  try {
    const file = path.join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(json));
    // W3005 (a DependsOn that a Ref already implies) is how aws-cdk-lib's own Lambda roles are written.
    const result = spawnSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', file], { encoding: 'utf8' });
    expect(result.error?.message).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`.replaceAll(file, 'template.json')).toBe('');
    expect(result.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
