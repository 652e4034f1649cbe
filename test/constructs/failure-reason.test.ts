// A failed deploy must show why. The role-model handler's error reaches CloudFormation through aws-cdk-lib's
// Provider framework: its runtime (the code `cr.Provider` deploys, loaded here from aws-cdk-lib itself, not a
// copy) turns the handler's error payload into the response's Reason, stack frames included, and PUTs it to the
// response URL. CloudFormation refuses a response over 4,096 bytes and shows "Response object is too long"
// instead. These tests run that runtime with the Lambda invoke and the HTTPS PUT replaced, and measure the body.
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describeFindings, handler, MAX_REASON_BYTES } from '../../lambda/rolemodel-handler.js';
import type { Finding } from '../../lib/postgres/engine.js';
import { REPO } from './support.js';

const RUNTIME = path.join(REPO, 'node_modules', 'aws-cdk-lib', 'custom-resources', 'lib', 'provider-framework', 'runtime');
const require = createRequire(import.meta.url);

type Framework = { onEvent: (event: Record<string, unknown>) => Promise<void> };
type Outbound = { invokeFunction: (req: { FunctionName: string; Payload: string }) => Promise<unknown>; httpRequest: (options: unknown, body: string) => Promise<void> };

const framework = require(path.join(RUNTIME, 'framework.js')) as Framework;
const outbound = require(path.join(RUNTIME, 'outbound.js')) as Outbound;
const original = { ...outbound };
// The longest names CloudFormation allows: a 128-character stack name, a 255-character logical id, a 64-character function name.
const STACK_ID = `arn:aws:cloudformation:ap-southeast-2:123456789012:stack/${'S'.repeat(128)}/c8ce8e20-d4a6-11ee-a8c8-0a4b5b8d1f6d`;
const USER_FUNCTION = `arn:aws:lambda:ap-southeast-2:123456789012:function:${'F'.repeat(64)}`;

/** What the Lambda Node.js runtime returns for an unhandled error: its name, message and stack as lines. */
function lambdaErrorPayload(error: Error): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') });
}

/** Runs the framework's onEvent with `userFunction` as the handler; returns the response body it sends. */
async function frameworkResponse(userFunction: (event: CloudFormationCustomResourceEvent) => Promise<unknown>): Promise<string> {
  let body: string | undefined;
  outbound.invokeFunction = async (req) => {
    try {
      const result = await userFunction(JSON.parse(req.Payload) as CloudFormationCustomResourceEvent);
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result)) };
    } catch (error) {
      return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(lambdaErrorPayload(error as Error)) };
    }
  };
  outbound.httpRequest = async (_options, requestBody) => {
    body = requestBody;
  };
  await framework.onEvent({
    RequestType: 'Create',
    ServiceToken: 'arn:aws:lambda:ap-southeast-2:123456789012:function:framework-onEvent',
    ResponseURL: 'https://cloudformation-custom-resource-response-apsoutheast2.s3.ap-southeast-2.amazonaws.com/signed?X-Amz-Signature=abc',
    StackId: STACK_ID,
    RequestId: '3f1b2c4d-5e6f-4a0b-9c8d-7e6f5a4b3c2d',
    LogicalResourceId: `MyPgRoleModelDatabase${'L'.repeat(255 - 21)}`,
    ResourceType: 'Custom::FirefighterRoleModel',
    ResourceProperties: { ServiceToken: 'x' },
  });
  if (body === undefined) throw new Error('the framework sent no response');
  return body;
}

/** Findings as long as real ones get (a role named in full, unicode in names), each unique. */
function findings(count: number): Finding[] {
  return Array.from({ length: count }, (_, i) => ({
    code: 'table-privilege',
    subject: `rôle_${i}`,
    message: `finding ${i}: "my_pg_firefighter_ro" holds INSERT, UPDATE, DELETE on "my-pg-db-schema"."órders_${i}" and 41 more tables it must not write, granted by "legacy_admin" outside the role model; apply revokes it as its grantor, but the grant was re-made by an event trigger while the apply ran`,
  }));
}

beforeAll(() => {
  process.env.USER_ON_EVENT_FUNCTION_ARN = USER_FUNCTION;
  // The framework and the handler log every step (the full error included); not this test's output.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterAll(() => {
  Object.assign(outbound, original);
  delete process.env.USER_ON_EVENT_FUNCTION_ARN;
  vi.restoreAllMocks();
});

describe('the failure reason, as the Provider framework sends it', () => {
  it('would overflow 4,096 bytes as one line per finding (the message before this fix), so the test can tell', async () => {
    const many = findings(8);
    const multiLine = [`role model for database "my-pg-db" does not match the spec after apply (8 findings):`, ...many.map((f) => `  - [${f.code}] ${f.message.slice(0, 200)}`)].join('\n');
    const body = await frameworkResponse(async () => {
      throw new Error(multiLine);
    });
    expect(Buffer.byteLength(body, 'utf8')).toBeGreaterThan(4096);
  });

  it.each([1, 8, 12, 200])('fits in 4,096 bytes with %i findings, each shown at most once, the rest counted', async (count) => {
    const list = findings(count);
    const message = describeFindings('my-pg-db', list);
    expect(message).not.toContain('\n');
    expect(Buffer.byteLength(JSON.stringify(message), 'utf8') - 2).toBeLessThanOrEqual(MAX_REASON_BYTES);
    const body = await frameworkResponse(async () => {
      throw new Error(message);
    });
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(4096);
    const reason = (JSON.parse(body) as { Status: string; Reason: string }).Reason;
    expect(JSON.parse(body)).toMatchObject({ Status: 'FAILED' });
    expect(reason).toContain(`does not match the spec after apply (${count} finding`);
    expect(reason).toContain('[table-privilege] finding 0: "my_pg_firefighter_ro" holds INSERT');
    const shown = list.filter((f) => reason.includes(`finding ${f.message.split(':')[0]?.split(' ')[1]}:`));
    for (const f of shown) expect(reason.split(f.message.slice(0, 12)).length - 1).toBe(1);
    if (shown.length < count) expect(reason).toContain(`... and ${count - shown.length} more in the handler's log`);
    expect(shown.length).toBeGreaterThanOrEqual(Math.min(count, 4));
  });

  it('cuts any other error of the deployed handler (a spec with many problems) to one line that fits', async () => {
    const badDatabases = Array.from({ length: 60 }, (_, i) => ({ name: `db ${i}\u200b`, schemas: [], roles: {} }));
    const body = await frameworkResponse(async (event) => handler({
      ...event,
      ResourceProperties: {
        ServiceToken: 'x', SpecJson: JSON.stringify({ cluster: 'my-pg', admin: { name: 'a' }, passwordBroker: { name: 'b' }, databases: badDatabases }),
        Database: 'db 0', SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x', Host: 'h', Port: '5432', RemovalPolicy: 'retain', DropDatabaseOnDelete: 'false',
      },
    } as CloudFormationCustomResourceEvent));
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(4096);
    const reason = (JSON.parse(body) as { Reason: string }).Reason;
    expect(reason).toMatch(/^invalid role-model spec: - databases\[0\]\.name:/);
    expect(reason.split('\n')[0]).toMatch(/…$/);
    // The whole error went to the handler's log first.
    expect(vi.mocked(console.error).mock.calls.some(([line]) => String(line).includes('databases[59].roles.owner: is required'))).toBe(true);
  });
});
