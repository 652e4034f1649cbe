// Alarms on the broker's audit lines (issue 11, item 9): metric filters on the construct-owned log group for
// failed actions, refusals and takeovers, alarms with defaults, actions as a prop or added later, and none with
// `alarms: false`. That the patterns match what the broker really writes is pinned in
// test/security/audit-alarms.test.ts against real audit lines.
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, type PasswordBrokerOptions } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

function build(broker: PasswordBrokerOptions = {}, wire?: (db: FirefighterDatabase, stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Alarms');
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, broker });
  wire?.(db, stack);
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
  return { app, stack, db, template, id };
}

beforeAll(() => ensureBundles());

describe('broker alarms', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build();
  });

  it('counts failed, refused and takeover audit lines on the broker log group, per broker', () => {
    const logGroup = built.id(built.db.broker.logGroup);
    const filters = built.template.findResources('AWS::Logs::MetricFilter');
    expect(Object.values(filters).map((f) => [f.Properties.FilterPattern, f.Properties.MetricTransformations[0].MetricName]).sort()).toEqual([
      ['{ $.outcome = "failed" }', 'BrokerErrors'],
      ['{ $.outcome = "refused" }', 'BrokerRefusals'],
      ['{ $.outcome = "takeover" }', 'BrokerTakeovers'],
    ]);
    for (const f of Object.values(filters)) {
      expect(f.Properties.LogGroupName).toEqual({ Ref: logGroup });
      expect(f.Properties.MetricTransformations[0]).toMatchObject({ MetricNamespace: 'CdkAuroraFirefighter', MetricValue: '1', Dimensions: [{ Key: 'Broker', Value: '$.broker' }] });
    }
    // The function writes to exactly that log group.
    built.template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: logGroup } } });
  });

  it('alarms on any error, 3 refusals or any takeover in 5 minutes, missing data not breaching, no actions by default', () => {
    const alarms = built.template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(3);
    const byDescription = (word: string) => Object.values(alarms).find((a) => String(a.Properties.AlarmDescription).includes(word))!.Properties;
    const brokerId = built.db.broker.brokerId;
    const refusals = byDescription('refused');
    expect(refusals).toMatchObject({ Threshold: 3, EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', MetricName: 'BrokerRefusals', Namespace: 'CdkAuroraFirefighter', Statistic: 'Sum', Period: 300, Dimensions: [{ Name: 'Broker', Value: brokerId }] });
    expect(byDescription('taken over')).toMatchObject({ Threshold: 1, MetricName: 'BrokerTakeovers', Period: 300 });
    const errors = byDescription('failed');
    expect(errors.Threshold).toBe(1);
    // Failed audit lines plus the function's own Errors: a timeout writes no audit line.
    expect(errors.Metrics).toEqual(expect.arrayContaining([
      expect.objectContaining({ Expression: 'FILL(audit, 0) + FILL(invocations, 0)', ReturnData: true }),
      expect.objectContaining({ Id: 'audit', MetricStat: expect.objectContaining({ Metric: expect.objectContaining({ MetricName: 'BrokerErrors', Namespace: 'CdkAuroraFirefighter' }) }) }),
      expect.objectContaining({ Id: 'invocations', MetricStat: expect.objectContaining({ Metric: expect.objectContaining({ MetricName: 'Errors', Namespace: 'AWS/Lambda' }) }) }),
    ]));
    for (const a of Object.values(alarms)) expect(a.Properties.AlarmActions).toBeUndefined();
  });

  it('takes actions and thresholds as props, and more actions on the alarms afterwards', () => {
    let topic!: sns.Topic;
    let later!: sns.Topic;
    const { template, id } = build({ alarms: { refusalThreshold: 10, period: Duration.minutes(15) } }, (db, stack) => {
      topic = new sns.Topic(stack, 'Oncall');
      later = new sns.Topic(stack, 'Security');
      for (const alarm of db.broker.alarms!.all()) alarm.addAlarmAction(new actions.SnsAction(topic));
      db.broker.alarms!.takeovers.addAlarmAction(new actions.SnsAction(later));
    });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms.map((a) => a.AlarmActions)).toEqual(expect.arrayContaining([[{ Ref: id(topic) }], [{ Ref: id(topic) }, { Ref: id(later) }]]));
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'BrokerRefusals', Threshold: 10, Period: 900 });
    const viaProp = build({ alarms: { actions: [new actions.SnsAction(sns.Topic.fromTopicArn(new Stack(), 'T', 'arn:aws:sns:eu-west-1:123456789012:oncall'))] } });
    for (const a of Object.values(viaProp.template.findResources('AWS::CloudWatch::Alarm'))) expect(a.Properties.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:oncall']);
  });

  it('creates no alarms with alarms: false, and keeps the log group and its metric filters (broker.metric*())', () => {
    const { template, db } = build({ enableAlarms: false });
    template.resourceCountIs('AWS::Logs::MetricFilter', 3);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(db.broker.alarms).toBeUndefined();
    template.hasResourceProperties('AWS::Logs::LogGroup', Match.objectLike({ RetentionInDays: 365 }));
  });

  it('refuses a period that is not whole minutes and a threshold below 1, naming the fix', () => {
    expect(() => build({ alarms: { period: Duration.seconds(90) } })).toThrow('Alarms/MyPg/Broker/Alarms: alarms.period 1 minute 30 seconds must be a whole number of minutes (metric filters publish per minute); e.g. Duration.minutes(5)');
    expect(() => build({ alarms: { refusalThreshold: 0 } })).toThrow('alarms.refusalThreshold 0 must be an integer of at least 1');
  });

  it('keeps cdk-nag AwsSolutions clean', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
