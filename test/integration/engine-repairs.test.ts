// Issue 19, items 1-3: drift the peers' own suites catch. The owner revoking its own rights on its schema, a
// schema owned by the migrator, and an ADMIN OPTION nobody asked for are each reported by verify and repaired by
// apply, as the master (never a superuser: the superuser only makes the drift).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { attempt, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const base = JSON.parse(readFileSync(new URL('../../examples/extra-roles.json', import.meta.url), 'utf8'));
base.databases[0].schemas = ['my-pg-db-schema', 'billing'];
const spec = parseSpec(base);
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';

describe.each(testedMajors())('engine repairs on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const messages = async () => (await verifyRoleModel(spec, conn())).findings.map((f) => f.message);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), 'CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN; CREATE ROLE bystander LOGIN');
    await applyRoleModel(spec, conn());
    expect(await messages()).toEqual([]);
  });

  afterAll(async () => server?.stop());

  it('the owner revoking its own USAGE and CREATE on its schema is reported and given back (old: verify matched)', async () => {
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; REVOKE ALL ON SCHEMA ${S} FROM my_pg_owner`);
    expect(await messages()).toContain('my_pg_owner lacks USAGE, CREATE on its own schema "my-pg-db-schema": objects there cannot be created or used through it');
    const applied = await applyRoleModel(spec, conn());
    expect(applied.steps.map((s) => s.sql)).toContain(`GRANT USAGE, CREATE ON SCHEMA ${S} TO "my_pg_owner"`);
    expect(await messages()).toEqual([]);
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    try {
      expect(await attempt(migrator, `SET ROLE my_pg_owner; CREATE TABLE ${S}.invoices (id int)`)).toBe('ok');
    } finally {
      await migrator.end();
    }
  });

  it('a schema owned by the migrator is handed to the owner, borrowing the migrator\'s rights (old: must be owner of schema billing)', async () => {
    await query(server.superuserUrl(DB), 'DROP SCHEMA billing CASCADE; CREATE SCHEMA billing AUTHORIZATION my_pg_migrator; CREATE TABLE billing.ledger (id int); ALTER TABLE billing.ledger OWNER TO my_pg_migrator');
    expect(await messages()).toContain('schema "billing" is owned by my_pg_migrator, expected my_pg_owner');
    await applyRoleModel(spec, conn());
    expect(await messages()).toEqual([]);
    const owners = await query(server.masterUrl(DB), `SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'billing'
      UNION ALL SELECT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'billing' AND c.relname = 'ledger'`);
    expect(owners).toEqual([{ owner: 'my_pg_owner' }, { owner: 'my_pg_owner' }]);
    // The borrowed membership ended with the transaction's work.
    expect(await query(server.masterUrl(), "SELECT pg_has_role(current_user, 'my_pg_migrator', 'USAGE') AS m")).toEqual([{ m: false }]);
  });

  it('a schema owned by a role the master cannot act for is a manual step naming who runs what', async () => {
    await query(server.superuserUrl(DB), 'CREATE ROLE vendor NOLOGIN; DROP SCHEMA billing CASCADE; CREATE SCHEMA billing AUTHORIZATION vendor');
    const error = await applyRoleModel(spec, conn()).then(() => undefined, (e: unknown) => e as Error);
    expect(error?.message).toMatch(/apply stopped before changing "my-pg-db": schema "billing" is owned by vendor, whose privileges the applying user does not hold; a role with ADMIN OPTION on vendor \(its creator\) runs this, then apply hands the schema to my_pg_owner:\n {2}GRANT "vendor" TO "\w+"/);
    expect(error?.message).not.toContain('permission denied');
    await query(server.superuserUrl(DB), 'ALTER SCHEMA billing OWNER TO my_pg_owner; DROP ROLE vendor');
    await applyRoleModel(spec, conn());
    expect(await messages()).toEqual([]);
  });

  it('an ADMIN OPTION the spec does not give is reported and revoked, with what was granted through it (old: never reported)', async () => {
    await query(server.masterUrl(), 'GRANT my_pg_owner TO my_pg_migrator WITH ADMIN OPTION');
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    try {
      expect(await attempt(migrator, 'GRANT my_pg_owner TO bystander')).toBe('ok');
    } finally {
      await migrator.end();
    }
    expect((await messages()).join('\n')).toMatch(/my_pg_migrator holds ADMIN OPTION on my_pg_owner \(granted by \w+\), which the spec does not give/);
    const applied = await applyRoleModel(spec, conn());
    expect(applied.steps.map((s) => s.sql).join('\n')).toMatch(/REVOKE ADMIN OPTION FOR "my_pg_owner" FROM "my_pg_migrator".* CASCADE/);
    expect(await messages()).toEqual([]);
    expect(await query(server.masterUrl(), `SELECT pg_has_role('my_pg_migrator', 'my_pg_owner', 'MEMBER WITH ADMIN OPTION') AS admin,
      pg_has_role('my_pg_migrator', 'my_pg_owner', 'MEMBER') AS member, pg_has_role('bystander', 'my_pg_owner', 'MEMBER') AS bystander`))
      .toEqual([{ admin: false, member: true, bystander: false }]);
  });

  it('an ADMIN OPTION on a team role is reported and revoked; the member stays (old: never reported)', async () => {
    await query(server.masterUrl(), 'GRANT my_pg_team_payments TO alice WITH ADMIN OPTION');
    expect((await messages()).join('\n')).toMatch(/alice holds ADMIN OPTION on my_pg_team_payments/);
    await applyRoleModel(spec, conn());
    expect(await messages()).toEqual([]);
    expect(await query(server.masterUrl(), `SELECT pg_has_role('alice', 'my_pg_team_payments', 'MEMBER WITH ADMIN OPTION') AS admin,
      pg_has_role('alice', 'my_pg_team_payments', 'MEMBER') AS member`)).toEqual([{ admin: false, member: true }]);
  });
});
