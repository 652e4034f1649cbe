// The test servers behave like Aurora (test/support/aurora-profile.ts): each rule is shown enforced here, on
// every major, so the rest of the suite can rely on it.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rdsSuperuserRoles } from '../support/aurora-profile.js';
import { MASTER_PASSWORD, MASTER_USER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const embedded = (process.env.PG_TEST_DRIVER ?? (process.env.PG_TEST_URL ? 'url' : 'embedded')) === 'embedded';

async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** 'ok' or the server's refusal. */
async function login(config: pg.ClientConfig): Promise<string> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe.each(testedMajors())('aurora profile on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const master = () => login({ connectionString: server.masterUrl() });
  const asSuperuser = (sql: string) => query(server.superuserUrl(), sql);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE ROLE iam_app LOGIN PASSWORD 'an-ordinary-password';
      CREATE ROLE iam_group NOLOGIN; GRANT rds_iam TO iam_group; CREATE ROLE nested_app LOGIN PASSWORD 'an-ordinary-password'`);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives rds_superuser exactly what AWS documents, and never rds_iam or pg_read_all_data', async () => {
    const held = await query<{ role: string }>(server.masterUrl(), `SELECT m.roleid::regrole::text AS role FROM pg_auth_members m
      WHERE m.member = 'rds_superuser'::regrole ${major >= 16 ? 'AND m.inherit_option' : ''} ORDER BY 1`);
    expect(held.map((r) => r.role)).toEqual(rdsSuperuserRoles(major));
    const has = await query(server.masterUrl(), `SELECT pg_has_role('rds_superuser', 'rds_iam', 'USAGE') AS su_iam,
      pg_has_role('rds_superuser', 'pg_read_all_data', 'USAGE') AS su_read_all,
      pg_has_role(current_user, 'rds_iam', 'USAGE') AS master_iam, pg_has_role(current_user, 'rds_superuser', 'USAGE') AS master_su,
      (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS master_superuser`);
    expect(has).toEqual([{ su_iam: false, su_read_all: false, master_iam: false, master_su: true, master_superuser: false }]);
  });

  it('lets the master grant rds_iam without having its privileges', async () => {
    await query(server.masterUrl(), 'GRANT rds_iam TO iam_app');
    const rows = await query(server.masterUrl(), `SELECT pg_has_role('iam_app', 'rds_iam', 'USAGE') AS app, pg_has_role(current_user, 'rds_iam', 'USAGE') AS master`);
    expect(rows).toEqual([{ app: true, master: false }]);
    expect(await master()).toBe('ok');
  });

  it.runIf(embedded)('refuses plaintext connections, like rds.force_ssl = 1', async () => {
    const plain = await login({ host: server.host, port: server.port, user: MASTER_USER, password: MASTER_PASSWORD, database: 'postgres', ssl: false });
    expect(plain).toMatch(/no pg_hba.conf entry for host "127.0.0.1", user "postgres", database "postgres", no encryption/);
    expect(await login({ host: server.host, port: server.port, user: MASTER_USER, password: MASTER_PASSWORD, database: 'postgres', ssl: server.ssl })).toBe('ok');
  });

  it.runIf(embedded)('lets a member of rds_iam in with a token-sized password over TLS only, never with its password', async () => {
    await query(server.masterUrl(), 'GRANT rds_iam TO iam_app');
    expect(await login({ connectionString: server.url('iam_app', 'an-ordinary-password') })).not.toBe('ok');
    const token = await server.issueIamToken('iam_app');
    expect(token.length).toBeGreaterThan(800);
    expect(await login({ connectionString: server.url('iam_app', token) })).toBe('ok');
    expect(await login({ host: server.host, port: server.port, user: 'iam_app', password: token, database: 'postgres', ssl: false })).toMatch(/no encryption/);
    const again = await server.issueIamToken('iam_app');
    expect(await login({ connectionString: server.url('iam_app', token) })).not.toBe('ok'); // a re-issue replaces it
    expect(await login({ connectionString: server.url('iam_app', again) })).toBe('ok');
  });

  it.runIf(embedded)('locks out a master that has the privileges of rds_iam, directly or through another role', async () => {
    await asSuperuser(`GRANT rds_iam TO ${MASTER_USER}`);
    expect(await master()).not.toBe('ok');
    await asSuperuser(`REVOKE rds_iam FROM ${MASTER_USER}`);
    expect(await master()).toBe('ok');
    // On 16+ the master already holds iam_group without INHERIT (it created it): turn inheritance on.
    await asSuperuser(`GRANT iam_group TO ${MASTER_USER}${major >= 16 ? ' WITH INHERIT TRUE' : ''}`);
    expect(await master()).not.toBe('ok');
    await asSuperuser(`REVOKE iam_group FROM ${MASTER_USER}`);
    expect(await master()).toBe('ok');
    await asSuperuser('GRANT iam_group TO nested_app');
    expect(await login({ connectionString: server.url('nested_app', 'an-ordinary-password') })).not.toBe('ok');
  });

  it.runIf(embedded)('enforces the rds_iam rule in a database the master creates later', async () => {
    await query(server.masterUrl(), 'CREATE DATABASE later_db');
    await query(server.masterUrl(), 'GRANT rds_iam TO iam_app');
    expect(await login({ connectionString: server.url('iam_app', 'an-ordinary-password', 'later_db') })).not.toBe('ok');
    expect(await login({ connectionString: server.url('iam_app', await server.issueIamToken('iam_app'), 'later_db') })).toBe('ok');
    expect(await login({ connectionString: server.masterUrl('later_db') })).toBe('ok');
  });

  it.runIf(embedded && major >= 16)('lets the master in while it holds rds_iam without INHERIT, as Aurora does (pg_hba +role alone would not)', async () => {
    await asSuperuser(`GRANT iam_group TO ${MASTER_USER} WITH INHERIT FALSE, SET TRUE`);
    expect(await master()).toBe('ok');
    await asSuperuser(`REVOKE iam_group FROM ${MASTER_USER}`);
  });
});
