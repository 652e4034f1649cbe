// Demo steps 1 and 2: the role model applied by the custom-resource handler, then migrations and the app.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import type pg from 'pg';
import { createRoleModelHandler } from '../../lambda/rolemodel-handler.js';
import { roleModelProperties } from '../../lib/spec/custom-resource-contract.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { verifyRoleModel } from '../../lib/postgres/engine.js';
import { MASTER_PASSWORD, MASTER_USER, type EmbeddedServer } from '../../test/support/embedded-server.js';
import type { TestTls } from '../../test/support/tls.js';
import { refused, type Report } from './report.js';

export interface DemoContext {
  readonly spec: RoleModelSpec;
  readonly server: EmbeddedServer;
  readonly tls: TestTls;
  readonly report: Report;
  readonly database: string;
  readonly schema: string;
  connect(user: string, password: string, database?: string): Promise<pg.Client>;
}

const SECRET_ARN = 'arn:aws:secretsmanager:local:000000000000:secret:demo-master';

/** A real SDK client whose transport is replaced: it answers GetSecretValue with the local master secret. */
function localSecrets(): SecretsManagerClient {
  const client = new SecretsManagerClient({ region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  client.middlewareStack.add(
    () => async () => ({ output: { $metadata: {}, SecretString: JSON.stringify({ username: MASTER_USER, password: MASTER_PASSWORD }) }, response: {} }),
    { step: 'initialize', name: 'localSecret' },
  );
  return client;
}

/**
 * Demo logins: a role in rds_iam gets an IAM token from the local server's emulated IAM service (Aurora refuses
 * its password); any other gets a password from the master, as a DBA would hand one to a job or an app.
 */
async function loginAs(ctx: DemoContext, role: string): Promise<pg.Client> {
  const master = await ctx.connect(MASTER_USER, MASTER_PASSWORD, 'postgres');
  try {
    // The local server's rule (test/support/aurora-profile.ts): membership on 15, its privileges on 16+.
    const iam = (await master.query<{ iam: boolean }>(`SELECT pg_catalog.pg_has_role($1, 'rds_iam', '${ctx.server.major >= 16 ? 'USAGE' : 'MEMBER'}') AS iam`, [role])).rows[0]?.iam;
    if (iam) return await ctx.connect(role, await ctx.server.issueIamToken(role));
    const password = `demo-${role}-password`;
    await master.query(`ALTER ROLE ${role} PASSWORD '${password}'`);
    return await ctx.connect(role, password);
  } finally {
    await master.end();
  }
}

export function masterConnection(ctx: DemoContext) {
  return { host: ctx.server.host, port: ctx.server.port, user: MASTER_USER, password: MASTER_PASSWORD, database: 'postgres', ssl: { ca: ctx.tls.ca } };
}

export async function runRoleModelStep(ctx: DemoContext): Promise<void> {
  const { report, spec, server } = ctx;
  const S = `"${ctx.schema}"`;
  report.section('1. the role model, applied by the custom-resource handler (CloudFormation Create)');
  const handler = createRoleModelHandler({ secrets: localSecrets(), ca: ctx.tls.ca, connectTimeoutMs: 5_000, connectDeadlineMs: 10_000, logger: { info: () => undefined, error: () => undefined } });
  const event = {
    RequestType: 'Create', RequestId: 'demo', ResponseURL: 'http://localhost/unused', StackId: 'demo', LogicalResourceId: 'RoleModelMyPgDb',
    ResourceType: 'Custom::FirefighterRoleModel', ServiceToken: 'local',
    ResourceProperties: { ServiceToken: 'local', ...roleModelProperties({ spec, database: ctx.database, secretArn: SECRET_ARN, host: server.host, port: String(server.port), removalPolicy: 'retain', dropDatabaseOnDelete: false }) },
  } as unknown as CloudFormationCustomResourceCreateEvent;
  await report.step('create', async () => {
    const response = await handler(event);
    return `${response.PhysicalResourceId}: ${response.Data?.StepsRun ?? '?'} statements applied, then verified`;
  });
  await report.step('verify', async () => {
    const result = await verifyRoleModel(spec, masterConnection(ctx));
    if (result.findings.length > 0) throw new Error(result.findings.map((f) => f.message).join('; '));
    report.detail(result.matrix);
    return 'no drift; the access matrix the verifier saw is above';
  });
  await report.step('idempotent', async () => {
    const again = await handler({ ...event, RequestType: 'Update', PhysicalResourceId: `rolemodel/${spec.cluster}/${ctx.database}`, OldResourceProperties: event.ResourceProperties } as never);
    if (again.Data?.StepsRun !== '0') throw new Error(`a second apply ran ${again.Data?.StepsRun} statements`);
    return 'an Update with the same spec ran 0 statements';
  });

  report.section('2. migrations and the application');
  const migrator = await loginAs(ctx, 'my_pg_migrator');
  await report.step('migration', async () => {
    await migrator.query(`SET ROLE my_pg_owner;
      CREATE TABLE ${S}.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_no text NOT NULL UNIQUE,
        status text NOT NULL DEFAULT 'created', amount numeric(12, 2) NOT NULL CHECK (amount >= 0),
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      RESET ROLE;`);
    const { rows } = await migrator.query<{ owner: string }>(`SELECT tableowner AS owner FROM pg_tables WHERE schemaname = $1 AND tablename = 'orders'`, [ctx.schema]);
    return `my_pg_migrator created ${S}.orders through SET ROLE my_pg_owner; owner: ${rows[0]?.owner ?? '(not visible)'}`;
  });
  await report.step('forgot SET ROLE', async () => `migrator refused: ${await refused(() => migrator.query(`CREATE TABLE ${S}.oops (id int)`), /permission denied/)}`);
  await migrator.end();
  const app = await loginAs(ctx, 'my_pg_app');
  await report.step('app writes', async () => {
    await app.query(`INSERT INTO orders (order_no, amount) VALUES ('ORD-1001', 42.00), ('ORD-1002', 7.50)`);
    const { rowCount } = await app.query(`UPDATE orders SET status = 'paid', updated_at = now() WHERE order_no = 'ORD-1001'`);
    return `my_pg_app inserted 2 orders and updated ${rowCount} (search_path finds "${ctx.schema}")`;
  });
  await report.step('app delete', async () => `my_pg_app refused: ${await refused(() => app.query(`DELETE FROM orders WHERE order_no = 'ORD-1002'`), /permission denied/)}`);
  await app.end();
  await report.step('defaults', async () => {
    const result = await verifyRoleModel(spec, masterConnection(ctx));
    if (result.findings.length > 0) throw new Error(result.findings.map((f) => f.message).join('; '));
    report.detail(result.matrix.split('\n').slice(3).join('\n'));
    return 'the new table and its sequence got the default privileges above; still no drift';
  });
}
