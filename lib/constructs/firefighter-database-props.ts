// The FirefighterDatabase construct's props: the spec, and the cluster, network, key, logging and broker options,
// each with its documented default.
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { RoleModelSpec } from '../spec/spec.js';
import type { AccessHostOptions } from './access-host.js';
import type { LambdaEndpoints } from './endpoints.js';
import type { PasswordBrokerOptions } from './broker/password-broker-props.js';

/** Secrets Manager single-user rotation of the master secret (aws-rds `addRotationSingleUser`). */
export interface MasterSecretRotationOptions {
  /** @default Duration.days(30) */
  readonly automaticallyAfter?: Duration;
}

export interface FirefighterDatabaseProps {
  /** The role model; `spec.cluster` becomes the cluster identifier. */
  readonly spec: RoleModelSpec;
  /**
   * @default - a new VPC over 2 AZs with isolated subnets only, no NAT gateway, interface endpoints for
   * Secrets Manager, STS, EventBridge and RDS (all the Lambdas need), and flow logs
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
   * Interface endpoints for what the Lambdas call (Secrets Manager; STS and EventBridge with a broker). `LambdaEndpoints.AUTO`: when
   * their subnets have no NAT route, reuse the endpoints this app defines for the VPC or create the missing ones (a
   * VPC of this app) or fail naming the fix (an imported VPC); `CREATE`: create the missing ones; `EXISTING`: the VPC has them.
   * @default LambdaEndpoints.AUTO
   */
  readonly lambdaEndpoints?: LambdaEndpoints;
  /**
   * An Aurora PostgreSQL engine, 15 or later (aws-rds `DatabaseClusterEngine.auroraPostgres({ version })`).
   * @default rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 }) (the latest 17.x in this aws-cdk-lib)
   */
  readonly engine?: rds.IClusterEngine;
  /**
   * The writer instance: Serverless v2 or provisioned (aws-rds `ClusterInstance.serverlessV2` / `.provisioned`).
   * @default rds.ClusterInstance.serverlessV2('writer', { publiclyAccessible: false })
   */
  readonly writer?: rds.IClusterInstance;
  /** Reader instances besides the writer, at most 15 (Aurora's replica limit). @default - none */
  readonly readers?: rds.IClusterInstance[];
  /** @default 0.5 */
  readonly serverlessV2MinCapacity?: number;
  /** @default 4 */
  readonly serverlessV2MaxCapacity?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** What deleting the stack does to the cluster. @default RemovalPolicy.SNAPSHOT */
  readonly removalPolicy?: RemovalPolicy;
  /** See `RoleModelProps.removalPolicy`. @default RemovalPolicy.RETAIN */
  readonly roleModelRemovalPolicy?: RemovalPolicy;
  /** See `RoleModelProps.dropDatabaseOnDelete`. @default false */
  readonly dropDatabaseOnDelete?: boolean;
  /**
   * The master user and its secret, which the role-model handler reads: a generated secret or one you give
   * (`rds.Credentials.fromGeneratedSecret` / `fromSecret` / `fromUsername`); `fromPassword` is refused (no secret).
   * @default rds.Credentials.fromGeneratedSecret('postgres', { encryptionKey: storageEncryptionKey })
   */
  readonly credentials?: rds.Credentials;
  /**
   * The RDS cluster identifier; also names the PostgreSQL log group `/aws/rds/cluster/<id>/postgresql`. A fixed
   * identifier is one per account and region: a second stage of the app, or a deploy after `cdk destroy` (the
   * retained log group), collides with it.
   * @default - `<spec.cluster>-<first 8 hex digits of the stack id>`, lowercased: unique per stack, kept by updates
   */
  readonly clusterIdentifier?: string;
  /** Automated backups: retention (1 to 35 whole days) and window. @default { retention: Duration.days(7) } */
  readonly backup?: rds.BackupProps;
  /** Retention of the exported PostgreSQL logs, and of the Lambdas' and flow logs here. @default logs.RetentionDays.ONE_YEAR */
  readonly cloudwatchLogsRetention?: logs.RetentionDays;
  /** Deploy the password broker; `false` for the role model alone (then `broker` throws). @default true */
  readonly enableBroker?: boolean;
  /** Options of the password broker. @default - a broker with no requesters yet */
  readonly broker?: PasswordBrokerOptions;
  /**
   * An EC2 host for SSM Session Manager port forwarding to the cluster (`firefighter request ... --connect --tunnel`):
   * no inbound port, no key pair, IMDSv2, encrypted root volume, out only to the cluster port and SSM over HTTPS.
   * Its instance id is a stack output and in the broker's locator parameter; let people in with
   * `accessHost.grantTunnel(role)`. In subnets without a NAT route it needs the ssm, ssmmessages and ec2messages
   * interface endpoints (created by default, billed hourly). Options given here deploy it too.
   * @default false - no access host unless `accessHost` options are given
   */
  readonly enableAccessHost?: boolean;
  /**
   * Options of the access host (instance type, image, subnets, endpoints); giving them deploys it.
   * @default - a t4g.nano on Amazon Linux 2023 in the cluster's subnets, when `enableAccessHost` is true
   */
  readonly accessHost?: AccessHostOptions;
  /**
   * Customer managed KMS key for the cluster's storage and, unless they have their own, the generated master secret,
   * Performance Insights, the broker's password secrets and every log group here (PostgreSQL, Lambdas, flow logs). A key of this app gets the key-policy statement
   * CloudWatch Logs needs; an imported key must have it already (a synth warning says which).
   * @default - AWS managed keys (aws/rds, aws/secretsmanager) and CloudWatch Logs' own encryption
   */
  readonly storageEncryptionKey?: kms.IKey;
  /** Security groups of the cluster. @default - a new security group that admits only the Lambdas here */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Security groups of the role-model handler (not shared with the broker's). @default - a new security group */
  readonly roleModelSecurityGroups?: ec2.ISecurityGroup[];
  /** @default - true when `performanceInsightRetention` or `performanceInsightEncryptionKey` is set, else false */
  readonly enablePerformanceInsights?: boolean;
  /** @default rds.PerformanceInsightRetention.DEFAULT (7 days, free tier), when enabled */
  readonly performanceInsightRetention?: rds.PerformanceInsightRetention;
  /** @default - `storageEncryptionKey` when given, else the AWS managed key */
  readonly performanceInsightEncryptionKey?: kms.IKey;
  /** Enhanced monitoring of every instance (1, 5, 10, 15, 30 or 60 seconds). @default - none */
  readonly monitoringInterval?: Duration;
  /** @default - a role with AmazonRDSEnhancedMonitoringRole, when `monitoringInterval` is set */
  readonly monitoringRole?: iam.IRole;
  /**
   * Single-user rotation of the master secret by the AWS-hosted rotation Lambda (a Serverless Application
   * Repository app, so the stack deploys with CAPABILITY_AUTO_EXPAND, which the CDK CLI passes). It runs in
   * `lambdaSubnets` and gets the same route to Secrets Manager and the cluster as the role-model handler.
   * @default false
   */
  readonly masterSecretRotation?: boolean | MasterSecretRotationOptions;
}
