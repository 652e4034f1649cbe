// What the PasswordBroker construct derives from its inputs and grants its function: the allowlist ARN of a
// grantee, the cluster's instance hosts, and the read-only RDS calls of run-time instance discovery.
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { selfApprovalProblems, type Allowlist, type AllowlistEntry } from '../../broker/protocol/allowlist.js';
import { identityCenterGrantee } from './identity-center.js';
import { acknowledgeNag } from '../nag.js';
import type { BrokerGrantOptions } from './password-broker-props.js';
import { validationError } from '../util.js';

/**
 * The allowlist entry of a grantee: an IAM Identity Center role's permission set and account (its role's suffix
 * changes with each assignment), a role whose session names are bound to people, or the role's or user's ARN.
 */
export function allowlistEntryOf(grantee: iam.IGrantable, scope: Construct, options: BrokerGrantOptions): AllowlistEntry {
  const identityCenter = identityCenterGrantee(grantee);
  if (identityCenter) return { permissionSet: identityCenter.permissionSet, account: identityCenter.account };
  const arn = principalArnOf(grantee, scope);
  if (!options.bindsSessionNames) return arn;
  if (!(grantee.grantPrincipal instanceof iam.Role) && !/:role\//.test(arn)) {
    throw validationError(`bindsSessionNames is for roles, and ${grantee.grantPrincipal.toString()} is not one; an IAM user is a person already, drop the option`, scope);
  }
  return { role: arn, bindsSessionNames: true };
}

/**
 * The synth errors of allowlists with which one person could request read-write and approve it (the broker's
 * configuration parser refuses the same at cold start), naming the fix in this API. `roleTokens` maps the ARN
 * token of each role of this app to its construct path, for the check and the message.
 */
export function selfApprovalIssues(allowlist: Allowlist, roleTokens: ReadonlyMap<string, string>): string[] {
  return selfApprovalProblems(allowlist, (arn) => roleTokens.has(arn)).map((p) => {
    const message = [...roleTokens].reduce((m, [token, path]) => m.split(token).join(path), p.message);
    return `${p.field}: ${message.replace(/\{ "role": "([^"]*)", "bindsSessionNames": true \}/, 'grantRequest(role, access, { bindsSessionNames: true }) and grantApprove(role, { bindsSessionNames: true })')}`;
  });
}

/** The ARN the broker's allowlist must hold for a grantee: a role's or user's ARN, or an ArnPrincipal's. */
export function principalArnOf(grantee: iam.IGrantable, scope: Construct): string {
  // From the policy fragment, not instanceof: a role, a user and an ArnPrincipal all name themselves there.
  const principal = grantee.grantPrincipal;
  const aws = principal.policyFragment.principalJson.AWS as string[] | string | undefined;
  const arns = [aws ?? []].flat();
  if (arns.length !== 1 || typeof arns[0] !== 'string') {
    throw validationError(`grantRequest and grantApprove need an IAM role or user (or an ArnPrincipal), got ${principal.toString()}; for a principal in another account use addRequester(access, arn) or addApprover(arn)`, scope);
  }
  return arns[0];
}

export function instanceHostsOf(cluster: rds.IDatabaseCluster, scope: Construct): string[] {
  try {
    return cluster.instanceEndpoints.map((endpoint) => endpoint.hostname);
  } catch {
    throw validationError('the cluster has no instance endpoints (an imported cluster without instanceEndpointAddresses); pass instanceHosts or import it with instanceEndpointAddresses', scope);
  }
}

/**
 * rds:DescribeDBClusters on exactly this cluster; rds:DescribeDBInstances on the instances of this account and
 * region (Service Authorization Reference: both are read actions with resource-level permissions, on `cluster` and
 * `db` ARNs). Readers added after deploy have names nobody knows at synth, and IAM has no key that ties an instance
 * to its cluster, so the instance ARN is a wildcard; the call reads names, states and endpoints, nothing else.
 */
export function grantInstanceDiscovery(fn: lambda.Function, clusterIdentifier: string): void {
  const stack = Stack.of(fn);
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['rds:DescribeDBClusters'],
    resources: [stack.formatArn({ service: 'rds', resource: 'cluster', resourceName: clusterIdentifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    actions: ['rds:DescribeDBInstances'],
    resources: [stack.formatArn({ service: 'rds', resource: 'db', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
  }));
  if (fn.role) {
    // cdk-nag names the resource as rendered: literal region and account in an environment-bound stack.
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    acknowledgeNag(fn.role, {
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:rds:${region}:${account}:db:*]`,
      reason: 'The broker lists the cluster\'s instances (DescribeDBInstances, read-only: names, states, endpoints) to end firefighter sessions on readers added after deploy, whose names are unknown at synth; IAM has no condition key tying an instance to its cluster. DescribeDBClusters is scoped to the one cluster.',
    });
  }
}
