// Props that real environments need (issue 11, item 7, part): an overridable cluster identifier (and with it the
// log group name), and synth-time errors for values a later step would reject, each naming the fix.
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, PasswordDelivery, type FirefighterDatabaseProps } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

function build(props: Partial<FirefighterDatabaseProps> = {}) {
  const stack = new Stack(new App(), 'Props');
  new FirefighterDatabase(stack, 'MyPg', { spec, enableBroker: false, ...props });
  return Template.fromStack(stack);
}

beforeAll(() => ensureBundles());

describe('clusterIdentifier', () => {
  it('names the cluster and its PostgreSQL log group when given (one per account and region)', () => {
    const template = build({ clusterIdentifier: 'My-PG-Staging' });
    template.hasResourceProperties('AWS::RDS::DBCluster', { DBClusterIdentifier: 'my-pg-staging' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/rds/cluster/my-pg-staging/postgresql' });
  });

  it('refuses a value RDS would reject', () => {
    expect(() => build({ clusterIdentifier: 'pg--x' })).toThrow('Props/MyPg: clusterIdentifier "pg--x" is not an RDS cluster identifier (a letter, then letters, digits and single hyphens, at most 63, no trailing hyphen); e.g. my-pg-staging');
  });
});

describe('synth-time errors for values later steps would reject', () => {
  it('a master username that is one of the managed roles', () => {
    expect(() => build({ credentials: rds.Credentials.fromGeneratedSecret('my_pg_admin') })).toThrow('Props/MyPg: credentials.username "my_pg_admin" is also the managed role admin.name of the spec; the role model would manage (and restrict) the master itself; pick another credentials.username or rename the role in the spec');
  });

  it('an engine below PostgreSQL 15', () => {
    expect(() => build({ engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_14_9 }) })).toThrow('Props/MyPg: engine version 14.9 is below PostgreSQL 15, which the role model needs (per-grant options, pg_catalog functions it relies on); use rds.AuroraPostgresEngineVersion.VER_15_x or later');
  });
});

// Issue 11, item 7 (rest): KMS, security groups, Performance Insights, monitoring, grantConnect, connections.
function buildWith(props: Partial<FirefighterDatabaseProps>, extra?: (stack: Stack, db: FirefighterDatabase) => void) {
  const app = new App();
  const stack = new Stack(app, 'Props', { env: { account: '123456789012', region: 'eu-west-1' } });
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, ...props });
  extra?.(stack, db);
  return { app, stack, db, template: Template.fromStack(stack), json: Template.fromStack(stack).toJSON() as TemplateJson };
}

type TemplateJson = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

function ofType(json: TemplateJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties ?? {}]);
}

function keyedStack(props: Partial<FirefighterDatabaseProps> = {}, extra?: (stack: Stack, db: FirefighterDatabase) => void) {
  const app = new App();
  const stack = new Stack(app, 'Props', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, storageEncryptionKey: key, ...props });
  extra?.(stack, db);
  const template = Template.fromStack(stack);
  const keyArn = { 'Fn::GetAtt': [stack.resolve(stack.getLogicalId(key.node.defaultChild as kms.CfnKey)) as string, 'Arn'] };
  return { app, stack, db, key, keyArn, template, json: template.toJSON() as TemplateJson };
}

describe('storageEncryptionKey', () => {
  it('encrypts the cluster storage, the master secret, every log group and the broker\'s password secrets with the customer key', () => {
    const { keyArn, template, json } = keyedStack({ broker: { delivery: PasswordDelivery.SECRET } });
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true, KmsKeyId: keyArn });
    const secrets = ofType(json, 'AWS::SecretsManager::Secret');
    expect(secrets.length).toBe(3); // the master secret and the two firefighter password secrets
    for (const [id, p] of secrets) expect(p.KmsKeyId, id).toEqual(keyArn);
    const logGroups = ofType(json, 'AWS::Logs::LogGroup');
    // PostgreSQL, flow logs, role-model handler, provider framework, broker
    expect(logGroups.length).toBe(5);
    for (const [id, p] of logGroups) expect(p.KmsKeyId, id).toEqual(keyArn);
  });

  it('lets CloudWatch Logs of this account and region use a key of this app, and the handler decrypt the master secret', () => {
    const { template, keyArn } = keyedStack();
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: { 'Fn::Join': ['', ['logs.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:*']] } } },
      })]) },
    });
    void keyArn;
    // Without the @aws-cdk/aws-kms:defaultKeyPolicies flag (this test app) the grant lands in the key policy.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyPgRoleModelHandlerServiceRole'), 'Arn'] } },
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      })]) },
    });
  });

  it('warns, naming the statement, when the key is imported and its policy cannot be changed here', () => {
    const app = new App();
    const stack = new Stack(app, 'Props', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new FirefighterDatabase(stack, 'MyPg', { spec, enableBroker: false, storageEncryptionKey: key });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('is imported, so its key policy cannot be changed here; it must allow the service principal logs.<region>.amazonaws.com'));
    expect(warnings.length).toBeGreaterThan(0);
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBCluster', { KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
  });
});

describe('security groups and connections', () => {
  it('puts the cluster, the role-model handler and the broker in the given groups, each admitted to the cluster port', () => {
    const app = new App();
    const s = new Stack(app, 'Sg');
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const clusterSg = new ec2.SecurityGroup(s, 'ClusterSg', { vpc });
    const handlerSg = new ec2.SecurityGroup(s, 'HandlerSg', { vpc });
    const brokerSg = new ec2.SecurityGroup(s, 'BrokerSg', { vpc });
    new FirefighterDatabase(s, 'MyPg', { spec, vpc, securityGroups: [clusterSg], roleModelSecurityGroups: [handlerSg], broker: { securityGroups: [brokerSg] } });
    const t = Template.fromStack(s);
    const id = (c: ec2.SecurityGroup) => ({ 'Fn::GetAtt': [s.resolve(s.getLogicalId(c.node.defaultChild as ec2.CfnSecurityGroup)) as string, 'GroupId'] });
    t.hasResourceProperties('AWS::RDS::DBCluster', { VpcSecurityGroupIds: [id(clusterSg)] });
    t.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Applies and verifies'), VpcConfig: Match.objectLike({ SecurityGroupIds: [id(handlerSg)] }) });
    t.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Issues temporary'), VpcConfig: Match.objectLike({ SecurityGroupIds: [id(brokerSg)] }) });
    const port = { 'Fn::GetAtt': [s.resolve(s.getLogicalId(s.node.findAll().find((c) => c instanceof rds.CfnDBCluster) as rds.CfnDBCluster)) as string, 'Endpoint.Port'] };
    for (const source of [handlerSg, brokerSg]) {
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: id(clusterSg), SourceSecurityGroupId: id(source), FromPort: port, ToPort: port });
    }
  });

  it('refuses one group for both the role-model handler and the broker (their two identical ingress rules would fail)', () => {
    const app = new App();
    const s = new Stack(app, 'Sg');
    const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const sg = new ec2.SecurityGroup(s, 'Shared', { vpc });
    expect(() => new FirefighterDatabase(s, 'MyPg', { spec, vpc, roleModelSecurityGroups: [sg], broker: { securityGroups: [sg] } }))
      .toThrow('Sg/MyPg: security group Sg/Shared is in both roleModelSecurityGroups and broker.securityGroups; give the role-model handler and the broker separate groups (the cluster admits each by its own rule)');
  });

  it('connections admits a peer to the cluster port', () => {
    const { template, json } = buildWith({ enableBroker: false }, (stack, db) => {
      db.connections.allowDefaultPortFrom(ec2.Peer.ipv4('10.9.0.0/16'), 'bastion network');
    });
    const [clusterSgId] = ofType(json, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('MyPgClusterSecurityGroup')) ?? [];
    const [clusterId] = ofType(json, 'AWS::RDS::DBCluster')[0] ?? [];
    expect(clusterSgId).toBeDefined();
    const port = { 'Fn::GetAtt': [clusterId, 'Endpoint.Port'] };
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [clusterSgId, 'GroupId'] }, CidrIp: '10.9.0.0/16', FromPort: port, ToPort: port, Description: 'bastion network',
    });
  });
});

describe('Performance Insights and enhanced monitoring', () => {
  it('enablePerformanceInsights turns it on for the cluster with 7 days under the customer key', () => {
    const { template, keyArn } = keyedStack({ enableBroker: false, enablePerformanceInsights: true });
    template.hasResourceProperties('AWS::RDS::DBCluster', { PerformanceInsightsEnabled: true, PerformanceInsightsRetentionPeriod: 7, PerformanceInsightsKmsKeyId: keyArn });
  });

  it('takes a retention and a key of its own', () => {
    const app = new App();
    const stack = new Stack(app, 'Pi');
    const piKey = new kms.Key(stack, 'PiKey', { enableKeyRotation: true });
    new FirefighterDatabase(stack, 'MyPg', { spec, enableBroker: false, performanceInsightRetention: rds.PerformanceInsightRetention.MONTHS_1, performanceInsightEncryptionKey: piKey });
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBCluster', {
      PerformanceInsightsEnabled: true, PerformanceInsightsRetentionPeriod: 31,
      PerformanceInsightsKmsKeyId: { 'Fn::GetAtt': [stack.resolve(stack.getLogicalId(piKey.node.defaultChild as kms.CfnKey)) as string, 'Arn'] },
    });
  });

  it('is off by default', () => {
    const template = build();
    template.hasResourceProperties('AWS::RDS::DBCluster', { PerformanceInsightsEnabled: Match.absent() });
    template.hasResourceProperties('AWS::RDS::DBInstance', { MonitoringInterval: Match.absent() });
  });

  it('monitoringInterval enables enhanced monitoring on the writer and every reader', () => {
    const { json } = buildWith({ enableBroker: false, readers: [rds.ClusterInstance.serverlessV2('reader1'), rds.ClusterInstance.serverlessV2('reader2')], monitoringInterval: Duration.seconds(15) });
    const instances = ofType(json, 'AWS::RDS::DBInstance');
    expect(instances).toHaveLength(3);
    for (const [id, p] of instances) {
      expect(p.MonitoringInterval, id).toBe(15);
      expect(JSON.stringify(p.MonitoringRoleArn), id).toMatch(/MyPgClusterMonitoringRole/);
    }
  });
});

describe('grantConnect', () => {
  it('gives rds-db:connect for exactly the app login of this cluster', () => {
    let grantee!: iam.Role;
    const { template, stack } = buildWith({ enableBroker: false }, (s, db) => {
      grantee = new iam.Role(s, 'App', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      db.grantConnect(grantee, 'my_pg_app');
    });
    const clusterId = stack.resolve(stack.getLogicalId(stack.node.findAll().find((c) => c instanceof rds.CfnDBCluster) as rds.CfnDBCluster)) as string;
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.resolve(stack.getLogicalId(grantee.node.defaultChild as iam.CfnRole)) as string }],
      PolicyDocument: { Statement: [{
        Action: 'rds-db:connect',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-west-1:123456789012:dbuser:', { 'Fn::GetAtt': [clusterId, 'DBClusterResourceId'] }, '/my_pg_app']] },
      }] },
    });
  });

  it.each([
    ['my_pg_firefighter_ro', 'role "my_pg_firefighter_ro" is a firefighter role, which gets temporary passwords from the broker only; use broker.grantRequest(principal, \'ro\' | \'rw\'), or grant one of my_pg_migrator, my_pg_app'],
    ['my_pg_password_broker', 'role "my_pg_password_broker" is the password broker\'s user, which only the broker function connects as; grant one of my_pg_migrator, my_pg_app'],
    ['my_pg_owner', 'role "my_pg_owner" cannot log in (a NOLOGIN group); grant one of my_pg_migrator, my_pg_app'],
    ['my_pg_admin', 'role "my_pg_admin" logs in with a password, not an IAM token, so rds-db:connect would give it nothing; set "iam": true on it in the spec, or grant one of my_pg_migrator, my_pg_app'],
    ['someone_else', 'role "someone_else" is not a role of the spec; grant one of my_pg_migrator, my_pg_app'],
  ])('refuses %s at synth time, naming the fix', (role, message) => {
    expect(() => buildWith({ enableBroker: false }, (s, db) => {
      db.grantConnect(new iam.Role(s, 'App', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }), role);
    })).toThrow(`Props/MyPg/RoleModel: grantConnect: ${message}`);
  });
});

describe('grantConnect with extra roles', () => {
  const withExtras = parseSpec({ ...spec, databases: [{ ...spec.databases[0], extraRoles: [{ name: 'my_pg_reporting', profile: 'read', iam: true }, { name: 'my_pg_analysts', profile: 'read', members: [] }] }] });
  it('grants an extra IAM login and refuses an extra NOLOGIN team group', () => {
    const stack = new Stack(new App(), 'Extras');
    const db = new FirefighterDatabase(stack, 'MyPg', { spec: withExtras, enableBroker: false });
    const role = new iam.Role(stack, 'Reports', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    db.grantConnect(role, 'my_pg_reporting');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'rds-db:connect', Resource: { 'Fn::Join': ['', Match.arrayWith(['/my_pg_reporting'])] } })] },
    });
    expect(() => db.grantConnect(role, 'my_pg_analysts')).toThrow('Extras/MyPg/RoleModel: grantConnect: role "my_pg_analysts" cannot log in (a NOLOGIN group); grant one of my_pg_migrator, my_pg_app, my_pg_reporting');
  });
});

describe('more synth-time errors', () => {
  it.each([
    ['1master', 'credentials.username "1master" is not an RDS master user name (a letter, then letters, digits or underscores, at most 63); e.g. postgres or dbmaster'],
    ['db-master', 'credentials.username "db-master" is not an RDS master user name (a letter, then letters, digits or underscores, at most 63); e.g. postgres or dbmaster'],
    ['rdsadmin', 'credentials.username "rdsadmin" is reserved by PostgreSQL or Aurora (pg_ and rds_ prefixes, rdsadmin, rdsrepladmin, public, none, current_user, session_user, current_role, system_user); e.g. postgres or dbmaster'],
    ['pg_master', 'credentials.username "pg_master" is reserved by PostgreSQL or Aurora (pg_ and rds_ prefixes, rdsadmin, rdsrepladmin, public, none, current_user, session_user, current_role, system_user); e.g. postgres or dbmaster'],
  ])('a master username RDS or PostgreSQL would refuse: %s', (name, message) => {
    expect(() => build({ credentials: rds.Credentials.fromGeneratedSecret(name) })).toThrow(`Props/MyPg: ${message}`);
  });

  it('auto-pause (0 ACU) on an engine that cannot scale to zero', () => {
    expect(() => build({ serverlessV2MinCapacity: 0, engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_15_4 }) }))
      .toThrow('Props/MyPg: serverlessV2MinCapacity 0 (auto-pause) needs Aurora PostgreSQL 15.7 or later, but the engine version is 15.4; upgrade the engine or set serverlessV2MinCapacity to 0.5');
    build({ serverlessV2MinCapacity: 0, engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }) }).hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4 } });
  });

  it('a backup retention outside RDS\'s 1 to 35 days', () => {
    expect(() => build({ backup: { retention: Duration.days(40) } })).toThrow('Props/MyPg: backup.retention 40 days must be a whole number of days from 1 to 35 (RDS\'s range); e.g. backup: { retention: Duration.days(7) }');
    expect(() => build({ backup: { retention: Duration.hours(12) } })).toThrow('Props/MyPg: backup.retention 12 hours must be a whole number of days from 1 to 35 (RDS\'s range); e.g. backup: { retention: Duration.days(7) }');
  });
});

describe('cdk-nag with every option on', () => {
  it('has zero unacknowledged AwsSolutions findings, each acknowledgement reasoned', () => {
    const { app, stack } = keyedStack({ enablePerformanceInsights: true, monitoringInterval: Duration.seconds(60), masterSecretRotation: true, broker: { delivery: PasswordDelivery.SECRET } }, (s, db) => {
      db.grantConnect(new iam.Role(s, 'App', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }), 'my_pg_app');
    });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    const reasons = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').flatMap((m) => Object.entries(m.data as Record<string, string>)));
    for (const [id, reason] of reasons) expect(reason.length, `reason for ${id}`).toBeGreaterThan(60);
    // Rotation on: the master secret's SMG4 is satisfied, not acknowledged.
    expect(reasons.map(([id]) => id)).not.toContain('AwsSolutions-SMG4');
  });
});

// Issue 11, item 8: single-user rotation of the master secret by the hosted rotation Lambda.
describe('masterSecretRotation', () => {
  it('deploys the hosted rotation app in the Lambda subnets, with a route to Secrets Manager and the cluster port', () => {
    const { json, template, stack, keyArn } = keyedStack({ enableBroker: false, masterSecretRotation: { automaticallyAfter: Duration.days(14) } });
    const idOf = (pathSuffix: string) => stack.resolve(stack.getLogicalId(stack.node.findAll().find((c) => c.node.path.endsWith(pathSuffix))?.node.defaultChild as ec2.CfnSecurityGroup)) as string;
    const rotationSg = idOf('MyPg/RotationSecurityGroup');
    const [app] = ofType(json, 'AWS::Serverless::Application');
    expect(app).toBeDefined();
    const parameters = (app?.[1].Parameters ?? {}) as Record<string, unknown>;
    expect(parameters.vpcSecurityGroupIds).toEqual({ 'Fn::GetAtt': [rotationSg, 'GroupId'] });
    // The role-model handler's subnets (isolated here), where the Secrets Manager endpoint is.
    const handler = ofType(json, 'AWS::Lambda::Function').find(([, p]) => String(p.Description).startsWith('Applies and verifies'));
    const handlerSubnets = (handler?.[1].VpcConfig as { SubnetIds: unknown[] }).SubnetIds;
    expect(parameters.vpcSubnetIds).toEqual({ 'Fn::Join': ['', [handlerSubnets[0], ',', handlerSubnets[1]]] });
    expect(parameters.kmsKeyArn).toEqual(keyArn);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(14 days)' } });
    // Into the Secrets Manager endpoint on 443 and the cluster port, from the rotation group only.
    const [endpointSg] = ofType(json, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('MyPgVpcSecretsManagerSecurityGroup')) ?? [];
    const [clusterSg] = ofType(json, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('MyPgClusterSecurityGroup')) ?? [];
    const ingress: Record<string, unknown>[] = [
      ...ofType(json, 'AWS::EC2::SecurityGroupIngress').map(([, p]) => p),
      ...ofType(json, 'AWS::EC2::SecurityGroup').flatMap(([id, p]) => ((p.SecurityGroupIngress ?? []) as Record<string, unknown>[]).map((r): Record<string, unknown> => ({ ...r, GroupId: { 'Fn::GetAtt': [id, 'GroupId'] } }))),
    ].filter((r) => JSON.stringify(r.SourceSecurityGroupId) === JSON.stringify({ 'Fn::GetAtt': [rotationSg, 'GroupId'] }));
    expect(ingress.map((r) => JSON.stringify(r.GroupId)).sort()).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [clusterSg, 'GroupId'] }),
      JSON.stringify({ 'Fn::GetAtt': [endpointSg, 'GroupId'] }),
    ].sort());
    expect(ingress.find((r) => JSON.stringify(r.GroupId).includes(String(endpointSg)))).toMatchObject({ FromPort: 443, ToPort: 443 });
  });

  it('true rotates every 30 days; off by default, where the master secret\'s SMG4 finding stays acknowledged', () => {
    buildWith({ enableBroker: false, masterSecretRotation: true }).template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
    const template = build();
    expect(template.findResources('AWS::SecretsManager::RotationSchedule')).toEqual({});
    expect(template.findResources('AWS::Serverless::Application')).toEqual({});
  });
});
