// Two stages of one app (staging and production of the same spec) in one account and region, and a deploy again
// after `cdk destroy`: nothing may carry a fixed physical name that the other stage, or what a destroy leaves
// behind (the cluster snapshot, retained log groups), already holds. And `firefighter --cluster` still finds each
// stage's broker.
import { App, Stage, type Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { locateBroker, type LocateOptions } from '../../bin/firefighter-cluster.js';
import { brokerParameterPath } from '../../lib/broker/protocol/broker-locator.js';
import { ensureBundles } from './support.js';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }> };

/** Properties that name a resource uniquely in an account and region. */
const NAME_PROPERTIES = ['DBClusterIdentifier', 'DBInstanceIdentifier', 'LogGroupName', 'Name', 'FunctionName', 'RoleName', 'SecretName', 'LaunchTemplateName', 'TopicName', 'AlarmName', 'BucketName', 'QueueName', 'DBClusterParameterGroupName', 'DBSubnetGroupName'];
function isUniquePerStack(value: unknown): boolean {
  const text = JSON.stringify(value) ?? '';
  return text.includes('"AWS::StackId"') || text.includes('"AWS::StackName"');
}

/** A value that names a resource (a literal, or built from the stack's id or name), not a reference to another one. */
function isName(value: unknown): boolean {
  return typeof value === 'string' || isUniquePerStack(value);
}

/** Every name a template gives its own resources: the resource, the property, the value, whether it is retained. */
function names(template: Template): { id: string; type: string; property: string; value: unknown; retained: boolean }[] {
  return Object.entries(template.Resources).flatMap(([id, r]) => NAME_PROPERTIES
    .filter((p) => isName(r.Properties?.[p]))
    .map((property) => ({ id, type: r.Type, property, value: r.Properties?.[property], retained: r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'Snapshot' })));
}

let staging: Stack;
let prod: Stack;
let templates: [Template, Template];

beforeAll(async () => {
  ensureBundles();
  const { buildExample } = await import('../../bin/app.js');
  const app = new App({ context: { 'access-host': 'true' } });
  staging = buildExample(new Stage(app, 'Staging')).stack;
  prod = buildExample(new Stage(app, 'Prod')).stack;
  const assembly = app.synth();
  templates = [staging, prod].map((s) => {
    const stage = Stage.of(s) as Stage;
    return stage.synth().getStackArtifact(s.artifactId).template as Template;
  }) as [Template, Template];
  expect(assembly).toBeDefined();
});

describe('two stages of the example app in one account and region', () => {
  it('give the cluster an identifier of the stack instance, not the spec\'s fixed "my-pg"', () => {
    for (const t of templates) {
      const [cluster] = Object.values(t.Resources).filter((r) => r.Type === 'AWS::RDS::DBCluster');
      expect(cluster?.Properties?.DBClusterIdentifier).toEqual({ 'Fn::Join': ['', ['my-pg-', { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] }]] });
      const [logs] = Object.values(t.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup' && JSON.stringify(r.Properties?.LogGroupName ?? '').includes('/aws/rds/cluster/'));
      expect(JSON.stringify(logs?.Properties?.LogGroupName)).toContain('"AWS::StackId"');
    }
  });

  it('share no literal physical name, and retain nothing under a name a deploy after destroy would meet again', () => {
    const [a, b] = templates.map(names) as [ReturnType<typeof names>, ReturnType<typeof names>];
    const literal = (list: typeof a) => list.filter((n) => !isUniquePerStack(n.value)).map((n) => JSON.stringify(n.value));
    expect(literal(a).filter((n) => literal(b).includes(n))).toEqual([]);
    // Retained (or snapshotted) resources survive `cdk destroy`: their names must be new for every stack instance.
    expect([...a, ...b].filter((n) => n.retained && !isUniquePerStack(n.value)).map((n) => `${n.type} ${n.property} ${JSON.stringify(n.value)}`)).toEqual([]);
    // The names this test knows of, so a new fixed one is noticed here.
    expect(a.map((n) => `${n.type}.${n.property}`).sort()).toEqual(['AWS::EC2::LaunchTemplate.LaunchTemplateName', 'AWS::Logs::LogGroup.LogGroupName', 'AWS::RDS::DBCluster.DBClusterIdentifier', 'AWS::SSM::Parameter.Name']);
  });

  it('write one broker locator per stage under the cluster\'s path, which `firefighter --cluster my-pg --stack` tells apart', async () => {
    const locators = templates.map((t) => Object.values(t.Resources).find((r) => r.Type === 'AWS::SSM::Parameter')?.Properties?.Name);
    expect(locators).toEqual(['/cdk-aurora-firefighter/my-pg/Staging-FirefighterExample/broker', '/cdk-aurora-firefighter/my-pg/Prod-FirefighterExample/broker']);
    // What SSM would hold after both deploys, read the way the CLI reads it.
    const stored = (locators as string[]).map((name, i) => ({
      name,
      value: JSON.stringify({ version: 1, cluster: 'my-pg', functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${['Staging', 'Prod'][i]}-Broker`, brokerId: `${['Staging', 'Prod'][i]}-broker-id` }),
    }));
    const listed: string[] = [];
    const list = async (path: string, _options: LocateOptions) => (listed.push(path), stored.filter((p) => p.name.startsWith(`${path}/`)));
    const get = async (name: string) => stored.find((p) => p.name === name)?.value;
    await expect(locateBroker('my-pg', { region: 'eu-west-1' }, get, list)).rejects.toThrow('2 brokers serve clusters named "my-pg" in eu-west-1 (stacks Prod-FirefighterExample, Staging-FirefighterExample); pass --stack with one of them, e.g. --stack Prod-FirefighterExample');
    expect(listed).toEqual([brokerParameterPath('my-pg')]);
    expect(await locateBroker('my-pg', { stack: 'Staging-FirefighterExample' }, get, list)).toMatchObject({ brokerId: 'Staging-broker-id', region: 'eu-west-1' });
    expect(await locateBroker('my-pg', { stack: 'Prod-FirefighterExample' }, get, list)).toMatchObject({ brokerId: 'Prod-broker-id' });
    // One stage alone: --cluster is enough.
    expect(await locateBroker('my-pg', {}, get, async (path) => stored.slice(1).filter((p) => p.name.startsWith(`${path}/`)))).toMatchObject({ brokerId: 'Prod-broker-id' });
  });
});
