import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RoleModelSpec } from '../core/spec.js';
import { managedRoleNames, parseSpec } from '../core/validate.js';
import { AccessHost, type AccessHostOptions } from './access-host.js';
import { PasswordBroker, type PasswordBrokerProps } from './password-broker.js';
import { acknowledgeNag } from './nag.js';
import { ensureEndpoints, type EndpointNeed, type LambdaEndpoints } from './endpoints.js';
import { RoleModel } from './role-model.js';
import { validationError } from './util.js';

/** Broker settings that `FirefighterDatabase` passes through; the rest it wires itself. */
export type FirefighterBrokerOptions = Pick<
  PasswordBrokerProps,
  'readOnlyRequesters' | 'readWriteRequesters' | 'reservedConcurrency' | 'sweepSchedule' | 'delivery' | 'incidentIdPattern' | 'brokerId'
  | 'locatorParameterName' | 'outputs' | 'alarms' | 'approvers' | 'eventBus'
>;

export interface FirefighterDatabaseProps {
  /** The role model; `spec.cluster` becomes the cluster identifier. */
  readonly spec: RoleModelSpec;
  /**
   * @default - a new VPC over 2 AZs with isolated subnets only, no NAT gateway, interface endpoints for
   * Secrets Manager, STS and EventBridge (all the Lambdas need), and flow logs
   */
  readonly vpc?: ec2.IVpc;
  /** Subnets of the cluster. @default - the VPC's isolated subnets, or its private subnets with egress when it has no isolated ones */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Subnets of the role-model handler and the broker, which call Secrets Manager and STS besides the cluster.
   * @default - the VPC's private subnets with egress (a NAT route) when it has them, else the cluster's subnets
   */
  readonly lambdaSubnets?: ec2.SubnetSelection;
  /**
   * Interface endpoints for what the Lambdas call (Secrets Manager; STS and EventBridge with a broker). `auto`: when their subnets
   * have no NAT route, reuse the endpoints this app defines for the VPC or create the missing ones (a VPC of this
   * app) or fail naming the fix (an imported VPC); `create`: create the missing ones; `existing`: the VPC has them.
   * @default 'auto'
   */
  readonly lambdaEndpoints?: LambdaEndpoints;
  /** @default rds.AuroraPostgresEngineVersion.VER_17_9 (the latest 17.x in this aws-cdk-lib) */
  readonly engineVersion?: rds.AuroraPostgresEngineVersion;
  /** Serverless v2 readers besides the writer. @default 0 */
  readonly readers?: number;
  /** @default 0.5 */
  readonly serverlessV2MinCapacity?: number;
  /** @default 4 */
  readonly serverlessV2MaxCapacity?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** What deleting the stack does to the cluster. @default RemovalPolicy.SNAPSHOT */
  readonly clusterRemovalPolicy?: RemovalPolicy;
  /** See `RoleModelProps.removalPolicy`. @default RemovalPolicy.RETAIN */
  readonly roleModelRemovalPolicy?: RemovalPolicy;
  /** See `RoleModelProps.dropDatabaseOnDelete`. @default false */
  readonly dropDatabaseOnDelete?: boolean;
  /** @default 'postgres' */
  readonly masterUsername?: string;
  /**
   * The RDS cluster identifier; also names the PostgreSQL log group `/aws/rds/cluster/<id>/postgresql`. Set it
   * when two environments of the same spec share an account and region.
   * @default - `spec.cluster`, lowercased as RDS does
   */
  readonly clusterIdentifier?: string;
  /** @default Duration.days(7) */
  readonly backupRetention?: Duration;
  /** Retention of PostgreSQL, Lambda and flow logs. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** The password broker, or `false` for the role model alone. @default - a broker with no requesters yet */
  readonly broker?: FirefighterBrokerOptions | false;
  /**
   * An EC2 host for SSM Session Manager port forwarding to the cluster (`firefighter request ... --connect --tunnel`):
   * no inbound port, no key pair, IMDSv2, encrypted root volume, out only to the cluster port and SSM over HTTPS.
   * Its instance id is a stack output and in the broker's locator parameter; let people in with
   * `accessHost.grantTunnel(role)`. In subnets without a NAT route it needs the ssm, ssmmessages and ec2messages
   * interface endpoints (created by default, billed hourly). `true` for the defaults.
   * @default false
   */
  readonly accessHost?: boolean | AccessHostOptions;
}

/**
 * The opinionated one-statement start: an Aurora PostgreSQL Serverless v2 cluster with IAM authentication, TLS
 * forced, encryption and deletion protection, the role model applied and verified on it, and the password broker.
 */
export class FirefighterDatabase extends Construct implements ec2.IConnectable {
  readonly vpc: ec2.IVpc;
  readonly cluster: rds.DatabaseCluster;
  readonly masterSecret: secretsmanager.ISecret;
  readonly roleModel: RoleModel;
  /** Undefined when `broker: false`. */
  readonly broker?: PasswordBroker;
  /** The SSM port-forwarding host; undefined unless `accessHost` is set. */
  readonly accessHost?: AccessHost;
  readonly connections: ec2.Connections;
  /** The interface endpoints the Lambdas use that this construct created or found in the app (empty with a NAT route). */
  readonly endpoints: ec2.InterfaceVpcEndpoint[] = [];

  constructor(scope: Construct, id: string, props: FirefighterDatabaseProps) {
    super(scope, id);
    const spec = parseSpec(props.spec);
    const readers = props.readers ?? 0;
    if (!Number.isInteger(readers) || readers < 0 || readers > 15) {
      throw validationError(`readers ${readers} must be an integer from 0 to 15 (Aurora's replica limit)`, this);
    }
    const minAcu = props.serverlessV2MinCapacity ?? 0.5;
    const maxAcu = props.serverlessV2MaxCapacity ?? 4;
    if (minAcu > maxAcu) {
      throw validationError(`serverlessV2MinCapacity ${minAcu} is above serverlessV2MaxCapacity ${maxAcu}; lower the minimum or raise the maximum`, this);
    }
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const masterUsername = props.masterUsername ?? 'postgres';
    const clash = managedRoleNames(spec).find((r) => r.name === masterUsername);
    if (clash) {
      throw validationError(`masterUsername "${masterUsername}" is also the managed role ${clash.path} of the spec; the role model would manage (and restrict) the master itself; pick another masterUsername or rename the role in the spec`, this);
    }
    const engineVersion = props.engineVersion ?? rds.AuroraPostgresEngineVersion.VER_17_9;
    const major = Number(engineVersion.auroraPostgresMajorVersion);
    if (!Token.isUnresolved(engineVersion.auroraPostgresMajorVersion) && !(major >= 15)) {
      throw validationError(`engineVersion ${engineVersion.auroraPostgresFullVersion} is below PostgreSQL 15, which the role model needs (per-grant options, pg_catalog functions it relies on); use rds.AuroraPostgresEngineVersion.VER_15_x or later`, this);
    }
    const clusterIdentifier = (props.clusterIdentifier ?? spec.cluster).toLowerCase();
    if (!Token.isUnresolved(clusterIdentifier) && (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(clusterIdentifier) || clusterIdentifier.length > 63)) {
      throw validationError(`clusterIdentifier "${clusterIdentifier}" is not an RDS cluster identifier (a letter, then letters, digits and single hyphens, at most 63, no trailing hyphen); e.g. my-pg-staging`, this);
    }

    this.vpc = props.vpc ?? this.createVpc(logRetention);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: this.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const lambdaSubnets = props.lambdaSubnets ?? (this.vpc.privateSubnets.length > 0 ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : vpcSubnets);

    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: engineVersion });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `TLS-only, connection-logging parameters for ${spec.cluster}`,
      parameters: {
        // Plaintext connections are refused by the server, not just avoided by the clients.
        'rds.force_ssl': '1',
        // Who connected and for how long: the audit trail for firefighter sessions.
        log_connections: '1',
        log_disconnections: '1',
      },
    });

    // RDS lowercases identifiers; the log group name must match what RDS exports to.
    // Created here (not through cloudwatchLogsRetention) so no extra log-retention Lambda is deployed;
    // the cluster depends on it, so it exists before RDS would create it without a retention.
    const postgresLogs = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      credentials: rds.Credentials.fromGeneratedSecret(masterUsername),
      writer: rds.ClusterInstance.serverlessV2('writer', { publiclyAccessible: false }),
      readers: Array.from({ length: readers }, (_, i) =>
        rds.ClusterInstance.serverlessV2(`reader${i + 1}`, { publiclyAccessible: false, scaleWithWriter: i === 0 }),
      ),
      serverlessV2MinCapacity: minAcu,
      serverlessV2MaxCapacity: maxAcu,
      vpc: this.vpc,
      vpcSubnets,
      parameterGroup,
      iamAuthentication: true,
      storageEncrypted: true,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.clusterRemovalPolicy ?? RemovalPolicy.SNAPSHOT,
      backup: { retention: props.backupRetention ?? Duration.days(7) },
      cloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(postgresLogs);
    if (!this.cluster.secret) throw validationError('the cluster has no generated secret; this is a bug, please report it', this);
    this.masterSecret = this.cluster.secret;
    acknowledgeNag(this.cluster, {
      id: 'AwsSolutions-SMG4',
      reason: 'The master secret is read only by the role-model custom resource at deploy time; people and applications log in with IAM tokens or broker-issued passwords that expire. Rotation is available with cluster.addRotationSingleUser(), which needs its own route to Secrets Manager and cluster ingress.',
    });
    this.connections = this.cluster.connections;

    this.roleModel = new RoleModel(this, 'RoleModel', {
      spec,
      cluster: this.cluster,
      masterSecret: this.masterSecret,
      vpc: this.vpc,
      vpcSubnets: lambdaSubnets,
      removalPolicy: props.roleModelRemovalPolicy ?? RemovalPolicy.RETAIN,
      dropDatabaseOnDelete: props.dropDatabaseOnDelete ?? false,
      logRetention,
    });

    if (props.accessHost) {
      this.accessHost = new AccessHost(this, 'AccessHost', {
        ...(props.accessHost === true ? {} : props.accessHost),
        vpc: this.vpc, cluster: this.cluster, clusterName: spec.cluster, defaultSubnets: vpcSubnets,
      });
    }
    if (props.broker !== false) {
      this.broker = new PasswordBroker(this, 'Broker', {
        ...props.broker,
        ...(this.accessHost ? { accessHostInstanceId: this.accessHost.instanceId } : {}),
        spec,
        cluster: this.cluster,
        vpc: this.vpc,
        vpcSubnets: lambdaSubnets,
        logRetention,
      });
      // The broker's functions and its allowlist table exist only once the role model is applied.
      this.broker.node.addDependency(this.roleModel);
    }
    const needs: EndpointNeed[] = [{
      id: 'SecretsManager',
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      callers: [
        { peer: this.roleModel, label: 'role-model custom resource' },
        ...(this.broker && props.broker && props.broker.delivery === 'secret' ? [{ peer: this.broker, label: 'password broker' }] : []),
      ],
    }];
    // No broker, no STS endpoint: nothing else here calls STS, and an endpoint is billed by the hour.
    if (this.broker) needs.push({ id: 'Sts', service: ec2.InterfaceVpcEndpointAwsService.STS, callers: [{ peer: this.broker, label: 'password broker' }] });
    // The broker's events (PutEvents); none with eventBus: false.
    if (this.broker?.eventBus) needs.push({ id: 'Events', service: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE, callers: [{ peer: this.broker, label: 'password broker events' }] });
    this.endpoints.push(...ensureEndpoints(this, this.vpc, lambdaSubnets, needs, props.lambdaEndpoints ?? 'auto'));
  }

  private createVpc(retention: logs.RetentionDays): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.RETAIN })),
        },
      },
    });
    // Its interface endpoints (Secrets Manager; STS and EventBridge with a broker) are added by ensureEndpoints once the Lambdas
    // exist. IAM tokens for the database are signed locally and need no endpoint.
    return vpc;
  }
}
