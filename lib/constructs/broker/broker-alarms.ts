// Alarms on the password broker's audit metrics (./broker-metrics.ts: metric filters on the audit lines'
// `outcome`). A broker that times out or crashes writes no audit line, so the errors alarm adds the function's own
// Errors metric.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { auditMetric, AuditMetricKind } from './broker-metrics.js';
import { validationError } from '../util.js';

export interface BrokerAlarmOptions {
  /** Actions of every alarm (e.g. an SNS topic of the on-call team). @default - none; add with `broker.alarms.errors.addAlarmAction(...)` */
  readonly actions?: cloudwatch.IAlarmAction[];
  /** The window each alarm counts over. @default Duration.minutes(5) */
  readonly period?: Duration;
  /** Failed actions (audit `outcome: failed`, or a crashed or timed-out invocation) per period that alarm. @default 1 */
  readonly errorThreshold?: number;
  /** Refused requests (wrong caller, bad input, role held, ...) per period that alarm: a few are typos, more are probing. @default 3 */
  readonly refusalThreshold?: number;
  /** Takeovers per period that alarm: every takeover ends someone else's firefighter session. @default 1 */
  readonly takeoverThreshold?: number;
}

export interface BrokerAlarmsProps extends BrokerAlarmOptions {
  readonly function: lambda.IFunction;
  readonly brokerId: string;
  readonly cluster: string;
}

/** Three alarms: errors, refusals, takeovers. */
export class BrokerAlarms extends Construct {
  readonly errors: cloudwatch.Alarm;
  readonly refusals: cloudwatch.Alarm;
  readonly takeovers: cloudwatch.Alarm;
  private readonly period: Duration;
  private readonly brokerId: string;

  constructor(scope: Construct, id: string, props: BrokerAlarmsProps) {
    super(scope, id);
    this.period = props.period ?? Duration.minutes(5);
    this.brokerId = props.brokerId;
    const seconds = this.period.toSeconds();
    if (seconds < 60 || seconds % 60 !== 0) {
      throw validationError(`alarms.period ${this.period.toHumanString()} must be a whole number of minutes (metric filters publish per minute); e.g. Duration.minutes(5)`, this);
    }
    const threshold = (name: string, value: number | undefined, fallback: number): number => {
      const v = value ?? fallback;
      if (!Number.isInteger(v) || v < 1) throw validationError(`alarms.${name} ${v} must be an integer of at least 1`, this);
      return v;
    };
    const errors = new cloudwatch.MathExpression({
      expression: 'FILL(audit, 0) + FILL(invocations, 0)',
      usingMetrics: { audit: this.metric(AuditMetricKind.ERRORS), invocations: props.function.metricErrors({ period: this.period, statistic: 'Sum' }) },
      period: this.period,
      label: 'failed broker actions and invocations',
    });
    const common = { evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };
    this.errors = new cloudwatch.Alarm(this, 'Errors', {
      ...common, metric: errors, threshold: threshold('errorThreshold', props.errorThreshold, 1),
      alarmDescription: `Password broker of ${props.cluster}: an action failed (audit outcome "failed") or the function errored or timed out; read the broker's log group`,
    });
    this.refusals = new cloudwatch.Alarm(this, 'Refusals', {
      ...common, metric: this.metric(AuditMetricKind.REFUSALS), threshold: threshold('refusalThreshold', props.refusalThreshold, 3),
      alarmDescription: `Password broker of ${props.cluster}: requests were refused (audit outcome "refused": not allowlisted, bad proof, bad input, role held); someone may be probing`,
    });
    this.takeovers = new cloudwatch.Alarm(this, 'Takeovers', {
      ...common, metric: this.metric(AuditMetricKind.TAKEOVERS), threshold: threshold('takeoverThreshold', props.takeoverThreshold, 1),
      alarmDescription: `Password broker of ${props.cluster}: a firefighter role was taken over from its holder (audit outcome "takeover")`,
    });
    for (const action of props.actions ?? []) for (const alarm of this.all()) alarm.addAlarmAction(action);
  }

  /** The count of audit lines of one kind per alarm period (Sum), for dashboards or alarms of your own. */
  metric(kind: AuditMetricKind, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return auditMetric(this.brokerId, kind, { period: this.period, ...options });
  }

  all(): cloudwatch.Alarm[] {
    return [this.errors, this.refusals, this.takeovers];
  }
}
