// Reasoned acknowledgements of cdk-nag (AwsSolutions) findings that are deliberate in these constructs, recorded
// with aws-cdk-lib's own Validations API so users running cdk-nag see them with their reasons.
import * as cdk from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgment {
  readonly id: string;
  readonly reason: string;
}

/** No-op on aws-cdk-lib versions older than the Validations API (nothing would read the acknowledgement). */
export function acknowledgeNag(scope: IConstruct, ...rules: NagAcknowledgment[]): void {
  const validations = (cdk as { Validations?: typeof cdk.Validations }).Validations;
  validations?.of(scope).acknowledge(...rules);
}

const MANAGED = 'arn:<AWS::Partition>:iam::aws:policy/service-role';

/** What every Lambda of this package shares: Node.js 22 and the AWS-managed logging (and VPC) policies. */
export function acknowledgeLambdaBasics(fn: lambda.Function, inVpc: boolean): void {
  acknowledgeNag(fn, {
    id: 'AwsSolutions-L1',
    reason: 'Node.js 22 is the runtime the handler bundle is built and tested for (esbuild target node22); moving to a newer runtime is a deliberate release of this package, not a silent change.',
  });
  if (fn.role) {
    acknowledgeNag(fn.role, {
      id: `AwsSolutions-IAM4[Policy::${MANAGED}/AWSLambdaBasicExecutionRole]`,
      reason: 'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch Logs; AWS maintains it for exactly this use.',
    });
    if (inVpc) {
      acknowledgeNag(fn.role, {
        id: `AwsSolutions-IAM4[Policy::${MANAGED}/AWSLambdaVPCAccessExecutionRole]`,
        reason: 'AWSLambdaVPCAccessExecutionRole grants only the network-interface actions a function in a VPC needs; EC2 does not support resource-level scoping for them.',
      });
    }
  }
}
