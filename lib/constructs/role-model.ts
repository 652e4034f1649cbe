import { CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IDependable } from 'constructs';
import { ROLE_MODEL_RESOURCE_TYPE, roleModelProperties } from '../spec/custom-resource-contract.js';
import { grantConnectProblem } from '../model/iam-logins.js';
import { resolveModel } from '../model/model.js';
import type { RoleModelSpec } from '../spec/spec.js';
import { parseSpec } from '../spec/validate.js';
import { bundleDir, BundleName, LAMBDA_RUNTIME_CA_FILE } from './bundles.js';
import { ensureEndpoints, LambdaEndpoints } from './endpoints.js';
import { warnOnClusterParameters } from './cluster-parameters.js';
import { allowLogsToUseKey } from './kms.js';
import { acknowledgeLambdaBasics, acknowledgeNag } from './nag.js';
import { allowClusterPortFrom, clusterInstances, defaultPrivateSubnets, validationError } from './util.js';

export interface RoleModelProps {
  /** The role model: the same spec the `rolemodel` CLI applies. Validated at synth time. */
  readonly spec: RoleModelSpec;
  /**
   * The cluster to manage: one this app creates, or an imported one (`DatabaseCluster.fromDatabaseClusterAttributes`
   * with `clusterEndpointAddress`, `port` and `securityGroups`).
   */
  readonly cluster: rds.IDatabaseCluster;
  /** The master user's secret (JSON with `username` and `password`), read by the handler at deploy time only. */
  readonly masterSecret: secretsmanager.ISecret;
  /** The cluster's VPC: the handler runs in it. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the handler. They need a route to Secrets Manager (interface endpoint or NAT) and to the cluster.
   * @default - the VPC's isolated subnets, or its private subnets with egress when it has no isolated ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group allowed to the cluster port */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * The Secrets Manager interface endpoint the handler needs in subnets without a NAT route, checked at synth
   * time: `LambdaEndpoints.AUTO` reuses one the app defines or creates it in a VPC of this app (and fails naming
   * the fix for an imported VPC), `CREATE` always creates it, `EXISTING` trusts that the VPC has it with private DNS.
   * @default LambdaEndpoints.AUTO
   */
  readonly endpoints?: LambdaEndpoints;
  /**
   * What deleting this construct (or removing a database from the spec) does on the cluster.
   * `RETAIN` changes nothing; `DESTROY` ends the sessions of that database's managed roles, reassigns what they
   * own to the master user, drops their privileges and drops the roles. Cluster-level roles always stay.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * With `removalPolicy: DESTROY`, also drop each managed database and ALL ITS DATA.
   * @default false - the database and its tables stay, owned by the master user
   */
  readonly dropDatabaseOnDelete?: boolean;
  /**
   * Resources that must exist before the role model is applied, beyond `cluster` and `masterSecret`
   * (for an imported cluster: its writer instance and secret attachment, when they live in this app).
   * @default - none
   */
  readonly dependsOn?: IDependable[];
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer managed KMS key for the handler's and the framework's log groups (a key of this app gets the key-policy
   * statement CloudWatch Logs needs). The master secret's own key is the secret's business: `grantRead` covers it.
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Applies and verifies the role model on an Aurora PostgreSQL cluster at deploy time: one custom resource per
 * database, through the aws-cdk-lib Provider framework. A deployment fails with the verifier's findings when
 * the cluster does not end up matching the spec.
 */
export class RoleModel extends Construct implements ec2.IConnectable {
  /** The onEvent handler (in the VPC). */
  readonly handler: lambda.IFunction;
  readonly connections: ec2.Connections;
  /** Interface endpoints created or reused for the handler (none where its subnets have a NAT route). */
  readonly endpoints: ec2.InterfaceVpcEndpoint[];
  readonly spec: RoleModelSpec;
  private readonly resources = new Map<string, CustomResource>();
  private readonly cluster: rds.IDatabaseCluster;

  constructor(scope: Construct, id: string, props: RoleModelProps) {
    super(scope, id);
    this.spec = parseSpec(props.spec);
    this.cluster = props.cluster;
    warnOnClusterParameters(this, props.cluster);
    const encryptionKey = props.encryptionKey;
    if (encryptionKey) allowLogsToUseKey(this, encryptionKey);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY) {
      throw validationError(`removalPolicy ${removalPolicy} is not supported for a role model; use RemovalPolicy.RETAIN or RemovalPolicy.DESTROY`, this);
    }
    const dropDatabaseOnDelete = props.dropDatabaseOnDelete ?? false;
    if (dropDatabaseOnDelete && removalPolicy !== RemovalPolicy.DESTROY) {
      throw validationError('dropDatabaseOnDelete is true but removalPolicy is RETAIN; set removalPolicy to RemovalPolicy.DESTROY or remove dropDatabaseOnDelete', this);
    }

    const logGroup = new logs.LogGroup(this, 'HandlerLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    const handler = new lambda.Function(this, 'Handler', {
      description: `Applies and verifies the PostgreSQL role model of cluster ${this.spec.cluster}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(bundleDir(BundleName.ROLEMODEL_HANDLER)),
      memorySize: 256,
      // Below the framework's 15 minutes; the handler retries the connection for at most 5 of them.
      timeout: Duration.minutes(10),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? defaultPrivateSubnets(props.vpc),
      ...(props.securityGroups ? { securityGroups: props.securityGroups } : {}),
      environment: { NODE_EXTRA_CA_CERTS: LAMBDA_RUNTIME_CA_FILE },
      logGroup,
    });
    this.handler = handler;
    this.connections = handler.connections;
    props.masterSecret.grantRead(handler);
    const ingress = allowClusterPortFrom(this, props.cluster, handler, 'role-model custom resource');

    // The framework Lambda stays outside the VPC: it must reach CloudFormation's pre-signed response URL.
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: handler,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', {
        retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
        ...(encryptionKey ? { encryptionKey } : {}),
      }),
    });

    acknowledgeLambdaBasics(handler, true);
    acknowledgeLambdaBasics(provider.node.findChild('framework-onEvent') as lambda.Function, false);
    const frameworkPolicy = provider.node.tryFindChild('framework-onEvent')?.node.tryFindChild('ServiceRole')?.node.tryFindChild('DefaultPolicy');
    if (frameworkPolicy) {
      const stack = Stack.of(this);
      const handlerLogicalId = stack.resolve(stack.getLogicalId(handler.node.defaultChild as lambda.CfnFunction)) as string;
      acknowledgeNag(frameworkPolicy, {
        id: `AwsSolutions-IAM5[Resource::<${handlerLogicalId}.Arn>:*]`,
        reason: 'The Provider framework may invoke any version of this one handler function; the wildcard is only the version qualifier.',
      });
    }

    const port = props.cluster.clusterEndpoint.port;
    for (const db of this.spec.databases) {
      const resource = new CustomResource(this, `Database-${db.name.replace(/\//g, '-')}`, {
        serviceToken: provider.serviceToken,
        resourceType: ROLE_MODEL_RESOURCE_TYPE,
        properties: roleModelProperties({
          spec: this.spec,
          database: db.name,
          secretArn: props.masterSecret.secretArn,
          host: props.cluster.clusterEndpoint.hostname,
          port: Token.isUnresolved(port) ? Token.asString(port) : String(port),
          removalPolicy: removalPolicy === RemovalPolicy.DESTROY ? 'destroy' : 'retain',
          dropDatabaseOnDelete,
        }),
      });
      // Not just the endpoint attribute: the writer must be up, the secret attached (it then holds the
      // password RDS set) and the ingress rule in place before the handler connects.
      resource.node.addDependency(...clusterInstances(props.cluster), props.masterSecret, ...ingress, handler, ...(props.dependsOn ?? []));
      this.resources.set(db.name, resource);
    }
    // After the resources: they wait for the endpoint and its rules, and a DESTROY delete runs before those go.
    this.endpoints = ensureEndpoints(this, props.vpc, props.vpcSubnets ?? defaultPrivateSubnets(props.vpc),
      [{ id: 'SecretsManager', service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, callers: [{ peer: handler, label: 'role-model custom resource' }], dependents: [...this.resources.values()] }],
      props.endpoints ?? LambdaEndpoints.AUTO, { subject: 'the role-model handler runs', modeProp: 'endpoints', subnetsProp: 'vpcSubnets' });
  }

  /**
   * `rds-db:connect` for one of the spec's IAM logins (the app, the migrator, further IAM logins), exactly
   * `arn:aws:rds-db:<region>:<account>:dbuser:<cluster resource id>/<role>`; any other role is refused at synth time.
   */
  grantConnect(grantee: iam.IGrantable, role: string): iam.Grant {
    const problem = grantConnectProblem(resolveModel(this.spec), role);
    if (problem) throw validationError(`grantConnect: ${problem}`, this);
    return this.cluster.grantConnect(grantee, role);
  }

  /** The custom resource of one database, e.g. for an application stack that must wait for its roles. */
  databaseResource(database: string): CustomResource {
    const resource = this.resources.get(database);
    if (!resource) {
      throw validationError(`database "${database}" is not in the role model (${[...this.resources.keys()].join(', ')}); add it to the spec`, this);
    }
    return resource;
  }
}
