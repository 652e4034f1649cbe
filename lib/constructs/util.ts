import { CfnResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, type IConstruct } from 'constructs';

/** A synth-time error that names the construct, the value and the fix. */
export function validationError(message: string, scope: IConstruct): Error {
  const error = new Error(`${scope.node.path}: ${message}`);
  error.name = 'ValidationError';
  return error;
}

/** Isolated subnets when the VPC has them (the default VPC here has only those), else private subnets with egress. */
export function defaultPrivateSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnetType: vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };
}

/**
 * Ingress to the cluster port from one Lambda, created in the caller's scope rather than inside the cluster:
 * the rule then lives in the consumer's stack (no cross-stack cycle) and the consumer can depend on exactly it.
 */
export function allowClusterPortFrom(scope: Construct, cluster: rds.IDatabaseCluster, from: ec2.IConnectable, description: string): CfnResource[] {
  const port = cluster.connections.defaultPort;
  if (!port) {
    throw validationError('the cluster has no default port (an imported cluster without "port"); import it with port and securityGroups', scope);
  }
  const rule = port.toRuleJson() as { ipProtocol: string; fromPort?: number; toPort?: number };
  const sources = from.connections.securityGroups;
  const targets = cluster.connections.securityGroups;
  if (targets.length === 0) {
    throw validationError('the cluster has no security groups (an imported cluster without "securityGroups"); import it with its security groups', scope);
  }
  const rules: CfnResource[] = [];
  targets.forEach((target, t) =>
    sources.forEach((source, s) => {
      rules.push(new ec2.CfnSecurityGroupIngress(scope, `ClusterIngress${t}x${s}`, {
        groupId: target.securityGroupId,
        sourceSecurityGroupId: source.securityGroupId,
        ipProtocol: rule.ipProtocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        description: `${description} to the cluster port`,
      }));
    }),
  );
  return rules;
}

/** The DB instances of a cluster created in this app (empty for an imported one: pass them as dependsOn). */
export function clusterInstances(cluster: rds.IDatabaseCluster): IConstruct[] {
  // By resource type rather than instanceof: a consumer's app may load a second copy of aws-cdk-lib.
  return cluster.node.findAll().filter((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::RDS::DBInstance');
}
