// Issue 18, item 8: FirefighterDatabase takes aws-rds's props where the thing is the same (writer and readers as
// IClusterInstance, engine, credentials, backup, removalPolicy), so provisioned instances are possible too.
import { readFileSync } from 'node:fs';
import { App, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, type FirefighterDatabaseProps } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

function build(props: Partial<FirefighterDatabaseProps> = {}, extra?: (stack: Stack) => Partial<FirefighterDatabaseProps>) {
  const stack = new Stack(new App(), 'Rds');
  new FirefighterDatabase(stack, 'MyPg', { spec, enableBroker: false, ...props, ...extra?.(stack) });
  return Template.fromStack(stack);
}

beforeAll(() => ensureBundles());

describe('writer and readers', () => {
  it('default: one Serverless v2 writer, no readers, not publicly accessible', () => {
    const template = build();
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless', PubliclyAccessible: false });
  });

  it('takes a provisioned writer and a mix of provisioned and Serverless v2 readers', () => {
    const template = build({
      writer: rds.ClusterInstance.provisioned('writer', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE), publiclyAccessible: false }),
      readers: [
        rds.ClusterInstance.provisioned('reader1', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE), publiclyAccessible: false }),
        rds.ClusterInstance.serverlessV2('reader2', { publiclyAccessible: false, scaleWithWriter: true }),
      ],
    });
    const classes = Object.values(template.findResources('AWS::RDS::DBInstance')).map((r) => (r as { Properties: { DBInstanceClass: string } }).Properties.DBInstanceClass).sort();
    expect(classes).toEqual(['db.r6g.large', 'db.r6g.large', 'db.serverless']);
  });

  it('refuses more than Aurora\'s 15 readers, naming how many to remove', () => {
    const readers = Array.from({ length: 16 }, (_, i) => rds.ClusterInstance.serverlessV2(`reader${i + 1}`));
    expect(() => build({ readers })).toThrow('Rds/MyPg: readers has 16 instances, more than Aurora\'s 15 replicas; remove 1');
  });
});

describe('engine, credentials, backup, removalPolicy', () => {
  it('engine: the given Aurora PostgreSQL version, in the cluster and its parameter group', () => {
    const template = build({ engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }) });
    template.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', EngineVersion: '16.4' });
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: 'aurora-postgresql16' });
  });

  it('refuses an engine that is not Aurora PostgreSQL, or one without a version', () => {
    expect(() => build({ engine: rds.DatabaseClusterEngine.auroraMysql({ version: rds.AuroraMysqlEngineVersion.VER_3_08_0 }) }))
      .toThrow('Rds/MyPg: engine aurora-mysql is not Aurora PostgreSQL, which the role model manages; use rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 })');
    expect(() => build({ engine: rds.DatabaseClusterEngine.AURORA_POSTGRESQL }))
      .toThrow('Rds/MyPg: engine has no version (auroraPostgres without one follows whatever RDS picks); give one, e.g. rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 })');
  });

  it('credentials: a generated secret for the given user; a secret of your own is the master secret', () => {
    build({ credentials: rds.Credentials.fromGeneratedSecret('dbmaster') }).hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"dbmaster"}' }),
    });
    const stack = new Stack(new App(), 'Own');
    const secret = new secretsmanager.Secret(stack, 'Master', { generateSecretString: { secretStringTemplate: '{"username":"dbmaster"}', generateStringKey: 'password', excludePunctuation: true } });
    const db = new FirefighterDatabase(stack, 'MyPg', { spec, enableBroker: false, credentials: rds.Credentials.fromSecret(secret) });
    // The secret, attached to the cluster (aws-rds's SecretTargetAttachment), and no second one generated.
    expect(stack.resolve(db.masterSecret.secretArn)).toEqual({ Ref: expect.stringMatching(/^MasterAttachment/) });
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  it('refuses credentials from a password, which leave the role-model handler no secret to read', () => {
    expect(() => build({ credentials: rds.Credentials.fromPassword('dbmaster', SecretValue.unsafePlainText('not-a-secret')) }))
      .toThrow('Rds/MyPg: credentials from a password (rds.Credentials.fromPassword) leave no secret for the role-model handler to read; use rds.Credentials.fromGeneratedSecret(username) or rds.Credentials.fromSecret(secret)');
  });

  it('backup and removalPolicy go to the cluster as aws-rds would put them', () => {
    const template = build({ backup: { retention: Duration.days(14), preferredWindow: '03:00-04:00' }, removalPolicy: RemovalPolicy.RETAIN });
    template.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 14, PreferredBackupWindow: '03:00-04:00' });
    template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});
