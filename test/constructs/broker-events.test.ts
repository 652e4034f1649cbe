// The deployed broker in per-person mode and the team told (issue 12, items 1 to 3): the construct writes
// firefighterLogins and the approvers into the Lambda's configuration (grantApprove allowlists and grants invoke),
// publishes to an event bus with events:PutEvents on exactly that bus, and routes events with one call.
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { BrokerEventOutcome, FirefighterAccess, FirefighterDatabase, type PasswordBrokerOptions } from '../../lib/constructs/index.js';
import { parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { EVENT_DETAIL_TYPES } from '../../lib/broker/protocol/broker-events.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { perPersonSpec, reference } from '../support/per-person-spec.js';
import { ensureBundles } from './support.js';

type Json = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

function build(broker: PasswordBrokerOptions = {}, wire?: (db: FirefighterDatabase, stack: Stack) => void, spec: RoleModelSpec = perPersonSpec,
  busOf?: (stack: Stack) => events.IEventBus) {
  const app = new App();
  const stack = new Stack(app, 'Events');
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, broker: { ...broker, ...(busOf ? { eventBus: busOf(stack) } : {}) } });
  wire?.(db, stack);
  const template = Template.fromStack(stack);
  const json = template.toJSON() as Json;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
  return { app, stack, db, template, json, id };
}

/** FIREFIGHTER_BROKER_CONFIG as the Lambda reads it, each intrinsic replaced by a value of the right shape. */
function deployedConfig(json: Json): unknown {
  const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.FIREFIGHTER_BROKER_CONFIG);
  const raw = fn?.Properties?.Environment.Variables.FIREFIGHTER_BROKER_CONFIG as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof raw === 'string') return JSON.parse(raw);
  const text = raw['Fn::Join'][1].map((part) => {
    if (typeof part === 'string') return part;
    const intrinsic = JSON.stringify(part);
    if (intrinsic.includes('Endpoint.Port')) return '5432';
    const arn = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(intrinsic);
    if (arn) return `arn:aws:iam::123456789012:role/${arn[1]}`;
    if (/^\{"Ref":"[^"]*Cluster[^"]*"\}$/.test(intrinsic)) return 'my-pg';
    return 'host.example.com';
  }).join('');
  return JSON.parse(text);
}

function policyStatements(json: Json, roleId: string): { Action: unknown; Resource: unknown }[] {
  return Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties?.PolicyDocument.Statement);
}

beforeAll(() => ensureBundles());

describe('a per-person spec with an approver', () => {
  let built: ReturnType<typeof build>;
  let lead: iam.Role;
  beforeAll(() => {
    built = build({}, (db, stack) => {
      lead = new iam.Role(stack, 'Lead', { assumedBy: new iam.AccountRootPrincipal() });
      db.broker.grantApprove(lead);
      db.broker.addRequester(FirefighterAccess.READ_WRITE, 'arn:aws:iam::123456789012:role/oncall');
    });
  });

  it('writes a configuration the broker parses as per-person logins with the approver on the approve allowlist only', () => {
    const config = parseBrokerConfig(deployedConfig(built.json));
    const leadArn = `arn:aws:iam::123456789012:role/${built.id(lead)}`;
    expect(config).toMatchObject({ firefighterLogins: 'per-person', eventBus: 'default', allowlist: { ro: [], rw: ['arn:aws:iam::123456789012:role/oncall'], approve: [leadArn] } });
  });

  it('lets the approver invoke exactly the broker function and read its locator, no wildcard', () => {
    const statements = policyStatements(built.json, built.id(lead));
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [built.id(built.db.broker.function), 'Arn'] } }),
      expect.objectContaining({ Action: expect.arrayContaining(['ssm:GetParameter']) }),
    ]));
    expect(JSON.stringify(statements)).not.toContain('*');
  });

  it('gives the broker events:PutEvents on exactly the default bus of its account and region', () => {
    const statements = policyStatements(built.json, built.id(built.db.broker.function.role as iam.Role)).filter((s) => JSON.stringify(s.Action).includes('events:'));
    expect(statements).toEqual([expect.objectContaining({
      Action: 'events:PutEvents',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
    })]);
  });

  it('does not warn about approvals', () => {
    expect(Annotations.fromStack(built.stack).findWarning('*', Match.stringLikeRegexp('nobody may approve'))).toEqual([]);
  });
});

describe('approvers and the spec', () => {
  it('warns when readWriteApproval is on and nobody may approve', () => {
    const { stack } = build();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('readWriteApproval is on for my-pg-db but nobody may approve; read-write requests stay pending: call broker.grantApprove\\(principal\\)'))).toHaveLength(1);
  });

  it('refuses an approver for a spec with shared logins, naming the fix', () => {
    expect(() => build({ approvers: ['arn:aws:iam::123456789012:role/lead'] }, undefined, reference))
      .toThrow(/approvals need per-person logins, and the spec issues shared ones; set "firefighterLogins": "per-person"/);
  });

  it('refuses an assumed-role session as an approver, naming the role to list instead', () => {
    expect(() => build({}, (db) => db.broker.addApprover('arn:aws:sts::123456789012:assumed-role/lead/carol')))
      .toThrow(/approver "arn:aws:sts::123456789012:assumed-role\/lead\/carol" names an assumed-role session.*arn:aws:iam::123456789012:role\/lead/);
  });

  it('writes no approve list and no firefighterLogins for a shared spec', () => {
    const config = parseBrokerConfig(deployedConfig(build({}, undefined, reference).json));
    expect(config.firefighterLogins).toBeUndefined();
    expect(config.allowlist.approve).toBeUndefined();
  });
});

describe('routing the events', () => {
  it('onEvent: a rule on the default bus matching the source, every detail-type and this broker only', () => {
    const { template, db } = build({}, (d, stack) => {
      d.broker.onEvent('ToQueue', { target: new targets.SqsQueue(new sqs.Queue(stack, 'Q', { enforceSSL: true })) });
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { source: ['cdk-aurora-firefighter'], 'detail-type': [...EVENT_DETAIL_TYPES], detail: { broker: [db.broker.brokerId] } },
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
  });

  it('onEvent with outcomes matches those detail-types only, and refuses an unknown one', () => {
    const { template } = build({}, (d) => d.broker.onEvent('Writes', { outcomes: [BrokerEventOutcome.ISSUED, BrokerEventOutcome.TAKEOVER] }));
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ 'detail-type': ['firefighter issued', 'firefighter takeover'] }) });
    expect(() => build({}, (d) => d.broker.onEvent('Bad', { outcomes: ['granted' as never] })))
      .toThrow(/rule "Bad" outcomes \["granted"\] must be a non-empty list of BrokerEventOutcome values \(issued, reissued/);
  });

  it('notifyTopic: one call sends every event to an SNS topic, which EventBridge may publish to', () => {
    let topic: sns.Topic | undefined;
    const { template, id, db } = build({}, (d, stack) => d.broker.notifyTopic(topic = new sns.Topic(stack, 'Oncall')));
    const topicId = id(topic!);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['cdk-aurora-firefighter'], detail: { broker: [db.broker.brokerId] } }),
      Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } })]) },
    });
  });

  it('publishes to a bus of the app instead: its name in the configuration, PutEvents on its ARN, rules on it', () => {
    let bus: events.EventBus | undefined;
    const { json, template, id, db } = build({}, (d) => d.broker.onEvent('All'), perPersonSpec, (stack) => (bus = new events.EventBus(stack, 'Incidents')));
    const busId = id(bus!);
    expect(JSON.stringify(json.Resources[id(db.broker.function)]?.Properties?.Environment)).toContain(`"eventBus\\":\\"",{"Ref":"${busId}"}`);
    template.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } })]) } });
    template.hasResourceProperties('AWS::Events::Rule', { EventBusName: { Ref: busId }, EventPattern: Match.objectLike({ source: ['cdk-aurora-firefighter'] }) });
  });

  it('eventBus: false publishes nothing: no eventBus in the configuration, no PutEvents, and onEvent says why', () => {
    const { json } = build({ enableEvents: false }, undefined, reference);
    expect(parseBrokerConfig(deployedConfig(json)).eventBus).toBeUndefined();
    expect(JSON.stringify(json)).not.toContain('events:PutEvents');
    expect(() => build({ enableEvents: false }, (d) => d.broker.onEvent('X'))).toThrow(/rule "X" needs the broker's events, and this broker was built with enableEvents: false/);
  });

  it('passes cdk-nag AwsSolutions with an approver and an encrypted topic notified, whose key EventBridge may use (topic.grantPublish grants it)', () => {
    const { app, template } = build({}, (d, stack) => {
      d.broker.grantApprove(new iam.Role(stack, 'Lead', { assumedBy: new iam.AccountRootPrincipal() }));
      d.broker.notifyTopic(new sns.Topic(stack, 'Oncall', { enforceSSL: true, masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }) }));
    });
    template.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Principal: { Service: 'events.amazonaws.com' },
    })]) } });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});
