// A path from a laptop to a cluster in isolated subnets: a small EC2 instance that SSM Session Manager forwards
// a local port through (AWS-StartPortForwardingSessionToRemoteHost), so `firefighter request ... --connect
// --tunnel` reaches the writer with no VPN, no inbound port and no SSH key. The instance can reach only the
// cluster port and HTTPS (the SSM agent's channel); who may open a tunnel is an IAM decision (grantTunnel).
import { CfnOutput, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { identityCenterGrantee, PermissionSetPolicy } from './broker/identity-center.js';
import { ensureEndpoints, type EndpointNeed, LambdaEndpoints } from './endpoints.js';
import { acknowledgeNag } from './nag.js';
import { allowClusterPortFrom, validationError } from './util.js';

/** The one SSM document a tunnel may use: forwarding a local port to a host the instance can reach. */
export const PORT_FORWARDING_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost';

export interface AccessHostOptions {
  /** @default t4g.nano (Graviton; the host only relays bytes) */
  readonly instanceType?: ec2.InstanceType;
  /**
   * The host's image. The default names the latest Amazon Linux 2023 (which ships the SSM agent) by its public SSM
   * parameter and lets EC2 resolve it when the instance launches (`resolve:ssm:...`), so the template does not change
   * when AWS publishes a new image and the host, with the tunnels open through it, is not replaced by a deploy. To
   * move to a newer image, replace the host: pass another image here (any change of it launches a new instance,
   * e.g. `ec2.MachineImage.resolveSsmParameterAtLaunch(name, { parameterVersion: '...' })`).
   * @default - latest Amazon Linux 2023 for the instance type's architecture, resolved at launch
   */
  readonly machineImage?: ec2.IMachineImage;
  /** Subnets of the host; any subnet that routes to the cluster. @default - the cluster's subnets */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * Interface endpoints for SSM (ssm, ssmmessages, ec2messages), as `lambdaEndpoints`: `LambdaEndpoints.AUTO`
   * creates or reuses them when the host's subnets have no NAT route; `CREATE` always; `EXISTING` never (the VPC has them).
   * @default LambdaEndpoints.AUTO
   */
  readonly endpoints?: LambdaEndpoints;
  /** A stack output with the instance id. @default true */
  readonly outputs?: boolean;
}

export interface AccessHostProps extends AccessHostOptions {
  readonly vpc: ec2.IVpc;
  readonly cluster: rds.IDatabaseCluster;
  /** Named in the output's description. */
  readonly clusterName: string;
  /** @default - the VPC's isolated subnets, else its private subnets with egress */
  readonly defaultSubnets?: ec2.SubnetSelection;
}

/** An SSM-managed instance that may reach only the cluster port: the other end of `firefighter ... --tunnel`. */
export class AccessHost extends Construct implements ec2.IConnectable {
  readonly instance: ec2.Instance;
  readonly instanceId: string;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;
  /** The SSM interface endpoints this host uses that were created or found in the app (empty with a NAT route). */
  readonly endpoints: ec2.InterfaceVpcEndpoint[];

  constructor(scope: Construct, id: string, props: AccessHostProps) {
    super(scope, id);
    // Without this flag, requireImdsv2 makes a launch template with a fixed physical name: a second access host in
    // the account and region (another environment) would fail to deploy. Set before any child reads it.
    this.node.setContext(cxapi.EC2_UNIQUE_IMDSV2_LAUNCH_TEMPLATE_NAME, true);
    const port = props.cluster.connections.defaultPort;
    if (!port) throw validationError('the cluster has no default port (an imported cluster without "port"); import it with port and securityGroups', this);
    const subnets = props.subnets ?? props.defaultSubnets ?? { subnetType: props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };

    // No ingress rule at all: Session Manager connects from the inside (the agent dials out over HTTPS).
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: false,
      description: `SSM access host of ${props.clusterName}: no inbound, out only to the cluster port and SSM over HTTPS`,
    });
    for (const target of props.cluster.connections.securityGroups) {
      this.securityGroup.addEgressRule(target, port, `to the ${props.clusterName} cluster port`);
    }
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO);
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: subnets,
      instanceType,
      machineImage: props.machineImage ?? latestAmazonLinuxAtLaunch(instanceType),
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      ssmSessionPermissions: true,
      associatePublicIpAddress: false,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
      detailedMonitoring: true,
    });
    this.instanceId = this.instance.instanceId;
    this.connections = this.instance.connections;
    allowClusterPortFrom(this, props.cluster, this.instance, 'SSM access host');

    const needs: EndpointNeed[] = [
      { id: 'Ssm', service: ec2.InterfaceVpcEndpointAwsService.SSM, callers: [{ peer: this.instance, label: 'SSM agent of the access host' }] },
      { id: 'SsmMessages', service: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES, callers: [{ peer: this.instance, label: 'SSM agent of the access host' }] },
      { id: 'Ec2Messages', service: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES, callers: [{ peer: this.instance, label: 'SSM agent of the access host' }] },
    ];
    this.endpoints = ensureEndpoints(this, props.vpc, subnets, needs, props.endpoints ?? LambdaEndpoints.AUTO,
      { subject: 'the access host runs', modeProp: 'accessHost.endpoints', subnetsProp: 'accessHost.subnets' });
    // Endpoints found or created: allowDefaultPortFrom above opened egress to exactly them. Otherwise the agent
    // reaches SSM through a NAT route or endpoints this app does not know, so HTTPS goes out to any address.
    if (this.endpoints.length === 0) this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'SSM agent to Systems Manager over HTTPS');

    if (!props.machineImage) {
      acknowledgeNag(this.instance, {
        id: 'CloudFormation-Validate::E1152',
        reason: 'ImageId is resolve:ssm:<AWS\'s public AL2023 parameter>, which EC2 resolves when the instance launches (RunInstances accepts it in place of an AMI id; aws-cdk-lib\'s resolveSsmParameterAtLaunch); it keeps the template unchanged when AWS publishes a new image, so a deploy does not replace the host.',
      });
    }
    acknowledgeNag(this.instance, {
      id: 'AwsSolutions-EC29',
      reason: 'The access host holds no state: it only relays Session Manager port-forwarding sessions to the cluster, so replacing or terminating it loses nothing; termination protection would only block stack updates that replace it (e.g. a new AMI).',
    });
    acknowledgeNag(this.instance.role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for an instance to register with Systems Manager and carry Session Manager sessions; the host has no other permission.',
    });
    if (props.outputs ?? true) {
      new CfnOutput(this, 'InstanceId', {
        value: this.instanceId,
        description: `SSM access host of ${props.clusterName} (firefighter request ro --cluster ${props.clusterName} ... --connect --tunnel)`,
      });
    }
  }

  /**
   * Lets a person open a port-forwarding tunnel through this host, and nothing else: `ssm:StartSession` on this
   * instance with the AWS-StartPortForwardingSessionToRemoteHost document only (no shell: SessionDocumentAccessCheck
   * refuses the default shell document), and ending or resuming only the sessions they started.
   */
  grantTunnel(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const instanceArn = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: this.instanceId });
    const documentArn = stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: PORT_FORWARDING_DOCUMENT });
    const startStatement = { actions: ['ssm:StartSession'], resources: [instanceArn, documentArn], conditions: { BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } } };
    // Session ids are random: the resource is a wildcard, narrowed to the caller's own sessions by AWS's tag.
    const ownStatement = {
      actions: ['ssm:TerminateSession', 'ssm:ResumeSession'], resources: [stack.formatArn({ service: 'ssm', resource: 'session', resourceName: '*' })],
      conditions: { StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': ['${aws:userid}'] } },
    };
    // An IAM Identity Center role is only modifiable by AWS: the statements go into its permission set's policy.
    const identityCenter = identityCenterGrantee(grantee);
    if (identityCenter) {
      const policy = PermissionSetPolicy.of(this, identityCenter);
      return policy.grant(grantee, new iam.PolicyStatement(startStatement)).combine(policy.grant(grantee, new iam.PolicyStatement(ownStatement)));
    }
    const start = iam.Grant.addToPrincipal({ grantee, actions: startStatement.actions, resourceArns: startStatement.resources, conditions: startStatement.conditions });
    const own = iam.Grant.addToPrincipal({ grantee, actions: ownStatement.actions, resourceArns: ownStatement.resources, conditions: ownStatement.conditions });
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      // cdk-nag names the resource as rendered: literal region and account in an environment-bound stack.
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      acknowledgeNag(grantee.grantPrincipal, {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${region}:${account}:session/*]`,
        reason: 'Session Manager session ids are random, so ending or resuming one\'s own tunnel needs session/*; the condition ssm:resourceTag/aws:ssmmessages:session-id = ${aws:userid} limits it to sessions this principal started (AWS\'s documented policy).',
      });
    }
    return start.combine(own);
  }
}

/**
 * AL2023 by AWS's public parameter, resolved by EC2 at launch rather than by CloudFormation at deploy: the
 * template's ImageId stays `resolve:ssm:<parameter>`, so a new image published by AWS changes nothing here.
 */
function latestAmazonLinuxAtLaunch(instanceType: ec2.InstanceType): ec2.IMachineImage {
  const arch = instanceType.architecture === ec2.InstanceArchitecture.ARM_64 ? 'arm64' : 'x86_64';
  return ec2.MachineImage.resolveSsmParameterAtLaunch(`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`, { os: ec2.OperatingSystemType.LINUX });
}
