// The PasswordBroker construct: the broker Lambda, its configuration, allowlists and grants, events, alarms and
// the locator parameter. Props in ./password-broker-props.ts; derived ARNs and IAM statements in ./password-broker-grants.ts.
import { Annotations, Duration, Lazy, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { isPerPerson } from '../../spec/spec.js';
import { parseSpec } from '../../spec/validate.js';
import { BROKER_CONFIG_ENV, type BrokerConfig } from '../../broker/protocol/broker-config.js';
import { allowlistEntryProblem, type AllowlistEntry } from '../../broker/protocol/allowlist.js';
import { brokerParameterPath } from '../../broker/protocol/broker-locator.js';
import { brokerEventBus, brokerEventRule, eventBusReference, snsTarget } from './broker-events.js';
import { bundleDir, BundleName, LAMBDA_RUNTIME_CA_FILE } from '../bundles.js';
import { ensureEndpoints, type EndpointNeed, LambdaEndpoints } from '../endpoints.js';
import { BrokerAlarms } from './broker-alarms.js';
import { auditMetric, AuditMetricKind, BrokerAuditMetrics } from './broker-metrics.js';
import { warnOnClusterParameters } from '../cluster-parameters.js';
import { allowLogsToUseKey } from '../kms.js';
import { brokerOutputs, locatorParameterOf, passwordSecretsOf } from './password-broker-resources.js';
import { checkBrokerProps } from './password-broker-validation.js';
import { acknowledgeLambdaBasics } from '../nag.js';
import { allowClusterPortFrom, defaultPrivateSubnets, validationError } from '../util.js';

import { FirefighterAccess, PasswordDelivery, type BrokerEventRuleOptions, type BrokerGrantOptions, type BrokerNotifyTopicOptions, type PasswordBrokerProps } from './password-broker-props.js';
import { allowlistEntryOf, grantInstanceDiscovery, instanceHostsOf, selfApprovalIssues } from './password-broker-grants.js';
import { grantInvokeToPermissionSet, identityCenterGrantee, PermissionSetPolicy } from './identity-center.js';


/**
 * The break-glass password broker: a Lambda in the VPC that logs in as the broker's database user with an IAM
 * token and issues, expires and sweeps the firefighter roles' temporary passwords.
 */
export class PasswordBroker extends Construct implements ec2.IConnectable, iam.IGrantable {
  readonly function: lambda.Function;
  readonly connections: ec2.Connections;
  readonly grantPrincipal: iam.IPrincipal;
  readonly brokerId: string;
  /** The SSM parameter the CLI finds this broker through (undefined with `enableLocator: false`). */
  readonly locatorParameter?: ssm.StringParameter;
  /** The function's log group: one JSON audit line per action. */
  readonly logGroup: logs.LogGroup;
  /** Alarms on errors, refusals and takeovers (undefined with `enableAlarms: false`). */
  readonly alarms?: BrokerAlarms;
  /** Role name -> secret, only with `delivery: PasswordDelivery.SECRET` (empty otherwise). */
  readonly passwordSecrets: { [role: string]: secretsmanager.Secret };
  /** The bus the broker publishes its events to (undefined with `enableEvents: false`). */
  readonly eventBus?: events.IEventBus;
  /** Whether the broker asks RDS for the cluster's instances (it then needs a route to the RDS API). */
  readonly instanceDiscovery: boolean;
  private readonly requesters: Record<FirefighterAccess, AllowlistEntry[]> = { [FirefighterAccess.READ_ONLY]: [], [FirefighterAccess.READ_WRITE]: [] };
  private readonly approvers: AllowlistEntry[] = [];
  /** Grantees known to be roles although their ARN is a token (a role of this app): for the self-approval check. */
  private readonly roleTokens = new Map<string, string>();
  private readonly perPerson: boolean;
  private readonly secretsByRole: Map<string, secretsmanager.Secret>;
  private readonly clusterName: string;

  constructor(scope: Construct, id: string, props: PasswordBrokerProps) {
    super(scope, id);
    const spec = parseSpec(props.spec);
    warnOnClusterParameters(this, props.cluster);
    const reserved = checkBrokerProps(spec, props, this);
    const delivery = props.delivery ?? PasswordDelivery.RESPONSE;
    const encryptionKey = props.encryptionKey;
    if (encryptionKey) allowLogsToUseKey(this, encryptionKey);
    for (const arn of props.readOnlyRequesters ?? []) this.addRequester(FirefighterAccess.READ_ONLY, arn);
    for (const arn of props.readWriteRequesters ?? []) this.addRequester(FirefighterAccess.READ_WRITE, arn);
    this.perPerson = isPerPerson(spec);
    this.clusterName = spec.cluster;
    for (const arn of props.approvers ?? []) this.addApprover(arn);
    const approval = spec.databases.filter((db) => db.readWriteApproval === true).map((db) => db.name);
    // Approvers may be added after construction; warn only if there are none at synth.
    this.node.addValidation({ validate: () => {
      if (approval.length > 0 && this.approvers.length === 0) {
        Annotations.of(this).addWarningV2('cdk-aurora-firefighter:no-approvers', `readWriteApproval is on for ${approval.join(', ')} but nobody may approve; read-write requests stay pending: call broker.grantApprove(principal)`);
      }
      return selfApprovalIssues({ ro: this.requesters.ro, rw: this.requesters.rw, approve: this.approvers }, this.roleTokens);
    } });
    this.eventBus = brokerEventBus(this, props.enableEvents === false ? false : props.eventBus);
    this.brokerId = props.brokerId ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });

    const secrets = delivery === PasswordDelivery.SECRET ? passwordSecretsOf(this, spec, encryptionKey) : new Map<string, secretsmanager.Secret>();
    this.secretsByRole = secrets;
    this.passwordSecrets = Object.fromEntries(secrets);

    const config: BrokerConfig = {
      clusterId: spec.cluster,
      brokerId: this.brokerId,
      port: props.cluster.clusterEndpoint.port,
      writerHost: props.writerHost ?? props.cluster.clusterEndpoint.hostname,
      instanceHosts: props.instanceHosts ?? instanceHostsOf(props.cluster, this),
      brokerUser: spec.passwordBroker.name,
      databases: spec.databases.map((db) => ({ name: db.name, firefighterRo: db.roles.firefighterRo.name, firefighterRw: db.roles.firefighterRw.name })),
      // Lazy so addRequester after construction still lands in the environment.
      allowlist: {
        ro: Lazy.any({ produce: () => this.requesters.ro }) as unknown as AllowlistEntry[],
        rw: Lazy.any({ produce: () => this.requesters.rw }) as unknown as AllowlistEntry[],
        ...(this.perPerson ? { approve: Lazy.any({ produce: () => this.approvers }) as unknown as AllowlistEntry[] } : {}),
      },
      ...(this.perPerson ? { firefighterLogins: 'per-person' as const } : {}),
      ...(props.incidentIdPattern !== undefined ? { incidentIdPattern: props.incidentIdPattern } : {}),
      delivery,
      ...(delivery === PasswordDelivery.SECRET ? { secretArns: Object.fromEntries([...secrets].map(([role, s]) => [role, s.secretArn])) } : {}),
      ...(this.eventBus ? { eventBus: eventBusReference(this, this.eventBus) } : {}),
      ...(props.instanceDiscovery !== false ? { rdsClusterIdentifier: props.cluster.clusterIdentifier } : {}),
      // Where pgaudit's lines go: the log group RDS exports the cluster's postgresql log to.
      statementLogGroup: `/aws/rds/cluster/${props.cluster.clusterIdentifier}/postgresql`,
    };

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    this.function = new lambda.Function(this, 'Function', {
      description: `Issues temporary firefighter passwords for cluster ${spec.cluster}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleDir(BundleName.BROKER_HANDLER)),
      memorySize: 256,
      timeout: Duration.seconds(60),
      ...(reserved !== undefined ? { reservedConcurrentExecutions: reserved } : {}),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? defaultPrivateSubnets(props.vpc),
      ...(props.securityGroups ? { securityGroups: props.securityGroups } : {}),
      environment: {
        NODE_EXTRA_CA_CERTS: LAMBDA_RUNTIME_CA_FILE,
        [BROKER_CONFIG_ENV]: Stack.of(this).toJsonString(config),
      },
      logGroup: this.logGroup,
    });
    new BrokerAuditMetrics(this, 'AuditMetrics', this.logGroup);
    if (props.enableAlarms !== false) {
      this.alarms = new BrokerAlarms(this, 'Alarms', { ...props.alarms, function: this.function, brokerId: this.brokerId, cluster: spec.cluster });
    }
    acknowledgeLambdaBasics(this.function, true);
    this.connections = this.function.connections;
    this.grantPrincipal = this.function.grantPrincipal;
    allowClusterPortFrom(this, props.cluster, this.function, 'password broker');
    // Exactly arn:aws:rds-db:<region>:<account>:dbuser:<cluster resource id>/<broker user>.
    props.cluster.grantConnect(this.function, spec.passwordBroker.name);
    for (const secret of secrets.values()) secret.grantWrite(this.function);
    // events:PutEvents on exactly this bus's ARN.
    this.eventBus?.grantPutEventsTo(this.function);
    this.instanceDiscovery = props.instanceDiscovery !== false;
    if (this.instanceDiscovery) grantInstanceDiscovery(this.function, props.cluster.clusterIdentifier);
    const needs: EndpointNeed[] = [{ id: 'Sts', service: ec2.InterfaceVpcEndpointAwsService.STS, callers: [{ peer: this.function, label: 'password broker' }] }];
    if (this.eventBus) needs.push({ id: 'Events', service: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE, callers: [{ peer: this.function, label: 'password broker events' }] });
    if (this.instanceDiscovery) needs.push({ id: 'Rds', service: ec2.InterfaceVpcEndpointAwsService.RDS, callers: [{ peer: this.function, label: 'password broker instance lookup' }] });
    if (delivery === PasswordDelivery.SECRET) needs.push({ id: 'SecretsManager', service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, callers: [{ peer: this.function, label: 'password broker' }] });
    ensureEndpoints(this, props.vpc, props.vpcSubnets ?? defaultPrivateSubnets(props.vpc), needs, props.endpoints ?? LambdaEndpoints.AUTO,
      { subject: 'the broker runs', modeProp: 'endpoints', subnetsProp: 'vpcSubnets' });

    if (props.enableLocator !== false) {
      this.locatorParameter = locatorParameterOf(this, spec.cluster, this.function, this.brokerId, props.locatorParameterName,
        props.accessHostInstanceId ? { accessHost: props.accessHostInstanceId, writerHost: config.writerHost, port: config.port } : {});
    }
    if (props.outputs ?? true) brokerOutputs(this, spec.cluster, this.function, this.brokerId, this.locatorParameter);

    new events.Rule(this, 'Sweep', {
      description: `Expires overdue firefighter passwords on ${spec.cluster} and ends their sessions`,
      schedule: props.sweepSchedule ?? events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({ action: 'sweep' }), retryAttempts: 2 })],
    });
  }

  /**
   * Lets the broker accept `entry` for `ro` or `rw` passwords, and nothing else: the cross-account variant. An
   * entry is an IAM role or user ARN, `{ role, bindsSessionNames: true }` or an IAM Identity Center
   * `{ permissionSet, account }` (docs/security.md, "Who is a person"). A principal in another account gets invoke
   * permission in its own account's IAM (`lambda:InvokeFunction` on this function's ARN) plus
   * `function.addPermission` here; in this app prefer `grantRequest`, which does all of it.
   */
  addRequester(access: FirefighterAccess, entry: AllowlistEntry): void {
    this.checkAccess('addRequester', access);
    // The broker's configuration parser applies the same rule at cold start; refuse here, where the fix is one line away.
    this.requesters[access].push(...this.checkedEntry('requester', entry, this.requesters[access]));
  }

  /**
   * One call to let a person (an IAM role or user, or an IAM Identity Center permission set's role) in: puts the
   * principal on the `access` allowlist, lets it invoke exactly this function (the unqualified ARN, no `:*`
   * wildcard) and read the locator parameter that `firefighter --cluster` uses. The broker still verifies the
   * caller's identity on every request. An Identity Center role is not modified (AWS refuses that): the grant
   * lists its permission set and goes into `permissionSetPolicy(...)`, a stack output to paste into the permission set.
   */
  grantRequest(grantee: iam.IGrantable, access: FirefighterAccess, options: BrokerGrantOptions = {}): iam.Grant {
    this.checkAccess('grantRequest', access);
    this.addRequester(access, this.entryOf(grantee, options));
    return this.grantInvoke(grantee);
  }

  /** JavaScript callers (and other languages' bindings) can pass any string: refuse it naming the enum. */
  private checkAccess(method: string, access: FirefighterAccess): void {
    if (!(Object.values(FirefighterAccess) as string[]).includes(access)) {
      throw validationError(`${method} access ${JSON.stringify(access)} must be FirefighterAccess.READ_ONLY ('ro') or FirefighterAccess.READ_WRITE ('rw'); e.g. broker.grantRequest(oncallRole, FirefighterAccess.READ_ONLY)`, this);
    }
  }

  /**
   * Lets the broker accept `entry` (as addRequester's) as an approver of read-write requests, and nothing else
   * (the cross-account variant of `grantApprove`). Per-person logins only.
   */
  addApprover(entry: AllowlistEntry): void {
    if (!this.perPerson) {
      throw validationError(`approver ${typeof entry === 'string' ? entry : JSON.stringify(entry)}: approvals need per-person logins, and the spec issues shared ones; set "firefighterLogins": "per-person" (and "readWriteApproval": true on the database) in the spec`, this);
    }
    this.approvers.push(...this.checkedEntry('approver', entry, this.approvers));
  }

  /**
   * One call to let an approver in: puts the principal on the approve allowlist (`firefighter approve|deny ID`),
   * lets it invoke exactly this function and read the locator parameter. It may not request a password by this.
   */
  grantApprove(grantee: iam.IGrantable, options: BrokerGrantOptions = {}): iam.Grant {
    this.addApprover(this.entryOf(grantee, options));
    return this.grantInvoke(grantee);
  }

  /** The inline policy an IAM Identity Center permission set needs for the grants made to it in this stack. */
  permissionSetPolicy(permissionSet: string, account: string): iam.PolicyDocument {
    return PermissionSetPolicy.of(this, { permissionSet, account }).document;
  }

  private entryOf(grantee: iam.IGrantable, options: BrokerGrantOptions): AllowlistEntry {
    const entry = allowlistEntryOf(grantee, this, options);
    if (typeof entry === 'string' && Token.isUnresolved(entry) && grantee.grantPrincipal instanceof iam.Role) this.roleTokens.set(entry, grantee.grantPrincipal.node.path);
    return entry;
  }

  private checkedEntry(what: string, entry: AllowlistEntry, list: readonly AllowlistEntry[]): AllowlistEntry[] {
    const problem = Token.isUnresolved(typeof entry === 'string' ? entry : JSON.stringify(entry)) ? undefined : allowlistEntryProblem(entry);
    if (problem) throw validationError(`${what} ${problem}`, this);
    return list.some((e) => JSON.stringify(e) === JSON.stringify(entry)) ? [] : [entry];
  }

  /**
   * A rule on the broker's bus matching this broker's events (all outcomes, or `outcomes`), e.g.
   * `broker.onEvent('ToChat', { target: new targets.SnsTopic(topic) })`.
   */
  onEvent(id: string, options: BrokerEventRuleOptions = {}): events.Rule {
    return brokerEventRule(this, id, this.eventBus, this.brokerId, options);
  }

  /** Sends this broker's events to an SNS topic (the whole event as JSON unless `message` is given). */
  notifyTopic(topic: sns.ITopic, options: BrokerNotifyTopicOptions = {}): events.Rule {
    return this.onEvent(`Notify${Names.nodeUniqueId(topic.node)}`, { target: snsTarget(topic, options), ...(options.outcomes ? { outcomes: options.outcomes } : {}) });
  }

  private grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const identityCenter = identityCenterGrantee(grantee);
    // `firefighter --cluster NAME` lists the cluster's path (authorized on the path itself, not the parameters):
    // what it reads there is where brokers are, never a secret.
    const locatorPath = Stack.of(this).formatArn({ service: 'ssm', resource: 'parameter', resourceName: brokerParameterPath(this.clusterName).slice(1) });
    if (identityCenter) return grantInvokeToPermissionSet(this, grantee, identityCenter, this.function, this.locatorParameter, locatorPath);
    if (this.locatorParameter) {
      this.locatorParameter.grantRead(grantee);
      iam.Grant.addToPrincipal({ grantee, actions: ['ssm:GetParametersByPath'], resourceArns: [locatorPath] });
    }
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.function.functionArn] });
    // An imported role or a principal without a policy of ours: allow it on the function's resource policy instead.
    if (!grant.success) this.function.addPermission(`Request${this.node.children.length}`, { principal: grantee.grantPrincipal, action: 'lambda:InvokeFunction' });
    return grant;
  }

  /** Failed broker actions (audit outcome `failed`): Sum per 5 minutes. Crashes and timeouts are in `metricErrors`. */
  metricFailures(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return auditMetric(this.brokerId, AuditMetricKind.ERRORS, options);
  }

  /** Refused requests (audit outcome `refused`: not allowlisted, bad proof, bad input, role held): Sum per 5 minutes. */
  metricRefusals(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return auditMetric(this.brokerId, AuditMetricKind.REFUSALS, options);
  }

  /** Firefighter roles taken over from their holder (audit outcome `takeover`): Sum per 5 minutes. */
  metricTakeovers(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return auditMetric(this.brokerId, AuditMetricKind.TAKEOVERS, options);
  }

  /** Invocations of the broker function (every action and every sweep): Sum per 5 minutes. */
  metricInvocations(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricInvocations(options);
  }

  /** Invocations that crashed or timed out (no audit line): Sum per 5 minutes. */
  metricErrors(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors(options);
  }

  /** How long an invocation takes: p99 per 5 minutes (a request waits up to 40 s for a connection slot; the timeout is 60 s). */
  metricDuration(options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricDuration({ statistic: 'p99', ...options });
  }

  /** Read access to a firefighter role's delivered password (`delivery: PasswordDelivery.SECRET` only). */
  grantReadPassword(grantee: iam.IGrantable, role: string): iam.Grant {
    const secret = this.secretsByRole.get(role);
    if (!secret) {
      throw validationError(`no password secret for role "${role}"; set delivery: PasswordDelivery.SECRET and use one of ${[...this.secretsByRole.keys()].join(', ') || 'the spec\'s firefighter roles'}`, this);
    }
    return secret.grantRead(grantee);
  }
}
