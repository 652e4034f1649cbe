// Issue 18, item 8: `broker.metric*()` for what operators watch, each a CloudWatch metric a user's own alarm or
// dashboard can use; the audit metrics have their metric filters with or without the built-in alarms.
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, type PasswordBrokerOptions } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

beforeAll(() => ensureBundles());

type AlarmProps = { MetricName: string; Namespace: string; Statistic?: string; ExtendedStatistic?: string; Period: number; Dimensions: { Name: string; Value: unknown }[] };

/** One alarm of the user's own per metric, and what each synthesizes to. */
function alarmsOn(broker: PasswordBrokerOptions, metrics: (db: FirefighterDatabase) => Record<string, cloudwatch.IMetric>) {
  const stack = new Stack(new App(), 'Metrics');
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, broker });
  for (const [name, metric] of Object.entries(metrics(db))) new cloudwatch.Alarm(stack, `Mine${name}`, { metric, threshold: 1, evaluationPeriods: 1, alarmName: `mine-${name}` });
  const template = Template.fromStack(stack);
  const mine = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties as AlarmProps & { AlarmName?: string }).filter((p) => p.AlarmName?.startsWith('mine-'));
  return { stack, db, template, byName: Object.fromEntries(mine.map((p) => [p.AlarmName!.slice(5), p])) };
}

describe('PasswordBroker metrics', () => {
  it('audit metrics per broker (Sum, 5 minutes) and the function\'s own, overridable with MetricOptions', () => {
    const { stack, db, byName } = alarmsOn({}, (d) => ({
      failures: d.broker.metricFailures(), refusals: d.broker.metricRefusals(), takeovers: d.broker.metricTakeovers({ period: Duration.minutes(1) }),
      invocations: d.broker.metricInvocations(), errors: d.broker.metricErrors(), duration: d.broker.metricDuration(),
    }));
    const broker = [{ Name: 'Broker', Value: db.broker.brokerId }];
    expect(byName.failures).toMatchObject({ Namespace: 'CdkAuroraFirefighter', MetricName: 'BrokerErrors', Statistic: 'Sum', Period: 300, Dimensions: broker });
    expect(byName.refusals).toMatchObject({ Namespace: 'CdkAuroraFirefighter', MetricName: 'BrokerRefusals', Statistic: 'Sum', Period: 300, Dimensions: broker });
    expect(byName.takeovers).toMatchObject({ Namespace: 'CdkAuroraFirefighter', MetricName: 'BrokerTakeovers', Statistic: 'Sum', Period: 60, Dimensions: broker });
    const fn = [{ Name: 'FunctionName', Value: stack.resolve(db.broker.function.functionName) }];
    expect(byName.invocations).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Statistic: 'Sum', Period: 300, Dimensions: fn });
    expect(byName.errors).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300, Dimensions: fn });
    expect(byName.duration).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Duration', ExtendedStatistic: 'p99', Period: 300, Dimensions: fn });
  });

  it('counts audit lines with alarms: false too (the metric filters are the broker\'s, not the alarms\')', () => {
    const { template } = alarmsOn({ enableAlarms: false }, (d) => ({ refusals: d.broker.metricRefusals() }));
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((f) => f.Properties.MetricTransformations[0].MetricName as string).sort();
    expect(filters).toEqual(['BrokerErrors', 'BrokerRefusals', 'BrokerTakeovers']);
    expect(Object.values(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(1); // only the user's own
  });
});
