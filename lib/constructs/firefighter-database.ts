// FirefighterDatabase: the cluster, the role model on it, the broker and the endpoints they need, in one
// statement. Props in ./firefighter-database-props.ts; their checks in ./database-validation.ts.
import { CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { parseSpec } from '../spec/validate.js';
import { AccessHost } from './access-host.js';
import { checkDatabaseProps, clusterIdentifierOf } from './database-validation.js';
import { allowLogsToUseKey } from './kms.js';
import type { FirefighterDatabaseProps } from './firefighter-database-props.js';
import { PasswordBroker } from './broker/password-broker.js';
import { PasswordDelivery } from './broker/password-broker-props.js';
import { acknowledgeNag } from './nag.js';
import { STATEMENT_AUDIT_PARAMETERS } from './cluster-parameters.js';
import { ensureEndpoints, type EndpointNeed, LambdaEndpoints } from './endpoints.js';
import { RoleModel } from './role-model.js';
import { validationError } from './util.js';


/**
 * The opinionated one-statement start: an Aurora PostgreSQL Serverless v2 cluster with IAM authentication, TLS
 * forced, encryption and deletion protection, the role model applied and verified on it, and the password broker.
 */
export class FirefighterDatabase extends Construct implements ec2.IConnectable {
  readonly vpc: ec2.IVpc;
  readonly cluster: rds.DatabaseCluster;
  readonly masterSecret: secretsmanager.ISecret;
  readonly roleModel: RoleModel;
  private readonly passwordBroker?: PasswordBroker;
  /** The SSM port-forwarding host; undefined unless `enableAccessHost` or `accessHost` options are set. */
  readonly accessHost?: AccessHost;
  readonly connections: ec2.Connections;
  /** The interface endpoints the Lambdas use that this construct created or found in the app (empty with a NAT route). */
  readonly endpoints: ec2.InterfaceVpcEndpoint[] = [];
  /** Undefined unless `masterSecretRotation` is set. */
  readonly masterSecretRotation?: secretsmanager.SecretRotation;

  constructor(scope: Construct, id: string, props: FirefighterDatabaseProps) {
    super(scope, id);
    const spec = parseSpec(props.spec);
    const { minAcu, maxAcu, engine, clusterIdentifier: given, backup } = checkDatabaseProps(spec, {
      ...props,
      ...(props.enableBroker !== false && props.broker ? { brokerSecurityGroups: props.broker.securityGroups } : {}),
    }, this);
    if (props.enableBroker === false && props.broker) {
      throw validationError('broker options are given but enableBroker is false, so there is no broker to apply them to; remove the broker options or enableBroker: false', this);
    }
    const clusterIdentifier = given ?? clusterIdentifierOf(spec);
    const logRetention = props.cloudwatchLogsRetention ?? logs.RetentionDays.ONE_YEAR;
    const encryptionKey = props.storageEncryptionKey;
    if (encryptionKey) allowLogsToUseKey(this, encryptionKey);
    const performanceInsights = props.enablePerformanceInsights ?? (props.performanceInsightRetention !== undefined || props.performanceInsightEncryptionKey !== undefined);
    const performanceInsightKey = props.performanceInsightEncryptionKey ?? encryptionKey;

    this.vpc = props.vpc ?? this.createVpc(logRetention, encryptionKey);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: this.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const lambdaSubnets = props.lambdaSubnets ?? (this.vpc.privateSubnets.length > 0 ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : vpcSubnets);

    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: `TLS-only, connection-logging parameters for ${spec.cluster}`,
      parameters: {
        // Plaintext connections are refused by the server, not just avoided by the clients.
        'rds.force_ssl': '1',
        // Only rds_password members (the master, db_admin's admin) set passwords: otherwise a firefighter's open
        // session could run ALTER ROLE <self> PASSWORD after a takeover and log in with it until the new expiry.
        'rds.restrict_password_commands': '1',
        // Who connected and for how long: the audit trail for firefighter sessions.
        log_connections: '1',
        log_disconnections: '1',
        // What a firefighter ran (docs/security.md, "What the firefighter did"): pgaudit is loaded, logs nothing
        // cluster-wide, and the role model turns it on for the firefighter roles and per-person logins only.
        // pg_stat_statements stays loaded, as in Aurora's default group; bound parameters are never logged.
        ...STATEMENT_AUDIT_PARAMETERS,
      },
    });

    // RDS lowercases identifiers; the log group name must match what RDS exports to.
    // Created here (not through cloudwatchLogsRetention) so no extra log-retention Lambda is deployed;
    // the cluster depends on it, so it exists before RDS would create it without a retention.
    const postgresLogs = new logs.LogGroup(this, 'PostgresqlLogs', {
      logGroupName: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier,
      credentials: props.credentials ?? rds.Credentials.fromGeneratedSecret('postgres', encryptionKey ? { encryptionKey } : {}),
      writer: props.writer ?? rds.ClusterInstance.serverlessV2('writer', { publiclyAccessible: false }),
      readers: props.readers ?? [],
      serverlessV2MinCapacity: minAcu,
      serverlessV2MaxCapacity: maxAcu,
      vpc: this.vpc,
      vpcSubnets,
      ...(props.securityGroups ? { securityGroups: props.securityGroups } : {}),
      parameterGroup,
      iamAuthentication: true,
      storageEncrypted: true,
      ...(encryptionKey ? { storageEncryptionKey: encryptionKey } : {}),
      ...(performanceInsights ? {
        enablePerformanceInsights: true,
        performanceInsightRetention: props.performanceInsightRetention ?? rds.PerformanceInsightRetention.DEFAULT,
        ...(performanceInsightKey ? { performanceInsightEncryptionKey: performanceInsightKey } : {}),
      } : {}),
      ...(props.monitoringInterval ? { monitoringInterval: props.monitoringInterval } : {}),
      ...(props.monitoringRole ? { monitoringRole: props.monitoringRole } : {}),
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.SNAPSHOT,
      backup,
      cloudwatchLogsExports: ['postgresql'],
      copyTagsToSnapshot: true,
    });
    this.cluster.node.addDependency(postgresLogs);
    if (!this.cluster.secret) throw validationError('the cluster has no master secret; this is a bug, please report it', this);
    this.masterSecret = this.cluster.secret;
    const rotation = props.masterSecretRotation === true ? {} : props.masterSecretRotation || undefined;
    if (!rotation) {
      acknowledgeNag(this.cluster, {
        id: 'AwsSolutions-SMG4',
        reason: 'The master secret is read only by the role-model custom resource at deploy time; people and applications log in with IAM tokens or broker-issued passwords that expire. Rotation is one prop away (masterSecretRotation), off by default because it deploys a hosted rotation Lambda.',
      });
    }
    if (props.monitoringInterval && !props.monitoringRole) {
      const monitoringRole = this.cluster.node.tryFindChild('MonitoringRole');
      if (monitoringRole) {
        acknowledgeNag(monitoringRole, {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
          reason: 'AmazonRDSEnhancedMonitoringRole lets RDS write only the enhanced-monitoring log group RDSOSMetrics; AWS maintains it for exactly this role, which only monitoring.rds.amazonaws.com can assume.',
        });
      }
    }
    this.connections = this.cluster.connections;

    this.roleModel = new RoleModel(this, 'RoleModel', {
      spec,
      cluster: this.cluster,
      masterSecret: this.masterSecret,
      vpc: this.vpc,
      vpcSubnets: lambdaSubnets,
      // This construct checks the endpoints of all its Lambdas at once, below.
      endpoints: LambdaEndpoints.EXISTING,
      removalPolicy: props.roleModelRemovalPolicy ?? RemovalPolicy.RETAIN,
      dropDatabaseOnDelete: props.dropDatabaseOnDelete ?? false,
      logRetention,
      ...(props.roleModelSecurityGroups ? { securityGroups: props.roleModelSecurityGroups } : {}),
      ...(encryptionKey ? { encryptionKey } : {}),
    });

    if (props.enableAccessHost === false && props.accessHost) {
      throw validationError('accessHost options are given but enableAccessHost is false, so there is no access host to apply them to; remove the accessHost options or enableAccessHost: false', this);
    }
    if (props.enableAccessHost === true || props.accessHost) {
      this.accessHost = new AccessHost(this, 'AccessHost', {
        ...props.accessHost,
        vpc: this.vpc, cluster: this.cluster, clusterName: spec.cluster, defaultSubnets: vpcSubnets,
      });
    }
    if (props.enableBroker !== false) {
      this.passwordBroker = new PasswordBroker(this, 'Broker', {
        ...props.broker,
        ...(this.accessHost ? { accessHostInstanceId: this.accessHost.instanceId } : {}),
        spec,
        cluster: this.cluster,
        vpc: this.vpc,
        vpcSubnets: lambdaSubnets,
        endpoints: LambdaEndpoints.EXISTING,
        logRetention,
        ...(encryptionKey ? { encryptionKey } : {}),
      });
      // The broker's function works only once the role model is applied (its user, db_admin's functions). Only the
      // function waits: its role must not, since a key policy of this app may name that role (legacy KMS grants)
      // while the cluster waits for its key-encrypted log group, and a whole-broker dependency would close a cycle.
      (this.passwordBroker.function.node.defaultChild as CfnResource).node.addDependency(this.roleModel);
    }
    let rotationGroup: ec2.SecurityGroup | undefined;
    if (rotation) {
      // Our own group, so the Secrets Manager endpoint can admit the rotation Lambda like the role-model handler.
      rotationGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', { vpc: this.vpc, description: `master secret rotation of ${spec.cluster}` });
      this.masterSecretRotation = this.cluster.addRotationSingleUser({
        automaticallyAfter: rotation.automaticallyAfter ?? Duration.days(30),
        vpcSubnets: lambdaSubnets,
        securityGroup: rotationGroup,
      });
    }
    const needs: EndpointNeed[] = [{
      id: 'SecretsManager',
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      // The role model's resources read the master secret at deploy time, and the rotation rotates it at once.
      dependents: [...spec.databases.map((db) => this.roleModel.databaseResource(db.name)), ...(this.masterSecretRotation ? [this.masterSecretRotation] : [])],
      callers: [
        { peer: this.roleModel, label: 'role-model custom resource' },
        ...(this.passwordBroker && props.broker?.delivery === PasswordDelivery.SECRET ? [{ peer: this.passwordBroker, label: 'password broker' }] : []),
        ...(rotationGroup ? [{ peer: rotationGroup, label: 'master secret rotation' }] : []),
      ],
    }];
    // No broker, no STS endpoint: nothing else here calls STS, and an endpoint is billed by the hour.
    const broker = this.passwordBroker;
    if (broker) needs.push({ id: 'Sts', service: ec2.InterfaceVpcEndpointAwsService.STS, callers: [{ peer: broker, label: 'password broker' }] });
    // The broker's events (PutEvents); none with enableEvents: false.
    if (broker?.eventBus) needs.push({ id: 'Events', service: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE, callers: [{ peer: broker, label: 'password broker events' }] });
    // The broker's instance lookup (DescribeDBClusters / DescribeDBInstances); none with instanceDiscovery: false.
    if (broker?.instanceDiscovery) needs.push({ id: 'Rds', service: ec2.InterfaceVpcEndpointAwsService.RDS, callers: [{ peer: broker, label: 'password broker instance lookup' }] });
    this.endpoints.push(...ensureEndpoints(this, this.vpc, lambdaSubnets, needs, props.lambdaEndpoints ?? LambdaEndpoints.AUTO));
  }

  /** The password broker. Throws with `enableBroker: false`, where there is none. */
  get broker(): PasswordBroker {
    if (!this.passwordBroker) {
      throw validationError('broker: this FirefighterDatabase was built with enableBroker: false, so it has no password broker; remove enableBroker: false to deploy one', this);
    }
    return this.passwordBroker;
  }

  /**
   * `rds-db:connect` for one of the spec's IAM logins (the app, the migrator, further IAM logins), scoped to
   * `arn:aws:rds-db:<region>:<account>:dbuser:<cluster resource id>/<role>`. Refuses other roles at synth time.
   */
  grantConnect(grantee: iam.IGrantable, role: string): iam.Grant {
    return this.roleModel.grantConnect(grantee, role);
  }

  private createVpc(retention: logs.RetentionDays, encryptionKey: kms.IKey | undefined): ec2.Vpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        rejected: {
          trafficType: ec2.FlowLogTrafficType.REJECT,
          destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'FlowLogs', { retention, removalPolicy: RemovalPolicy.RETAIN, ...(encryptionKey ? { encryptionKey } : {}) })),
        },
      },
    });
    // Its interface endpoints (Secrets Manager; STS, EventBridge and RDS with a broker) are added by ensureEndpoints once the Lambdas
    // exist. IAM tokens for the database are signed locally and need no endpoint.
    return vpc;
  }
}
