// IAM Identity Center principals for the grants of the PasswordBroker and the AccessHost. The role Identity Center
// makes in each account (AWSReservedSSO_<permission set>_<suffix>, path /aws-reserved/sso.amazonaws.com/) is only
// modifiable by AWS: a policy attached to it fails the deploy, and it is replaced (with a new suffix) whenever the
// permission set is assigned again. So a grant to such a role never touches it: it collects the statements the
// permission set needs into one policy per permission set and account, which the stack outputs (and
// `PermissionSetPolicy.document` returns) for the owner of the permission set to paste as its inline policy.
import { Annotations, CfnOutput, Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { isIdentityCenterRole, parseRoleArn } from '../../broker/protocol/allowlist.js';
import { identityCenterPermissionSet } from '../../broker/protocol/person.js';

export interface IdentityCenterGrantee {
  readonly permissionSet: string;
  readonly account: string;
}

/**
 * The permission set and account of a grantee that is an imported IAM Identity Center role (its ARN known at
 * synth), or undefined for any other principal.
 */
export function identityCenterGrantee(grantee: iam.IGrantable): IdentityCenterGrantee | undefined {
  const aws = grantee.grantPrincipal.policyFragment.principalJson.AWS as string[] | string | undefined;
  const arns = [aws ?? []].flat();
  const arn = arns.length === 1 ? arns[0] : undefined;
  if (typeof arn !== 'string' || Token.isUnresolved(arn) || !isIdentityCenterRole(arn)) return undefined;
  const role = parseRoleArn(arn);
  const permissionSet = role ? identityCenterPermissionSet(role.name) : undefined;
  if (!role || permissionSet === undefined) return undefined;
  return { permissionSet, account: role.account };
}

/**
 * The inline policy one IAM Identity Center permission set needs in one account, collected from every grant of
 * this app (broker requests and approvals, tunnels). One per stack, permission set and account.
 */
export class PermissionSetPolicy extends Construct {
  /** The policy collected for `permissionSet` in `account` within `scope`'s stack, made on first use. */
  static of(scope: Construct, grantee: IdentityCenterGrantee): PermissionSetPolicy {
    const stack = Stack.of(scope);
    const id = `PermissionSetPolicy-${grantee.permissionSet.replace(/[^A-Za-z0-9]/g, '')}-${grantee.account}`;
    const found = stack.node.tryFindChild(id);
    return found instanceof PermissionSetPolicy ? found : new PermissionSetPolicy(stack, id, grantee);
  }

  /** What to paste as the permission set's inline policy (IAM Identity Center console or AWS::SSO::PermissionSet InlinePolicy). */
  readonly document = new iam.PolicyDocument();
  readonly permissionSet: string;
  readonly account: string;

  private constructor(scope: Construct, id: string, grantee: IdentityCenterGrantee) {
    super(scope, id);
    this.permissionSet = grantee.permissionSet;
    this.account = grantee.account;
    const output = new CfnOutput(this, 'Json', {
      value: Stack.of(this).toJsonString(this.document),
      description: `Inline policy for IAM Identity Center permission set ${grantee.permissionSet} (account ${grantee.account}): the firefighter grants, which cannot be attached to its AWSReservedSSO_ role`,
    });
    Annotations.of(this).addInfo(`IAM Identity Center permission set ${grantee.permissionSet} in account ${grantee.account}: its role is only modifiable by AWS, so nothing was attached to it; `
      + `add the policy of output ${Names.uniqueId(output)} to the permission set's inline policy (PermissionSetPolicy.document returns it)`);
  }

  /** Adds `statement` (once) and answers with a grant that changed no role. */
  grant(grantee: iam.IGrantable, statement: iam.PolicyStatement): iam.Grant {
    this.document.addStatements(statement);
    return iam.Grant.drop(grantee, `${statement.actions.join(', ')} (in the inline policy of permission set ${this.permissionSet})`);
  }
}

/**
 * The broker's invoke grant (and the locator's read) for an Identity Center role: statements in its permission
 * set's policy, and for another account the function's resource policy naming that account (not the role, whose
 * ARN changes with every assignment; the broker's allowlist decides who is let in).
 */
export function grantInvokeToPermissionSet(scope: Construct, grantee: iam.IGrantable, target: IdentityCenterGrantee, fn: lambda.Function, locator?: ssm.IStringParameter, locatorPathArn?: string): iam.Grant {
  const policy = PermissionSetPolicy.of(scope, target);
  if (locator) policy.grant(grantee, new iam.PolicyStatement({ actions: ['ssm:GetParameters', 'ssm:GetParameter'], resources: [locator.parameterArn] }));
  // firefighter --cluster lists the cluster's locator path (GetParametersByPath is authorized on the path).
  if (locator && locatorPathArn) policy.grant(grantee, new iam.PolicyStatement({ actions: ['ssm:GetParametersByPath'], resources: [locatorPathArn] }));
  const id = `IdentityCenter${target.account}`;
  if (target.account !== Stack.of(scope).account && !fn.node.tryFindChild(id)) {
    fn.addPermission(id, { principal: new iam.AccountPrincipal(target.account), action: 'lambda:InvokeFunction' });
  }
  return policy.grant(grantee, new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
}
