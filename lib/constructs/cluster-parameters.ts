// A cluster someone brings (RoleModel or PasswordBroker on a stock rds.DatabaseCluster, or an imported one) is
// checked for the two parameters the security model relies on: rds.force_ssl (the server refuses plaintext) and
// rds.restrict_password_commands (only rds_password members set passwords, so a firefighter's open session cannot
// set its own role's password after a takeover). A synth warning names what is missing and the fix; it does not
// stop the synth, since the parameters may be set where this app cannot see them.
import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';

export const CLUSTER_PARAMETERS_WARNING = 'cdk-aurora-firefighter:cluster-parameters';
const REQUIRED = ['rds.force_ssl', 'rds.restrict_password_commands'] as const;
const FIX = `set ${REQUIRED.map((p) => `'${p}': '1'`).join(', ')} in the cluster's parameter group (rds.ParameterGroup, parameterGroup prop) and reboot the writer, as FirefighterDatabase does for its own`;

/** Checks `cluster` at synth (after every change the app makes) and warns on it once, however many constructs use it. */
export function warnOnClusterParameters(scope: IConstruct, cluster: rds.IDatabaseCluster): void {
  scope.node.addValidation({
    validate: () => {
      const problem = parameterProblem(cluster);
      const already = cluster.node.metadata.some((m) => String(m.data).includes(CLUSTER_PARAMETERS_WARNING));
      if (problem && !already) Annotations.of(cluster).addWarningV2(CLUSTER_PARAMETERS_WARNING, `${problem}; ${FIX}`);
      return [];
    },
  });
}

function isOn(value: unknown): boolean {
  return ['1', 'on', 'true'].includes(String(value).toLowerCase());
}

/** What is wrong with the cluster's parameter group, or undefined when both parameters are on. */
function parameterProblem(cluster: rds.IDatabaseCluster): string | undefined {
  const cfn = cluster.node.defaultChild;
  if (!(cfn && CfnResource.isCfnResource(cfn) && cfn.cfnResourceType === 'AWS::RDS::DBCluster')) {
    return 'the cluster is imported, so its parameter group cannot be read here: make sure it sets rds.force_ssl = 1 and rds.restrict_password_commands = 1, which the role model and the broker rely on (acknowledge this warning once it does)';
  }
  const stack = Stack.of(cfn);
  const groupName = stack.resolve((cfn as rds.CfnDBCluster).dbClusterParameterGroupName) as unknown;
  // aws-rds names the engine's default group when none is given.
  if (groupName === undefined || (typeof groupName === 'string' && groupName.startsWith('default.'))) {
    return `the cluster uses the engine's default parameter group, where ${REQUIRED.join(' and ')} are not both on; the role model and the broker rely on them`;
  }
  const ref = (groupName as { Ref?: unknown }).Ref;
  const group = typeof ref === 'string'
    ? stack.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::RDS::DBClusterParameterGroup' && stack.resolve(stack.getLogicalId(c)) === ref)
    : undefined;
  if (!group) {
    return `the cluster's parameter group ${JSON.stringify(groupName)} is not defined in this app, so it cannot be read here: make sure it sets ${REQUIRED.join(' = 1 and ')} = 1 (acknowledge this warning once it does)`;
  }
  const parameters = (stack.resolve((group as rds.CfnDBClusterParameterGroup).parameters) ?? {}) as Record<string, unknown>;
  const missing = REQUIRED.filter((p) => !isOn(parameters[p]));
  if (missing.length === 0) return undefined;
  return `the cluster's parameter group ${group.node.scope?.node.path ?? group.node.path} does not set ${missing.map((p) => `${p} = 1`).join(' or ')}, which the role model and the broker rely on`;
}
