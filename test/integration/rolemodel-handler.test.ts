// The role-model custom-resource handler end to end on a real PostgreSQL that behaves like Aurora, over TLS
// verified against a test CA. Only the Secrets Manager client is mocked.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRoleModelHandler, type Logger } from '../../lambda/rolemodel-handler.js';
import { roleModelProperties, type RoleModelRemovalPolicy } from '../../lib/spec/custom-resource-contract.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { verifyRoleModel } from '../../lib/postgres/engine.js';
import { makeTls } from '../support/tls.js';
import { MASTER_PASSWORD, MASTER_USER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const reference = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as RoleModelSpec;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:my-pg-master-AbCdEf';
const DB = 'my-pg-db';
// 17 and 15 bracket the CREATEROLE change of 16; more majors add time, not coverage of this handler.
const MAJORS = testedMajors().filter((m) => m === 17 || m === 15);


type Props = Record<string, string>;

function properties(spec: RoleModelSpec, server: EmbeddedServer, removalPolicy: RoleModelRemovalPolicy = 'retain', drop = false): Props {
  return {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ...roleModelProperties({ spec, database: DB, secretArn: SECRET_ARN, host: server.host, port: String(server.port), removalPolicy, dropDatabaseOnDelete: drop }),
  };
}

const common = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/x',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/example/1',
  RequestId: 'request-1',
  LogicalResourceId: 'RoleModelDatabasemypgdb',
  ResourceType: 'Custom::FirefighterRoleModel',
};

function create(props: Props): CloudFormationCustomResourceEvent {
  return { ...common, RequestType: 'Create', ResourceProperties: props } as CloudFormationCustomResourceEvent;
}
function update(props: Props, old: Props, physicalId = 'rolemodel/my-pg/my-pg-db'): CloudFormationCustomResourceEvent {
  return { ...common, RequestType: 'Update', ResourceProperties: props, OldResourceProperties: old, PhysicalResourceId: physicalId } as CloudFormationCustomResourceEvent;
}
function remove(props: Props, physicalId = 'rolemodel/my-pg/my-pg-db'): CloudFormationCustomResourceEvent {
  return { ...common, RequestType: 'Delete', ResourceProperties: props, PhysicalResourceId: physicalId } as CloudFormationCustomResourceEvent;
}

const DB_ROLES = ['my_pg_owner', 'my_pg_migrator', 'my_pg_app', 'my_pg_firefighter_ro', 'my_pg_firefighter_rw'];
const CLUSTER_ROLES = ['my_pg_admin', 'my_pg_password_broker'];

/** Everything the role model governs, as text: equal snapshots mean nothing changed. */
async function catalogSnapshot(server: EmbeddedServer): Promise<string> {
  const client = new pg.Client({ connectionString: server.superuserUrl() });
  await client.connect();
  try {
    const queries: [string, unknown[]?][] = [
      [`SELECT rolname, rolcanlogin, rolinherit, rolcreaterole, rolcreatedb, rolconnlimit, rolvaliduntil FROM pg_roles WHERE rolname LIKE 'my\\_pg\\_%' ORDER BY 1`],
      [`SELECT r.rolname AS role, m.rolname AS member, a.admin_option FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member WHERE m.rolname LIKE 'my\\_pg\\_%' ORDER BY 1, 2`],
      [`SELECT d.datname, r.rolname, s.setconfig FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN pg_roles r ON r.oid = s.setrole ORDER BY 1, 2`],
      [`SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text, datconnlimit FROM pg_database WHERE datname = $1`, [DB]],
    ];
    const parts: unknown[] = [];
    for (const [sql, params] of queries) parts.push((await client.query(sql, params)).rows);
    return JSON.stringify(parts);
  } finally {
    await client.end();
  }
}

async function rolesPresent(server: EmbeddedServer): Promise<string[]> {
  const client = new pg.Client({ connectionString: server.superuserUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY 1', [[...DB_ROLES, ...CLUSTER_ROLES]]);
    return rows.map((r) => r.rolname);
  } finally {
    await client.end();
  }
}

async function asMaster(server: EmbeddedServer, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.masterUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function asSuperuser(server: EmbeddedServer, sql: string, database?: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.superuserUrl(database) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.each(MAJORS)('role-model handler on PostgreSQL %i', (major) => {
  const tls = makeTls();
  const secrets = mockClient(SecretsManagerClient);
  const logs: string[] = [];
  const logger: Logger = {
    info: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
    error: (message, fields) => logs.push(JSON.stringify({ message, ...fields })),
  };
  let server: EmbeddedServer;
  let handler: ReturnType<typeof createRoleModelHandler>;
  const outputs: string[] = [];
  const run = async (event: CloudFormationCustomResourceEvent) => {
    try {
      const result = await handler(event);
      outputs.push(JSON.stringify(result));
      return result;
    } catch (error) {
      outputs.push(String((error as Error).stack));
      throw error;
    }
  };
  const connection = () => ({ host: server.host, port: server.port, user: MASTER_USER, password: MASTER_PASSWORD, database: 'postgres', ssl: { ca: tls.ca } });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major, tls });
    handler = createRoleModelHandler({ secrets: new SecretsManagerClient({ region: 'eu-west-1' }), ca: tls.ca, connectTimeoutMs: 3_000, connectDeadlineMs: 3_000, logger });
  });
  afterAll(async () => {
    await server?.stop();
    // No log line, response or error of this whole run may carry the master password.
    expect([...logs, ...outputs].join('\n')).not.toContain(MASTER_PASSWORD);
    expect(logs.length).toBeGreaterThan(0);
  });
  beforeEach(() => {
    secrets.reset();
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ username: MASTER_USER, password: MASTER_PASSWORD, engine: 'postgres', host: server.host, port: server.port }),
    });
  });

  it('Create applies and verifies the role model, reading the master password from the secret', async () => {
    const result = await run(create(properties(reference, server)));
    expect(result.PhysicalResourceId).toBe('rolemodel/my-pg/my-pg-db');
    expect(Number(result.Data?.StepsRun)).toBeGreaterThan(0);
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_ARN }]);
    expect((await verifyRoleModel(reference, connection(), { databases: [DB] })).findings).toEqual([]);
    expect(await rolesPresent(server)).toEqual([...DB_ROLES, ...CLUSTER_ROLES].sort());
  });

  it('Update with no change is a no-op', async () => {
    const before = await catalogSnapshot(server);
    const result = await run(update(properties(reference, server), properties(reference, server)));
    expect(result).toEqual({ PhysicalResourceId: 'rolemodel/my-pg/my-pg-db', Data: { Database: DB, StepsRun: '0' } });
    expect(await catalogSnapshot(server)).toBe(before);
  });

  it('Update with a changed spec converges the server and keeps the physical id', async () => {
    const [db] = reference.databases;
    if (!db) throw new Error('examples/reference.json has no database');
    const changed: RoleModelSpec = { ...reference, databases: [{ ...db, roles: { ...db.roles, app: { ...db.roles.app, connectionLimit: 42 } } }] };
    const result = await run(update(properties(changed, server), properties(reference, server)));
    expect(result.PhysicalResourceId).toBe('rolemodel/my-pg/my-pg-db');
    expect(Number(result.Data?.StepsRun)).toBeGreaterThan(0);
    expect(await catalogSnapshot(server)).toContain('"rolname":"my_pg_app","rolcanlogin":true,"rolinherit":true,"rolcreaterole":false,"rolcreatedb":false,"rolconnlimit":42');
    await run(update(properties(reference, server), properties(changed, server)));
  });

  it.skipIf(major < 16)('Create fails with the verifier\'s findings when apply cannot fix the server', async () => {
    // A role the master administers, granted by the bootstrap superuser: on 16+ the master's REVOKE only
    // removes its own grants, so this membership survives the apply and the verifier must report it.
    await asMaster(server, 'CREATE ROLE sneaky NOLOGIN');
    await asSuperuser(server, 'GRANT sneaky TO my_pg_firefighter_ro');
    try {
      const failure = await run(create(properties(reference, server))).then(() => undefined, (error: Error) => error);
      expect(failure?.message).toMatch(/^role model for database "my-pg-db" does not match the spec after apply \(\d+ findings?\): \[membership-extra\] my_pg_firefighter_ro is a member of sneaky/);
      expect(failure?.message).not.toContain('\n');
      expect(logs.some((l) => l.includes('"code":"membership-extra"'))).toBe(true);
    } finally {
      await asSuperuser(server, 'DROP ROLE sneaky');
    }
  });

  it('Delete under RETAIN changes nothing', async () => {
    const before = await catalogSnapshot(server);
    const result = await run(remove(properties(reference, server, 'retain')));
    expect(result).toEqual({ PhysicalResourceId: 'rolemodel/my-pg/my-pg-db' });
    expect(await catalogSnapshot(server)).toBe(before);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('Delete under DESTROY ends sessions and retires the database roles, keeping the database and its data', async () => {
    await run(create(properties(reference, server)));
    // Data created through the migration path, owned by the owner role.
    await asSuperuser(server, `SET ROLE my_pg_owner; CREATE TABLE "my-pg-db-schema".orders (id int); INSERT INTO "my-pg-db-schema".orders VALUES (1), (2);`, DB);
    // A firefighter session that must not survive its role.
    await asSuperuser(server, `ALTER ROLE my_pg_firefighter_rw PASSWORD 'session-test-only' VALID UNTIL 'infinity'`);
    const session = new pg.Client({ connectionString: server.url('my_pg_firefighter_rw', 'session-test-only', DB), ssl: { ca: tls.ca } });
    session.on('error', () => undefined);
    await session.connect();
    const ended = new Promise<void>((resolve) => session.once('end', () => resolve()));

    const result = await run(remove(properties(reference, server, 'destroy')));
    expect(result).toEqual({ PhysicalResourceId: 'rolemodel/my-pg/my-pg-db' });
    await ended;
    expect(await rolesPresent(server)).toEqual(CLUSTER_ROLES);
    const check = new pg.Client({ connectionString: server.superuserUrl(DB) });
    await check.connect();
    try {
      const { rows } = await check.query(`SELECT count(*)::int AS n, pg_get_userbyid((SELECT relowner FROM pg_class WHERE relname = 'orders')) AS owner FROM "my-pg-db-schema".orders`);
      expect(rows).toEqual([{ n: 2, owner: MASTER_USER }]);
    } finally {
      await check.end();
    }
  });

  it('Delete under DESTROY is safe to retry once the roles are gone', async () => {
    await run(remove(properties(reference, server, 'destroy')));
    expect(await rolesPresent(server)).toEqual(CLUSTER_ROLES);
  });

  it('Delete under DESTROY drops the database only when explicitly asked', async () => {
    // Start from no database (the previous test kept it on purpose).
    await asSuperuser(server, `DROP DATABASE IF EXISTS "${DB}"`);
    await run(create(properties(reference, server)));
    await run(remove(properties(reference, server, 'destroy', true)));
    const client = new pg.Client({ connectionString: server.superuserUrl() });
    await client.connect();
    try {
      expect((await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB])).rowCount).toBe(0);
    } finally {
      await client.end();
    }
    expect(await rolesPresent(server)).toEqual(CLUSTER_ROLES);
  });

  it('fails fast with a clear error when the certificate is not trusted', async () => {
    const untrusted = createRoleModelHandler({ secrets: new SecretsManagerClient({ region: 'eu-west-1' }), ca: makeTls().ca, connectTimeoutMs: 3_000, connectDeadlineMs: 3_000, logger });
    await expect(untrusted(create(properties(reference, server)))).rejects.toThrow(/cannot connect to 127\.0\.0\.1:\d+ as postgres: .*(certificate|self.signed)/i);
  });

  it('gives up on an unreachable cluster within its deadline, naming the security group', async () => {
    const props = { ...properties(reference, server), Port: '1' };
    const started = Date.now();
    await expect(run(create(props))).rejects.toThrow(/cluster 127\.0\.0\.1:1 still unreachable after \d+ attempts .*security group/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
