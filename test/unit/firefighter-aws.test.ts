// The firefighter CLI's default Lambda path with the AWS SDK mocked at the client: no NodeVersionSupportWarning
// on Node 20, and the SDK's bare errors ("Region is missing") rewritten to say what to do, in the one error shape.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';

const KEYS = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));

function useEnv(env: Record<string, string>) {
  for (const k of KEYS) delete process.env[k];
  Object.assign(process.env, { AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_EC2_METADATA_DISABLED: 'true' }, env);
}

async function run(args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runFirefighter([...args, '--function', 'broker-fn'], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {} });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('firefighter CLI against AWS (client mocked)', () => {
  afterEach(() => {
    for (const k of KEYS) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    vi.restoreAllMocks();
  });

  it('prints no AWS SDK NodeVersionSupportWarning on Node 20', async () => {
    useEnv({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'secret-example-secret-example' });
    const warnings: string[] = [];
    vi.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => void warnings.push(String(w)));
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify({ ok: true, action: 'sweep', sessionsEnded: 0, ended: [] })) as never });
    const out = await run(['sweep']);
    lambda.restore();
    expect([out.code, out.stdout]).toEqual([0, '0 session(s) of expired roles ended']);
    expect(warnings.filter((w) => /NodeVersionSupportWarning/.test(w))).toEqual([]);
  });

  it('names the instances that went away and a failed instance lookup after the sweep\'s answer', async () => {
    useEnv({ AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'secret-example-secret-example' });
    const lambda = mockClient(LambdaClient);
    const answer = { ok: true, action: 'sweep', sessionsEnded: 1, ended: [], instancesGone: ['my-pg-2.abc.eu-west-1.rds.amazonaws.com'], instanceLookup: 'instance discovery failed (Throttling: rate exceeded); used the list from 70 s ago' };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(answer)) as never });
    const out = await run(['sweep']);
    lambda.restore();
    expect([out.code, out.stdout.split('\n')]).toEqual([0, [
      '1 session(s) of expired roles ended',
      'instances no longer in the cluster (skipped): my-pg-2.abc.eu-west-1.rds.amazonaws.com',
      'warning: instance discovery failed (Throttling: rate exceeded); used the list from 70 s ago',
    ]]);
  });

  it('says to pass --region or set AWS_REGION when no region is configured, in the --json error shape', async () => {
    useEnv({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'secret-example-secret-example' });
    const out = await run(['status', '--json']);
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toEqual({ ok: false, code: 'AWS', message: 'no AWS region is configured; pass --region eu-west-1 or set AWS_REGION', refusal: false, exitCode: 1, details: { awsError: expect.any(String) } });
  });

  it('says to log in when there are no credentials', async () => {
    useEnv({ AWS_REGION: 'eu-west-1', AWS_PROFILE: 'oncall' });
    const out = await run(['status']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^firefighter: failed \(AWS\): (no AWS credentials were found; run aws sso login --profile oncall|.*aws sso login --profile oncall)/);
  });
});
