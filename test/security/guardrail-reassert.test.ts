// Attack: a holder weakens its own role for whoever holds it next (`ALTER ROLE self IN DATABASE ... SET
// statement_timeout = 0`, or a role-wide setting), which PostgreSQL allows any role to do to itself. The next
// issue of a password must hand over the role as the spec declares it, and verify must then find nothing.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { query } from '../support/catalog.js';
import { ALICE, BOB, loadSpec, prepare, settingsOf, trustedService } from './support.js';

const spec = loadSpec('reference');
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';

describe.each(testedMajors())('each issue re-asserts the firefighter role\'s guardrails on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let baseline: Record<string, string[]>;

  async function login(role: string, password: string): Promise<pg.Client> {
    const client = new pg.Client({ host: '127.0.0.1', port: server.port, user: role, password, database: DB, ssl: server.ssl });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }
  const password = (r: Awaited<ReturnType<ReturnType<typeof trustedService>>>) => (r.ok && r.action === 'request' ? r.password ?? '' : '');

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, spec);
    baseline = { [RO]: await settingsOf(server, RO), [RW]: await settingsOf(server, RW) };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([RW, RO])('%s: settings the holder gave its own role are gone for the next holder', async (role) => {
    const access = role === RW ? 'rw' : 'ro';
    expect(baseline[role]).toEqual([expect.stringMatching(/^my-pg-db: (default_transaction_read_only=on \| )?idle_in_transaction_session_timeout=2min \| (lock_timeout=5s \| )?statement_timeout=5min$/)]);
    const first = await trustedService(server, spec, ALICE)({ action: 'request', role: access, incidentId: 'INC-1', reason: 'first holder', hours: 1 });
    const holder = await login(role, password(first));
    // firefighter_ro's read-only guardrail refuses ALTER ROLE until the session turns it off, which it may.
    await holder.query('SET default_transaction_read_only = off');
    await holder.query(`ALTER ROLE ${role} IN DATABASE "${DB}" SET default_transaction_read_only = off`);
    await holder.query(`ALTER ROLE ${role} IN DATABASE "${DB}" SET statement_timeout = 0`);
    await holder.query(`ALTER ROLE ${role} IN DATABASE "${DB}" RESET idle_in_transaction_session_timeout`);
    await holder.query(`ALTER ROLE ${role} IN DATABASE "${DB}" SET work_mem = '1GB'`);
    await holder.query(`ALTER ROLE ${role} SET lock_timeout = 0`);
    await holder.end();
    expect(await settingsOf(server, role)).not.toEqual(baseline[role]); // the holder really could

    const next = await trustedService(server, spec, BOB)({ action: 'request', role: access, incidentId: 'INC-2', reason: 'next holder', hours: 1, takeover: true });
    expect(next).toMatchObject({ ok: true, takeover: true });
    expect(await settingsOf(server, role)).toEqual(baseline[role]);
    const session = await login(role, password(next));
    try {
      const shown = await session.query<{ s: string; i: string; w: string }>(`SELECT current_setting('statement_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS i, current_setting('work_mem') AS w`);
      expect(shown.rows[0]).toEqual({ s: '5min', i: '2min', w: '4MB' });
    } finally {
      await session.end();
    }
    expect((await verifyRoleModel(spec, { connectionString: server.masterUrl() })).findings).toEqual([]);
  });

  // The re-assertion rewrites the settings only when the catalog differs from what it left last time; these
  // are the differences that comparison must still see.
  const settingsXmin = async (role: string) => (await query<{ x: string }>(server.masterUrl(),
    'SELECT s.xmin::text AS x FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = $1 AND d.datname = $2', [role, DB]))[0]?.x;
  const revoke = (who: string, incidentId: string) => trustedService(server, spec, who)({ action: 'revoke', role: 'ro', incidentId, reason: 'done' });

  it('a role-wide setting alone (the database\'s settings untouched) is reset for the next holder', async () => {
    const first = await trustedService(server, spec, ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-3', reason: 'first', hours: 1, takeover: true });
    const holder = await login(RO, password(first));
    await holder.query('SET default_transaction_read_only = off');
    await holder.query(`ALTER ROLE ${RO} SET statement_timeout = 0`);
    await holder.end();
    expect(await settingsOf(server, RO)).toContain('*: statement_timeout=0');
    await revoke(ALICE, 'INC-3');
    await trustedService(server, spec, BOB)({ action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'next', hours: 1 });
    expect(await settingsOf(server, RO)).toEqual(baseline[RO]);
    await revoke(BOB, 'INC-4');
  });

  it('the holder\'s own reissue re-asserts them too', async () => {
    const first = await trustedService(server, spec, ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-5', reason: 'first', hours: 1, takeover: true });
    const holder = await login(RO, password(first));
    await holder.query('SET default_transaction_read_only = off');
    await holder.query(`ALTER ROLE ${RO} IN DATABASE "${DB}" SET statement_timeout = 0`);
    await holder.end();
    const again = await trustedService(server, spec, ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-5', reason: 'again', hours: 1 });
    expect(again).toMatchObject({ ok: true, outcome: 'reissued' });
    expect(await settingsOf(server, RO)).toEqual(baseline[RO]);
    await revoke(ALICE, 'INC-5');
  });

  it('guardrails changed in the allowlist are set even when the catalog still shows the old ones', async () => {
    await trustedService(server, spec, ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-6', reason: 'first', hours: 1, takeover: true });
    await revoke(ALICE, 'INC-6');
    const master = new pg.Client({ connectionString: server.masterUrl(DB) });
    await master.connect();
    try {
      await master.query(`SET ROLE my_pg_admin; UPDATE db_admin.firefighter_role SET guardrails = guardrails || '{"statement_timeout": ["1min"]}' WHERE role = '${RO}'`);
      await trustedService(server, spec, BOB)({ action: 'request', role: 'ro', incidentId: 'INC-7', reason: 'next', hours: 1 });
      expect((await settingsOf(server, RO)).join()).toContain('statement_timeout=1min');
      await revoke(BOB, 'INC-7');
    } finally {
      await master.end();
    }
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    expect(await settingsOf(server, RO)).toEqual(baseline[RO]);
  });

  it('an issue that finds the settings as it left them writes no catalog row', async () => {
    await trustedService(server, spec, ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-8', reason: 'first', hours: 1, takeover: true });
    await revoke(ALICE, 'INC-8');
    const before = await settingsXmin(RO);
    await trustedService(server, spec, BOB)({ action: 'request', role: 'ro', incidentId: 'INC-9', reason: 'next', hours: 1 });
    expect(await settingsXmin(RO)).toBe(before);
    expect(await settingsOf(server, RO)).toEqual(baseline[RO]);
    await revoke(BOB, 'INC-9');
  });
});
