// The PasswordBroker construct's props: what the broker needs (spec, cluster, VPC) and the options a platform
// engineer tunes (allowlists, delivery, events, alarms, networking, keys), each with its documented default; and
// the options of its grant and event methods. All exported from the package root (jsii sees no type-only export).
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { RoleModelSpec } from '../../spec/spec.js';
import type { BrokerAlarmOptions } from './broker-alarms.js';
import type { LambdaEndpoints } from '../endpoints.js';

/** Which firefighter role a requester may ask for; the values are the broker's allowlist keys. */
export enum FirefighterAccess {
  /** The database's read-only firefighter role. */
  READ_ONLY = 'ro',
  /** The database's read-write firefighter role (with per-person logins and `readWriteApproval`, after approval). */
  READ_WRITE = 'rw',
}

/** How the broker hands out an issued password. */
export enum PasswordDelivery {
  /** In the invoke response, to the requester only. */
  RESPONSE = 'response',
  /** Written to one Secrets Manager secret per firefighter role; the response carries the secret's ARN. */
  SECRET = 'secret',
}

/**
 * What a broker event reports; its detail-type is `firefighter <outcome>`. The values are the broker's
 * EVENT_OUTCOMES (lib/broker/protocol/broker-events.ts).
 */
export enum BrokerEventOutcome {
  /** A password was issued. */
  ISSUED = 'issued',
  /** The holder asked again and got a new password. */
  REISSUED = 'reissued',
  /** The role was taken over from its holder. */
  TAKEOVER = 'takeover',
  /** A password's expiry was extended. */
  EXTENDED = 'extended',
  /** A password was revoked. */
  REVOKED = 'revoked',
  /** A read-write request waits for approval. */
  PENDING = 'pending',
  /** A read-write request was approved. */
  APPROVED = 'approved',
  /** A read-write request was denied. */
  DENIED = 'denied',
  /** A request was refused (not allowlisted, bad proof, bad input, role held). */
  REFUSED = 'refused',
  /** An action failed. */
  FAILED = 'failed',
  /** The sweep ended sessions or dropped logins. */
  SWEPT = 'swept',
}

/** The broker's options, which `FirefighterDatabase` passes through as `broker`; the rest it wires itself. */
export interface PasswordBrokerOptions {
  /** @default - a new security group allowed to the cluster port */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * IAM principal ARNs (roles or users) the broker accepts for a read-only firefighter password.
   * They still need permission to invoke the broker: `grantRequest(principal, FirefighterAccess.READ_ONLY)` does both in one call.
   * @default - nobody; add with `grantRequest(principal, FirefighterAccess.READ_ONLY)` or `addRequester(FirefighterAccess.READ_ONLY, arn)`
   */
  readonly readOnlyRequesters?: string[];
  /**
   * IAM principal ARNs the broker accepts for a read-write firefighter password.
   * @default - nobody; add with `grantRequest(principal, FirefighterAccess.READ_WRITE)` or `addRequester(FirefighterAccess.READ_WRITE, arn)`
   */
  readonly readWriteRequesters?: string[];
  /**
   * IAM principal ARNs that may approve or deny read-write requests (spec `readWriteApproval`; per-person logins
   * only). Self-approval is refused in `db_admin`. They need invoke permission too: `grantApprove(principal)` does both.
   * @default - nobody; add with `grantApprove(principal)` or `addApprover(arn)`
   */
  readonly approvers?: string[];
  /**
   * The EventBridge bus the broker publishes an event to for every action (issue, reissue, extension, takeover,
   * revoke, approval request and decision, refusal, sessions ended by the sweep). Route them with
   * `onEvent(id, { target })` or `notifyTopic(topic)`.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /** Publish events at all; `false` for none (no bus, no PutEvents grant, no EventBridge endpoint). @default true */
  readonly enableEvents?: boolean;
  /**
   * Executions of the broker reserved from the account's concurrency (aws-lambda `reservedConcurrentExecutions`).
   * Not needed for correctness: each invocation holds one connection as the broker user, and that user's
   * connection limit (`passwordBroker.connectionLimit`, 3 by default) bounds the parallel logins; an invocation
   * beyond it meets `53300` and retries for up to 40 s. A reservation also guarantees the broker capacity when the
   * account's other functions use it all, but Lambda keeps 100 executions of the account's quota unreserved, so in
   * an account whose quota is below 100 + this value (new accounts often have 10 or 50) the function fails to
   * create. Check `aws lambda get-account-settings` (`AccountLimit.UnreservedConcurrentExecutions`) first.
   * At most the broker user's connection limit.
   * @default - no reservation: the broker draws on the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /** How often expired passwords are swept and their sessions ended. @default Schedule.rate(Duration.minutes(5)) */
  readonly sweepSchedule?: events.Schedule;
  /**
   * `PasswordDelivery.RESPONSE`: the password is returned to the requester in the invoke response.
   * `PasswordDelivery.SECRET`: it is written to one Secrets Manager secret per firefighter role, readable by
   * principals granted with `grantReadPassword`.
   * @default PasswordDelivery.RESPONSE
   */
  readonly delivery?: PasswordDelivery;
  /**
   * Regular expression the whole incident id must match, e.g. `INC-[0-9]+`.
   * @default - a ticket-like id: a letter or digit, then up to 63 letters, digits, `-`, `_` or `.` (INC-4711, OPS-123)
   */
  readonly incidentIdPattern?: string;
  /**
   * The value each caller's identity proof is bound to, so a proof made for this broker is useless elsewhere.
   * @default - a name unique to this construct in the app
   */
  readonly brokerId?: string;
  /**
   * Ask RDS for the cluster's instances at run time (DescribeDBClusters and DescribeDBInstances, cached for a
   * minute), so a reader added after deploy is swept and a removed one is reported and skipped. `instanceHosts`
   * is then the fallback when RDS cannot be asked. Needs a route to RDS: FirefighterDatabase adds an RDS
   * interface endpoint in subnets without NAT.
   * @default true
   */
  readonly instanceDiscovery?: boolean;
  /**
   * The SSM parameter `firefighter ... --cluster NAME` reads to find this broker (function ARN and broker id). The default is unique per stack, so stages of one app deploy side by side and `firefighter
   * --cluster NAME [--stack STACK]` finds each; another name is found only by `--function` and `--broker-id`.
   * @default '/cdk-aurora-firefighter/<spec.cluster>/<stack name>/broker'
   */
  readonly locatorParameterName?: string;
  /** Write the locator parameter; `false` for none (the CLI then needs `--function` and `--broker-id`). @default true */
  readonly enableLocator?: boolean;
  /** Stack outputs with the broker's function name, broker id and locator parameter. @default true */
  readonly outputs?: boolean;
  /**
   * Alarms on failed actions, refusals and takeovers (with `enableAlarms`).
   * @default - errors >= 1, refusals >= 3, takeovers >= 1 in 5 minutes, no actions (add them with `alarms.actions`
   * or `broker.alarms.errors.addAlarmAction(...)`)
   */
  readonly alarms?: BrokerAlarmOptions;
  /**
   * Create the alarms; `false` for none (the metric filters under `metricFailures()`, `metricRefusals()` and
   * `metricTakeovers()` stay).
   * @default true
   */
  readonly enableAlarms?: boolean;
}

export interface PasswordBrokerProps extends PasswordBrokerOptions {
  /** The role model: names the broker's database user and each database's firefighter roles. */
  readonly spec: RoleModelSpec;
  /** The cluster; for an imported one, give `clusterResourceIdentifier` and `instanceEndpointAddresses`. */
  readonly cluster: rds.IDatabaseCluster;
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the broker. They need routes to the cluster, STS and EventBridge (unless `enableEvents: false`), and
   * Secrets Manager with `delivery: PasswordDelivery.SECRET`.
   * @default - the VPC's isolated subnets, or its private subnets with egress when it has no isolated ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** @default - the cluster's writer endpoint */
  readonly writerHost?: string;
  /** Every instance endpoint (writer and readers): sessions are ended on each. @default - `cluster.instanceEndpoints` */
  readonly instanceHosts?: string[];
  /**
   * The interface endpoints the broker needs in subnets without a NAT route (STS; EventBridge unless `enableEvents:
   * false`; RDS with `instanceDiscovery`; Secrets Manager with `delivery: PasswordDelivery.SECRET`), checked at synth time:
   * `LambdaEndpoints.AUTO` reuses those the app defines or creates them in a VPC of this app (and fails naming the
   * fix for an imported VPC), `CREATE` always creates them, `EXISTING` trusts that the VPC has them with private DNS.
   * @default LambdaEndpoints.AUTO
   */
  readonly endpoints?: LambdaEndpoints;
  /** Instance id of an SSM access host, written to the locator for `firefighter ... --tunnel`. @default - none */
  readonly accessHostInstanceId?: string;
  /**
   * Customer managed KMS key for the broker's log group and its password secrets (`delivery: PasswordDelivery.SECRET`); a key of
   * this app gets the key-policy statement CloudWatch Logs needs.
   * @default - CloudWatch Logs' and Secrets Manager's own (AWS managed) encryption
   */
  readonly encryptionKey?: kms.IKey;
}

/** Options of `grantRequest` and `grantApprove`. */
export interface BrokerGrantOptions {
  /**
   * The role's trust policy binds session names to people (`sts:RoleSessionName` must be `${aws:username}` or the
   * identity provider's subject, or `sts:SourceIdentity` is required; docs/security.md, "Who is a person"): the
   * broker then counts each session name as a person, instead of all of the role's sessions as one.
   * @default false
   */
  readonly bindsSessionNames?: boolean;
}

/** Options of `onEvent`. */
export interface BrokerEventRuleOptions {
  /** Where matching events go. @default - none; add with `rule.addTarget(...)` */
  readonly target?: events.IRuleTarget;
  /**
   * The outcomes to match; each is the detail-type `firefighter <outcome>`.
   * @default - every BrokerEventOutcome: issued, reissued, takeover, extended, revoked, pending, approved, denied, refused, failed, swept
   */
  readonly outcomes?: BrokerEventOutcome[];
  /** @default - "Firefighter events of broker <broker id>" */
  readonly description?: string;
}

/** Options of `notifyTopic`. */
export interface BrokerNotifyTopicOptions {
  /** @default - every BrokerEventOutcome */
  readonly outcomes?: BrokerEventOutcome[];
  /** @default - the whole event as JSON (see the README for its shape) */
  readonly message?: events.RuleTargetInput;
}
