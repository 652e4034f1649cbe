// The engine never gives the master the privileges of rds_iam: on Aurora the master would then have to log in
// with an IAM token, and every later apply, retire or operator session would be refused. The Aurora-like test
// server (aurora-profile.ts) enforces that rule, so after each apply and retire the master logs in with its
// password here, on every major.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { retireDatabaseRoles } from '../../lib/postgres/retire.js';
import { query } from '../support/catalog.js';
import { MASTER_USER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const embedded = (process.env.PG_TEST_DRIVER ?? (process.env.PG_TEST_URL ? 'url' : 'embedded')) === 'embedded';

describe.runIf(embedded).each(testedMajors())('the master keeps its password login on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  /** A fresh connection as the master with its password, and what it holds of rds_iam. */
  async function masterLogsIn(): Promise<{ iam: boolean }> {
    const client = new pg.Client({ connectionString: server.masterUrl(), connectionTimeoutMillis: 10_000 });
    await client.connect();
    try {
      const how = major >= 16 ? 'USAGE' : 'MEMBER';
      return (await client.query<{ iam: boolean }>(`SELECT pg_has_role(current_user, 'rds_iam', '${how}') AS iam`)).rows[0] ?? { iam: true };
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    // 16+: a setting any cluster may carry; without the engine's pin the master would inherit what it creates.
    if (major >= 16) await query(server.superuserUrl(), `ALTER ROLE ${MASTER_USER} SET createrole_self_grant = 'set, inherit'`);
  });
  afterAll(async () => server?.stop());

  it('after the first apply (with createrole_self_grant = \'set, inherit\' on 16+) and a second one', async () => {
    await applyRoleModel(spec, conn());
    expect(await masterLogsIn()).toEqual({ iam: false });
    await applyRoleModel(spec, conn());
    expect(await masterLogsIn()).toEqual({ iam: false });
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('after retiring a database\'s roles (DESTROY, data kept), whose app and migrator are in rds_iam', async () => {
    const result = await retireDatabaseRoles(spec, DB, conn(), { dropDatabase: false });
    expect(result.rolesDropped).toEqual(['my_pg_firefighter_rw', 'my_pg_firefighter_ro', 'my_pg_app', 'my_pg_migrator', 'my_pg_owner']);
    expect(await masterLogsIn()).toEqual({ iam: false });
  });

  it('after a re-apply and a retire that drops the database', async () => {
    await applyRoleModel(spec, conn());
    expect(await masterLogsIn()).toEqual({ iam: false });
    await retireDatabaseRoles(spec, DB, conn(), { dropDatabase: true });
    expect(await masterLogsIn()).toEqual({ iam: false });
  });

  it('a retire that would borrow a role reaching rds_iam through a group outside the spec stops before the master gets it', async () => {
    await applyRoleModel(spec, conn());
    await query(server.superuserUrl(), 'CREATE ROLE outside_iam_group NOLOGIN; GRANT rds_iam TO outside_iam_group; GRANT outside_iam_group TO my_pg_firefighter_ro');
    await expect(retireDatabaseRoles(spec, DB, conn(), { dropDatabase: false })).rejects.toThrow(
      'cannot retire my_pg_firefighter_ro: they reach rds_iam through a group outside the spec, so borrowing them would give the master the privileges of rds_iam and Aurora would refuse its password; revoke that group from them, then retry the delete');
    expect(await masterLogsIn()).toEqual({ iam: false });
    await query(server.superuserUrl(), 'REVOKE outside_iam_group FROM my_pg_firefighter_ro');
    await retireDatabaseRoles(spec, DB, conn(), { dropDatabase: false });
    expect(await masterLogsIn()).toEqual({ iam: false });
  });
});
