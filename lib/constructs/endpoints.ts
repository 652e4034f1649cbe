// The Lambdas of this package call AWS APIs besides the cluster: Secrets Manager (the master secret, delivered
// passwords), STS (the broker verifies who asks) and EventBridge (the broker tells the team). In subnets without
// a NAT route those calls need interface endpoints, or the Lambdas time out at deploy time with nothing in the
// template to say why. This check runs at synth time: it reuses endpoints the app already has, creates the
// missing ones, or fails naming the fix.
import { Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct, IConstruct } from 'constructs';
import { validationError } from './util.js';

/** Which interface endpoints a construct creates for the AWS APIs its Lambdas (or its access host) call. */
export enum LambdaEndpoints {
  /** Only where the subnets have no NAT route: reuse the app's endpoints, create missing ones in a VPC of this app, fail naming the fix for an imported VPC. */
  AUTO = 'auto',
  /** Always create them (for an imported VPC without them). */
  CREATE = 'create',
  /** Never: the VPC already has them, with private DNS. */
  EXISTING = 'existing',
}

export interface EndpointNeed {
  /** Construct id of the endpoint, e.g. `SecretsManager`. */
  readonly id: string;
  readonly service: ec2.InterfaceVpcEndpointAwsService;
  /** The Lambdas that call it, each with the description of its ingress rule. */
  readonly callers: { readonly peer: ec2.IConnectable; readonly label: string }[];
  /**
   * What calls the service while CloudFormation works (custom resources, a rotation schedule): each depends on
   * the endpoint, its security group and its ingress rules, so it is created after them and deleted before them.
   */
  readonly dependents?: IConstruct[];
}

/** Who needs the endpoints, for the error that names the props to fix. */
export interface EndpointUser {
  readonly subject: string;
  readonly modeProp: string;
  readonly subnetsProp: string;
}

const LAMBDAS: EndpointUser = { subject: 'the Lambdas run', modeProp: 'lambdaEndpoints', subnetsProp: 'lambdaSubnets' };

/** Whether every selected subnet routes to the internet through a NAT (a private subnet with egress). */
export function hasNatRoute(vpc: ec2.IVpc, selection: ec2.SubnetSelection): boolean {
  const egress = new Set(vpc.privateSubnets.map((s) => s.subnetId));
  const selected = vpc.selectSubnets(selection).subnets;
  return selected.length > 0 && selected.every((s) => egress.has(s.subnetId));
}

/**
 * Makes sure each needed service is reachable from its callers; returns the endpoints it created or reused.
 * `vpcCreatedHere` is true for a VPC of this app: new endpoints are added to it (stable construct paths).
 */
export function ensureEndpoints(scope: Construct, vpc: ec2.IVpc, lambdaSubnets: ec2.SubnetSelection, needs: EndpointNeed[], mode: LambdaEndpoints, who: EndpointUser = LAMBDAS): ec2.InterfaceVpcEndpoint[] {
  if (mode === LambdaEndpoints.EXISTING || needs.length === 0) return [];
  if (mode === LambdaEndpoints.AUTO && hasNatRoute(vpc, lambdaSubnets)) return [];
  const endpoints: ec2.InterfaceVpcEndpoint[] = [];
  const missing: EndpointNeed[] = [];
  for (const need of needs) {
    const found = existingEndpoint(scope, vpc, need.service);
    if (found) {
      for (const caller of need.callers) found.connections.allowDefaultPortFrom(caller.peer, caller.label);
      for (const dependent of need.dependents ?? []) dependent.node.addDependency(found);
      endpoints.push(found);
    } else {
      missing.push(need);
    }
  }
  if (missing.length === 0) return endpoints;
  const ownVpc = vpc instanceof ec2.Vpc;
  if (mode === LambdaEndpoints.AUTO && !ownVpc) {
    const short = missing.map((m) => m.service.shortName);
    const names = short.length > 1 ? `${short.slice(0, -1).join(', ')} and ${short.at(-1)}` : short.join('');
    throw validationError(`${who.subject} in subnets without a NAT route (${describeSelection(lambdaSubnets)}) of an imported VPC and need interface endpoints for ${names}, which this app does not define; set ${who.modeProp}: LambdaEndpoints.CREATE to create them, ${who.modeProp}: LambdaEndpoints.EXISTING if the VPC already has them with private DNS, or ${who.subnetsProp} to private subnets with egress`, scope);
  }
  for (const need of missing) {
    // Closed (open: false): only the Lambdas that call the service are let in.
    const options = { service: need.service, open: false, privateDnsEnabled: true };
    // In the VPC's own stack when that is this construct's stack (stable paths); otherwise beside the construct, so a
    // role model or broker in a stack of its own adds no reference from the VPC's stack back to it (a cycle).
    const sameStack = ownVpc && Stack.of(vpc) === Stack.of(scope);
    const endpoint = sameStack ? (vpc as ec2.Vpc).addInterfaceEndpoint(need.id, options) : new ec2.InterfaceVpcEndpoint(scope, need.id, { vpc, ...options });
    for (const caller of need.callers) endpoint.connections.allowDefaultPortFrom(caller.peer, caller.label);
    for (const dependent of need.dependents ?? []) dependent.node.addDependency(endpoint);
    endpoints.push(endpoint);
  }
  return endpoints;
}

/** An interface endpoint for `service` in `vpc` defined in this stage of the app. */
function existingEndpoint(scope: Construct, vpc: ec2.IVpc, service: ec2.IInterfaceVpcEndpointService): ec2.InterfaceVpcEndpoint | undefined {
  const stack = Stack.of(scope);
  const vpcId = stack.resolve(vpc.vpcId) as unknown;
  const serviceName = JSON.stringify(stack.resolve(service.name));
  // A VPC of this app resolves to a reference ({ Ref: ... }), the same text in every stage's copy of the stack: only
  // an endpoint in the VPC's own stack is that VPC's. An imported VPC's id is a literal, the same wherever it is read.
  const literalVpc = typeof vpcId === 'string';
  // Another stage (staging and production of one app) is another deployment: never reuse its endpoints.
  const root = Stage.of(scope) ?? scope.node.root;
  return root.node.findAll().find((c): c is ec2.InterfaceVpcEndpoint => {
    if (!(c instanceof ec2.InterfaceVpcEndpoint)) return false;
    const s = Stack.of(c);
    if (!literalVpc && s !== Stack.of(vpc)) return false;
    const cfn = c.node.defaultChild as ec2.CfnVPCEndpoint;
    return JSON.stringify(s.resolve(cfn.serviceName)) === serviceName && JSON.stringify(s.resolve(cfn.vpcId)) === JSON.stringify(vpcId);
  });
}

function describeSelection(selection: ec2.SubnetSelection): string {
  if (selection.subnetType) return `subnetType ${selection.subnetType}`;
  if (selection.subnetGroupName) return `subnet group ${selection.subnetGroupName}`;
  return 'the selected subnets';
}
