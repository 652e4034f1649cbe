// No silent lockout (issue 10.2): plan and apply name every unmanaged login that loses CONNECT or
// TEMPORARY on a managed database, and "keepConnect" keeps a named one connected.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { query, tryLogin as loginAndOut } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0];
if (!db0) throw new Error('reference spec has no database');
const spec = parseSpec({ ...reference, databases: [{ ...db0, keepConnect: ['legacy_app'] }] });
const DB = 'my-pg-db';

describe.each(testedMajors())('unmanaged logins on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const tryLogin = (user: string) => loginAndOut(server, user, DB);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.masterUrl(), `CREATE DATABASE "${DB}"; `);
    await query(server.masterUrl(), `CREATE ROLE legacy_app LOGIN PASSWORD 'pw-legacy_app'; CREATE ROLE legacy_report LOGIN PASSWORD 'pw-legacy_report';`);
    expect(await tryLogin('legacy_report')).toBe('connected');
  });
  afterAll(async () => server?.stop());

  it('plan names each login that loses access, and how to keep it', async () => {
    const { warnings } = await planWithWarnings(spec, conn());
    expect(warnings.map((w) => w.message)).toEqual([
      'unmanaged login legacy_app will lose TEMPORARY on database "my-pg-db" (it has them only through PUBLIC)',
      'unmanaged login legacy_report will lose CONNECT, TEMPORARY on database "my-pg-db" (it has them only through PUBLIC); to keep it connected add "keepConnect": ["legacy_report"] to database "my-pg-db" in the spec',
      // Schema public: PUBLIC loses USAGE (revokePublicSchemaUsage defaults to true); issue 10.5 names who loses it.
      ...['legacy_app', 'legacy_report'].map((r) => `unmanaged login ${r} will lose USAGE on schema public in database "my-pg-db" (it has them only through PUBLIC, which apply revokes there); to keep any, grant it to ${r} explicitly (as my_pg_owner) after apply`),
    ]);
  });

  it('apply reports the same, keeps legacy_app connected and touches nothing else of it', async () => {
    const result = await applyRoleModel(spec, conn());
    expect(result.warnings.map((w) => w.subject)).toEqual(['legacy_app', 'legacy_report', 'legacy_app', 'legacy_report']);
    expect(await tryLogin('legacy_app')).toBe('connected');
    expect(await tryLogin('legacy_report')).toMatch(/permission denied for database/);
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await planRoleModel(spec, conn())).toEqual([]);
    expect((await planWithWarnings(spec, conn())).warnings).toEqual([]);
    const roles = await query(server.masterUrl(), `SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'legacy%' ORDER BY 1`);
    expect(roles).toEqual([{ rolname: 'legacy_app', rolcanlogin: true }, { rolname: 'legacy_report', rolcanlogin: true }]);
  });
});
