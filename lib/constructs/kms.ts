// A customer KMS key for log groups: CloudWatch Logs encrypts with the key as the regional service principal, so
// the key policy (not an IAM policy) must let it in, or creating the log group fails at deploy time.
import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';

const granted = new WeakMap<kms.IKey, Set<string>>();

/**
 * Adds the CloudWatch Logs statement to the key policy of a key this app defines (once per key and region).
 * An imported key's policy cannot be changed from here: a warning names the statement the key needs.
 */
export function allowLogsToUseKey(scope: IConstruct, key: kms.IKey): void {
  const stack = Stack.of(scope);
  const service = `logs.${stack.region}.${stack.urlSuffix}`;
  const seen = granted.get(key) ?? new Set<string>();
  const marker = JSON.stringify(stack.resolve(service));
  if (seen.has(marker)) return;
  seen.add(marker);
  granted.set(key, seen);
  const statement = new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsOfThisAccount',
    principals: [new iam.ServicePrincipal(service)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    // Only for log groups of this account and region: the log group ARN is the encryption context Logs sends.
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } },
  });
  const { statementAdded } = key.addToResourcePolicy(statement, true);
  if (!statementAdded) {
    Annotations.of(scope).addWarningV2('cdk-aurora-firefighter:kms-logs', `the encryption key ${key.node.path} is imported, so its key policy cannot be changed here; it must allow the service principal logs.<region>.amazonaws.com kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, kms:GenerateDataKey* and kms:Describe* (condition kms:EncryptionContext:aws:logs:arn on this account's log groups), or creating the encrypted log groups fails at deploy time`);
  }
}
