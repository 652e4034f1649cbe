// What the password broker deploys beside its function: the per-role password secrets (`delivery: 'secret'`),
// the locator parameter `firefighter --cluster` reads, and the stack outputs. Built in the broker's scope, so
// their construct paths (and logical ids) are the broker's.
import { CfnOutput, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { RoleModelSpec } from '../../spec/spec.js';
import { BROKER_PARAMETER_PREFIX, brokerParameterName, type BrokerLocator } from '../../broker/protocol/broker-locator.js';
import { acknowledgeNag } from '../nag.js';

/** One secret per firefighter role of every database, which the broker overwrites on each request. */
export function passwordSecretsOf(scope: Construct, spec: RoleModelSpec, encryptionKey: kms.IKey | undefined): Map<string, secretsmanager.Secret> {
  const secrets = new Map<string, secretsmanager.Secret>();
  for (const db of spec.databases) {
    for (const role of [db.roles.firefighterRo.name, db.roles.firefighterRw.name]) {
      secrets.set(role, new secretsmanager.Secret(scope, `Password-${role}`, {
        description: `Temporary firefighter password of ${role} on ${spec.cluster}, written by the password broker`,
        removalPolicy: RemovalPolicy.DESTROY,
        ...(encryptionKey ? { encryptionKey } : {}),
      }));
      acknowledgeNag(secrets.get(role) as secretsmanager.Secret, {
        id: 'AwsSolutions-SMG4',
        reason: 'The broker overwrites this secret on every request, and the password in it expires on the server within 2 hours; rotation would add nothing.',
      });
    }
  }
  return secrets;
}

/** The SSM parameter that tells the CLI the function and broker id (and the access host for `--tunnel`). */
export function locatorParameterOf(scope: Construct, cluster: string, fn: lambda.IFunction, brokerId: string, name: string | undefined,
  tunnel: Pick<BrokerLocator, 'accessHost' | 'writerHost' | 'port'>): ssm.StringParameter {
  const locator: BrokerLocator = {
    version: 1, cluster, functionArn: fn.functionArn, brokerId,
    // What `--tunnel` forwards to, so even the "install the plugin" message can show the exact command.
    ...tunnel,
  };
  return new ssm.StringParameter(scope, 'Locator', {
    parameterName: name ?? defaultLocatorName(cluster, Stack.of(scope).stackName),
    description: `Where the firefighter CLI finds the password broker of cluster ${cluster} (firefighter request ro --cluster ${cluster})`,
    stringValue: Stack.of(scope).toJsonString(locator),
  });
}

export function brokerOutputs(scope: Construct, cluster: string, fn: lambda.IFunction, brokerId: string, locatorParameter: ssm.StringParameter | undefined): void {
  new CfnOutput(scope, 'FunctionName', { value: fn.functionName, description: `Password broker function of cluster ${cluster} (firefighter --function)` });
  new CfnOutput(scope, 'BrokerId', { value: brokerId, description: `Broker id the identity proof is bound to (firefighter --broker-id)` });
  if (locatorParameter) {
    new CfnOutput(scope, 'LocatorParameter', { value: locatorParameter.parameterName, description: `SSM parameter firefighter --cluster ${cluster} reads` });
  }
}

/**
 * `/cdk-aurora-firefighter/<cluster>/<stack name>/broker`: unique per stack in an account and region, so two stages
 * of one app deploy side by side, and deleted with the stack (a redeploy meets nothing left behind).
 */
function defaultLocatorName(cluster: string, stackName: string): string {
  // A nested stack's name is known only at deploy time: the same shape, unchecked.
  return Token.isUnresolved(stackName) ? `${BROKER_PARAMETER_PREFIX}/${cluster.toLowerCase()}/${stackName}/broker` : brokerParameterName(cluster, stackName);
}
