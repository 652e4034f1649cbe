// The AWS SDK's NodeVersionSupportWarning (9 lines on stderr on Node 20, a supported version) before the real
// answer: not on the --cluster path either, where the SSM client is made before the Lambda's. Its own file: the
// SDK emits the warning once per process, so an earlier test in the same file would hide it.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect, it, vi } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';

it('firefighter status --cluster prints no NodeVersionSupportWarning (old: the SSM client warned first)', async () => {
  delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  Object.assign(process.env, { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'secret-example-secret-example', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_EC2_METADATA_DISABLED: 'true' });
  const warnings: string[] = [];
  vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => void warnings.push(String(w)));
  const ssm = mockClient(SSMClient);
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: '/cdk-aurora-firefighter/my-pg/Prod/broker', Value: JSON.stringify({ version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:broker-fn', brokerId: 'b-1' }) }] });
  const lambda = mockClient(LambdaClient);
  lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify({ ok: true, action: 'sweep', sessionsEnded: 0, ended: [] })) as never });
  const stdout: string[] = [];
  const code = await runFirefighter(['sweep', '--cluster', 'my-pg'], { stdout: (t) => stdout.push(t), stderr: () => undefined, env: {} });
  ssm.restore();
  lambda.restore();
  expect([code, stdout]).toEqual([0, ['0 session(s) of expired roles ended']]);
  // The SDK asks only on Node < 22; there the old code warned.
  expect(warnings.filter((w) => /NodeVersionSupportWarning/.test(w))).toEqual([]);
});
