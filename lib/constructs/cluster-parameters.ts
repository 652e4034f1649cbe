// A cluster someone brings (RoleModel or PasswordBroker on a stock rds.DatabaseCluster, or an imported one) is
// checked for the two parameters the security model relies on: rds.force_ssl (the server refuses plaintext) and
// rds.restrict_password_commands (only rds_password members set passwords, so a firefighter's open session cannot
// set its own role's password after a takeover). A synth warning names what is missing and the fix; it does not
// stop the synth, since the parameters may be set where this app cannot see them. A second warning says when
// pgaudit is not loaded: then no statement a firefighter runs is recorded (docs/security.md).
import { Annotations, CfnResource, Stack } from 'aws-cdk-lib';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';

export const CLUSTER_PARAMETERS_WARNING = 'cdk-aurora-firefighter:cluster-parameters';
export const STATEMENT_AUDIT_WARNING = 'cdk-aurora-firefighter:statement-audit';
const REQUIRED = ['rds.force_ssl', 'rds.restrict_password_commands'] as const;
const FIX = `set ${REQUIRED.map((p) => `'${p}': '1'`).join(', ')} in the cluster's parameter group (rds.ParameterGroup, parameterGroup prop) and reboot the writer, as FirefighterDatabase does for its own`;

/**
 * What FirefighterDatabase's own group sets for the statement audit: pgaudit loaded next to pg_stat_statements
 * (Aurora's default, which a group of one's own would otherwise drop), nothing logged cluster-wide (the role model
 * sets pgaudit.log on the firefighter roles only), and bound parameters never logged (they may hold secrets).
 */
export const STATEMENT_AUDIT_PARAMETERS = {
  shared_preload_libraries: 'pg_stat_statements,pgaudit',
  'pgaudit.log': 'none',
  'pgaudit.log_parameter': '0',
} as const;
const AUDIT_FIX = `set 'shared_preload_libraries' to include pgaudit (keep what it lists, e.g. 'pg_stat_statements,pgaudit') and 'pgaudit.log_parameter': '0' in the cluster's parameter group and reboot the writer, as FirefighterDatabase does for its own; the role model then creates the extension and sets pgaudit.log on the firefighter roles`;

/** Checks `cluster` at synth (after every change the app makes) and warns on it once, however many constructs use it. */
export function warnOnClusterParameters(scope: IConstruct, cluster: rds.IDatabaseCluster): void {
  scope.node.addValidation({
    validate: () => {
      const group = readGroup(cluster);
      warnOnce(cluster, CLUSTER_PARAMETERS_WARNING, parameterProblem(group), FIX);
      warnOnce(cluster, STATEMENT_AUDIT_WARNING, auditProblem(group), AUDIT_FIX);
      return [];
    },
  });
}

function warnOnce(cluster: rds.IDatabaseCluster, id: string, problem: string | undefined, fix: string): void {
  const already = cluster.node.metadata.some((m) => String(m.data).includes(id));
  if (problem && !already) Annotations.of(cluster).addWarningV2(id, `${problem}; ${fix}`);
}

function isOn(value: unknown): boolean {
  return ['1', 'on', 'true'].includes(String(value).toLowerCase());
}

type Group =
  | { readonly kind: 'imported' }
  | { readonly kind: 'default' }
  | { readonly kind: 'elsewhere'; readonly name: unknown }
  | { readonly kind: 'here'; readonly path: string; readonly parameters: Record<string, unknown> };

/** The cluster's parameter group, as far as this app can read it. */
function readGroup(cluster: rds.IDatabaseCluster): Group {
  const cfn = cluster.node.defaultChild;
  if (!(cfn && CfnResource.isCfnResource(cfn) && cfn.cfnResourceType === 'AWS::RDS::DBCluster')) return { kind: 'imported' };
  const stack = Stack.of(cfn);
  const groupName = stack.resolve((cfn as rds.CfnDBCluster).dbClusterParameterGroupName) as unknown;
  // aws-rds names the engine's default group when none is given.
  if (groupName === undefined || (typeof groupName === 'string' && groupName.startsWith('default.'))) return { kind: 'default' };
  const ref = (groupName as { Ref?: unknown }).Ref;
  const group = typeof ref === 'string'
    ? stack.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::RDS::DBClusterParameterGroup' && stack.resolve(stack.getLogicalId(c)) === ref)
    : undefined;
  if (!group) return { kind: 'elsewhere', name: groupName };
  const parameters = (stack.resolve((group as rds.CfnDBClusterParameterGroup).parameters) ?? {}) as Record<string, unknown>;
  return { kind: 'here', path: group.node.scope?.node.path ?? group.node.path, parameters };
}

/** What is wrong with the cluster's parameter group, or undefined when both parameters are on. */
function parameterProblem(group: Group): string | undefined {
  switch (group.kind) {
    case 'imported':
      return 'the cluster is imported, so its parameter group cannot be read here: make sure it sets rds.force_ssl = 1 and rds.restrict_password_commands = 1, which the role model and the broker rely on (acknowledge this warning once it does)';
    case 'default':
      return `the cluster uses the engine's default parameter group, where ${REQUIRED.join(' and ')} are not both on; the role model and the broker rely on them`;
    case 'elsewhere':
      return `the cluster's parameter group ${JSON.stringify(group.name)} is not defined in this app, so it cannot be read here: make sure it sets ${REQUIRED.join(' = 1 and ')} = 1 (acknowledge this warning once it does)`;
    case 'here': {
      const missing = REQUIRED.filter((p) => !isOn(group.parameters[p]));
      if (missing.length === 0) return undefined;
      return `the cluster's parameter group ${group.path} does not set ${missing.map((p) => `${p} = 1`).join(' or ')}, which the role model and the broker rely on`;
    }
  }
}

/** Why the statements a firefighter runs would not be recorded, or undefined when the group loads pgaudit. */
function auditProblem(group: Group): string | undefined {
  const unrecorded = 'no statement a firefighter runs is recorded';
  switch (group.kind) {
    case 'imported':
    case 'elsewhere':
      return `the cluster's parameter group cannot be read here, so whether it loads pgaudit is unknown: without it ${unrecorded} (acknowledge this warning once it does)`;
    case 'default':
      return `the cluster uses the engine's default parameter group, which does not load pgaudit: ${unrecorded}`;
    case 'here': {
      const libraries = String(group.parameters.shared_preload_libraries ?? '').split(',').map((l) => l.trim().toLowerCase());
      if (libraries.includes('pgaudit')) return undefined;
      return `the cluster's parameter group ${group.path} does not load pgaudit (shared_preload_libraries): ${unrecorded}`;
    }
  }
}
