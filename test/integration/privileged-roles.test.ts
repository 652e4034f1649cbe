// SUPERUSER, REPLICATION or BYPASSRLS on a managed role (issue 10, item 6): the master cannot take them away, so
// verify says what must be run and by whom, plan is that remedy and nothing else, and apply changes nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, NeedsOperatorError, planRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { catalogSnapshot, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const SPEC = new URL('../../examples/reference.json', import.meta.url).pathname;
const spec = parseSpec(JSON.parse(readFileSync(SPEC, 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.each(testedMajors())('privileged attributes on a managed role on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
  });
  afterAll(async () => server?.stop());

  it('SUPERUSER: verify names the remedy and nothing else, plan is only that remedy, apply changes nothing', async () => {
    // Done as the bootstrap superuser, as only an operator (on Aurora: AWS) could.
    await query(server.superuserUrl(), `ALTER ROLE ${RO} SUPERUSER`);
    const findings = (await verifyRoleModel(spec, conn())).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'role-privileged-attribute', subject: RO });
    expect(findings[0]?.message).toMatch(`${RO} is SUPERUSER, which the spec never gives and the master cannot take away: a superuser must run ALTER ROLE "${RO}" NOSUPERUSER. On Aurora/RDS no customer login is a superuser, so only AWS can`);
    expect(findings[0]?.message).toMatch('give its slot a new name in the spec');

    const steps = await planRoleModel(spec, conn());
    expect(steps).toEqual([expect.objectContaining({ manual: true, sql: `ALTER ROLE "${RO}" NOSUPERUSER` })]);
    const plan = await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC);
    expect(plan.code).toBe(0);
    expect(plan.out).not.toMatch(/^(REVOKE|GRANT|ALTER|SET ROLE)/m);
    expect(plan.out).toMatch(`-- (apply does not run this; run it yourself if you mean it) ALTER ROLE "${RO}" NOSUPERUSER;`);

    const before = await catalogSnapshot(server, [DB]);
    await expect(applyRoleModel(spec, conn())).rejects.toThrow(NeedsOperatorError);
    const apply = await run('apply', '--database-url', server.masterUrl(), '--spec', SPEC);
    expect(apply.code).toBe(1);
    expect(apply.err).toMatch(`rolemodel: apply cannot converge this cluster as the master, and changed nothing:\n  - ${RO} is SUPERUSER`);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);

    await query(server.superuserUrl(), `ALTER ROLE ${RO} NOSUPERUSER`);
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('SUPERUSER: a finding about it and another role is kept (by kind and roles, not message text)', async () => {
    await query(server.superuserUrl(), `ALTER ROLE ${RO} SUPERUSER`);
    await query(server.masterUrl(DB), 'SET ROLE my_pg_admin; GRANT EXECUTE ON FUNCTION db_admin.firefighter_status() TO my_pg_app');
    const findings = (await verifyRoleModel(spec, conn())).findings;
    // The superuser may EXECUTE every db_admin routine: withheld; my_pg_app's extra EXECUTE is real drift (as is
    // db_admin's changed ACL: db-admin-drift, db-admin-version).
    expect(findings.filter((f) => !['db-admin-drift', 'db-admin-version'].includes(f.code)).map((f) => `${f.code} ${f.subject} ${(f.roles ?? []).join(',')}`)).toEqual([
      `role-privileged-attribute ${RO} `,
      `db-admin-execute-extra db_admin.firefighter_status() my_pg_app,${RO}`,
    ]);
    await query(server.superuserUrl(), `ALTER ROLE ${RO} NOSUPERUSER`);
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('REPLICATION and BYPASSRLS: the same, naming who can run it on this major', async () => {
    await query(server.superuserUrl(), 'ALTER ROLE my_pg_app BYPASSRLS; ALTER ROLE my_pg_migrator REPLICATION');
    const messages = (await verifyRoleModel(spec, conn())).findings.filter((f) => f.code === 'role-privileged-attribute').map((f) => f.message);
    const who = (attr: string, role: string) => (major >= 16 ? `a superuser (or, on PostgreSQL 16+, a role that has ${attr} itself and ADMIN OPTION on ${role})` : 'a superuser');
    expect(messages).toEqual([
      expect.stringContaining(`my_pg_app is BYPASSRLS, which the spec never gives and the master cannot take away: ${who('BYPASSRLS', 'my_pg_app')} must run ALTER ROLE "my_pg_app" NOBYPASSRLS.`),
      expect.stringContaining(`my_pg_migrator is REPLICATION, which the spec never gives and the master cannot take away: ${who('REPLICATION', 'my_pg_migrator')} must run ALTER ROLE "my_pg_migrator" NOREPLICATION.`),
    ]);
    // The master really cannot (so apply must not try).
    await expect(query(server.masterUrl(), 'ALTER ROLE my_pg_app NOBYPASSRLS')).rejects.toThrow(/permission denied|must be superuser/);
    expect((await planRoleModel(spec, conn())).every((s) => s.manual)).toBe(true);
    const before = await catalogSnapshot(server, [DB]);
    await expect(applyRoleModel(spec, conn())).rejects.toThrow(/apply cannot converge this cluster as the master, and changed nothing/);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);
    await query(server.superuserUrl(), 'ALTER ROLE my_pg_app NOBYPASSRLS; ALTER ROLE my_pg_migrator NOREPLICATION');
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });
});
