// The broker's audit metrics. The broker writes one JSON line per action (powertools' logger,
// lib/broker/service.ts) whose `outcome` says what happened: `failed`, `refused`, `takeover`, ... Metric filters
// count those outcomes per broker (the line's `broker` field is a dimension, so two brokers in one account do
// not share a metric). They exist with or without alarms, so `broker.metricRefusals()` always has data.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The broker's audit metrics, as `BrokerAlarms.metric(kind)` takes them. */
export enum AuditMetricKind {
  /** Failed actions (audit outcome `failed`). */
  ERRORS = 'errors',
  /** Refused requests (audit outcome `refused`). */
  REFUSALS = 'refusals',
  /** Roles taken over from their holder (audit outcome `takeover`). */
  TAKEOVERS = 'takeovers',
}

/** What the audit metrics count, by the audit line's `outcome`. */
export const AUDIT_METRIC_OUTCOMES: { readonly [kind in AuditMetricKind]: string } = {
  [AuditMetricKind.ERRORS]: 'failed', [AuditMetricKind.REFUSALS]: 'refused', [AuditMetricKind.TAKEOVERS]: 'takeover',
};

/** The namespace of the broker's audit metrics; each carries the dimension `Broker` = the broker id. */
export const AUDIT_METRIC_NAMESPACE = 'CdkAuroraFirefighter';

/** One metric filter per audit outcome in AUDIT_METRIC_OUTCOMES, on the broker's log group. */
export class BrokerAuditMetrics extends Construct {
  constructor(scope: Construct, id: string, logGroup: logs.ILogGroup) {
    super(scope, id);
    for (const kind of Object.values(AuditMetricKind)) {
      new logs.MetricFilter(this, `${capitalize(kind)}Filter`, {
        logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.outcome', '=', AUDIT_METRIC_OUTCOMES[kind]),
        metricNamespace: AUDIT_METRIC_NAMESPACE,
        metricName: metricNameOf(kind),
        metricValue: '1',
        dimensions: { Broker: '$.broker' },
      });
    }
  }
}

/** The count of one broker's audit lines of one kind: Sum over 5 minutes unless `options` say otherwise. */
export function auditMetric(brokerId: string, kind: AuditMetricKind, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: AUDIT_METRIC_NAMESPACE, metricName: metricNameOf(kind), dimensionsMap: { Broker: brokerId },
    statistic: 'Sum', period: Duration.minutes(5), ...options,
  });
}

function metricNameOf(kind: AuditMetricKind): string {
  return `Broker${capitalize(kind)}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
