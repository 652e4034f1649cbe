// Issue 11, item 8: the role-model custom resource keeps working after Secrets Manager rotated the master secret.
// Single-user rotation logs in as the master and runs ALTER ROLE <master> PASSWORD '<new>', then makes the new
// value AWSCURRENT. The handler must read AWSCURRENT by ARN on every invocation (no cached password, no pinned
// version, nothing from the template), and a stale value must fail at once with a message naming the secret.
// Real PostgreSQL with the Aurora profile on every tested major (16 checks the master through the RADIUS checker,
// which must see the new verifier); only the Secrets Manager client is mocked.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoleModelHandler, type Logger } from '../../lambda/rolemodel-handler.js';
import { roleModelProperties } from '../../lib/spec/custom-resource-contract.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { MASTER_PASSWORD, MASTER_USER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { makeTls } from '../support/tls.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const reference = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as RoleModelSpec;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:my-pg-master-AbCdEf';
// What the hosted rotation Lambda generates: 32 characters without the cluster secret's excluded punctuation.
const ROTATED_PASSWORD = 'Rotated0Master0Password0By0SM0xY';

describe.each(testedMajors())('master secret rotation on PostgreSQL %i', (major) => {
  const tls = makeTls();
  const secrets = mockClient(SecretsManagerClient);
  const lines: string[] = [];
  const logger: Logger = {
    info: (message, fields) => lines.push(JSON.stringify({ message, ...fields })),
    error: (message, fields) => lines.push(JSON.stringify({ message, ...fields })),
  };
  let server: EmbeddedServer;
  let handler: ReturnType<typeof createRoleModelHandler>;
  let props: Record<string, unknown>;

  const event = (type: 'Create' | 'Update'): CloudFormationCustomResourceEvent => ({
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/x',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/example/1',
    RequestId: `request-${type}`,
    LogicalResourceId: 'RoleModelDatabasemypgdb',
    ResourceType: 'Custom::FirefighterRoleModel',
    RequestType: type,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider', ...props },
    ...(type === 'Update' ? { OldResourceProperties: props, PhysicalResourceId: 'rolemodel/my-pg/my-pg-db' } : {}),
  } as CloudFormationCustomResourceEvent);

  /** What GetSecretValue answers for AWSCURRENT: the generated secret's shape. */
  const current = (password: string) => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ username: MASTER_USER, password, engine: 'postgres', host: server.host, port: server.port }),
    });
  };

  /** The rotation Lambda's setSecret step: the master changes its own password. */
  async function alterMasterPassword(loginPassword: string, newPassword: string): Promise<void> {
    const client = new pg.Client({ connectionString: server.url(MASTER_USER, loginPassword), ssl: { ca: tls.ca } });
    await client.connect();
    try {
      await client.query(`ALTER ROLE ${MASTER_USER} PASSWORD '${newPassword}'`);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    server = await startEmbeddedServer({ major, tls });
    props = { ...roleModelProperties({ spec: reference, database: 'my-pg-db', secretArn: SECRET_ARN, host: server.host, port: String(server.port), removalPolicy: 'retain', dropDatabaseOnDelete: false }) };
    // One handler for the whole file: a warm Lambda container that served deploys before and after the rotation.
    handler = createRoleModelHandler({ secrets: new SecretsManagerClient({ region: 'eu-west-1' }), ca: tls.ca, connectTimeoutMs: 3_000, connectDeadlineMs: 3_000, logger });
  });
  afterAll(async () => {
    // Leave the server as the harness expects it, whatever a failed test left behind.
    await alterMasterPassword(ROTATED_PASSWORD, MASTER_PASSWORD).catch(() => undefined);
    await server?.stop();
    const text = lines.join('\n');
    expect(text).not.toContain(MASTER_PASSWORD);
    expect(text).not.toContain(ROTATED_PASSWORD);
  });

  it('a deploy after the rotation reads the new AWSCURRENT value and applies, in the same warm handler', async () => {
    current(MASTER_PASSWORD);
    const created = await handler(event('Create'));
    expect(created.PhysicalResourceId).toBe('rolemodel/my-pg/my-pg-db');

    await alterMasterPassword(MASTER_PASSWORD, ROTATED_PASSWORD);
    current(ROTATED_PASSWORD);
    const updated = await handler(event('Update'));
    expect(updated).toEqual({ PhysicalResourceId: 'rolemodel/my-pg/my-pg-db', Data: { Database: 'my-pg-db', StepsRun: '0' } });
    // By ARN only: no VersionId or VersionStage pinned, so Secrets Manager answers with AWSCURRENT.
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
  });

  it('with the stale value it fails at once, naming the master secret, and never shows a password', async () => {
    current(MASTER_PASSWORD);
    const failure = await handler(event('Update')).then(() => undefined, (error: Error) => error);
    expect(failure?.message).toMatch(new RegExp(`^cannot connect to ${server.host}:${server.port} as ${MASTER_USER}: .*authentication failed for user "${MASTER_USER}"; check the security group, the master secret and the TLS trust \\(NODE_EXTRA_CA_CERTS\\)$`));
    expect(failure?.message).not.toContain(MASTER_PASSWORD);
    expect(failure?.message).not.toContain(ROTATED_PASSWORD);
  });
});
