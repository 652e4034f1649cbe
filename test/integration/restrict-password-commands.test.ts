// Aurora's rds.restrict_password_commands: with it on, only members of rds_password run the password and
// VALID UNTIL statements apply needs. Apply checks its own membership before it changes anything and names the fix,
// instead of failing half way. The embedded server has no such parameter; PostgreSQL keeps an unknown dotted name
// as a placeholder setting, which a role setting (as the superuser sets it) turns on for that role's sessions,
// exactly what current_setting('rds.restrict_password_commands', true) reads on Aurora.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { query } from '../support/catalog.js';
import { MASTER_USER, startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));

describe.each(testedMajors())('apply under rds.restrict_password_commands on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const roles = async () => (await query<{ rolname: string }>(server.superuserUrl(), "SELECT rolname FROM pg_roles WHERE rolname LIKE 'my\\_pg\\_%' ORDER BY 1")).map((r) => r.rolname);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    // A deployer that may create roles and databases but is no member of rds_password (nor rds_superuser).
    await query(server.superuserUrl(), `CREATE ROLE deployer LOGIN PASSWORD 'deployer-password-123' CREATEROLE CREATEDB;
      ALTER ROLE deployer SET rds.restrict_password_commands = on; ALTER ROLE ${MASTER_USER} SET rds.restrict_password_commands = on`);
  });
  afterAll(async () => server?.stop());

  it('refuses at its start, changing nothing, when the applying role is not a member of rds_password', async () => {
    const before = await roles();
    await expect(applyRoleModel(spec, { connectionString: server.url('deployer', 'deployer-password-123') })).rejects.toThrow(
      'rds.restrict_password_commands is on and deployer is not a member of rds_password, so the password and VALID UNTIL statements of this apply would fail half way; nothing was changed. Run apply as the master user (a member of rds_superuser, which holds rds_password), or have the master run GRANT rds_password TO "deployer"');
    expect(await roles()).toEqual(before);
  });

  it('goes ahead as the master, a member of rds_password through rds_superuser', async () => {
    const result = await applyRoleModel(spec, { connectionString: server.masterUrl() });
    expect(result.steps.length).toBeGreaterThan(0);
    expect(await roles()).toContain('my_pg_firefighter_ro');
  });

  it('goes ahead for the deployer once it is granted rds_password', async () => {
    await query(server.superuserUrl(), 'GRANT rds_password TO deployer');
    // It gets past the check: whatever else it lacks (it is no master), the refusal above is gone.
    const outcome = await applyRoleModel(spec, { connectionString: server.url('deployer', 'deployer-password-123') }).then(() => 'applied', (e: Error) => e.message);
    expect(outcome).not.toContain('rds.restrict_password_commands');
  });
});
