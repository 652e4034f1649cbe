// Attack: a holder weakens its own role for whoever holds it next (`ALTER ROLE self IN DATABASE ... SET
// statement_timeout = 0`, or a role-wide setting), which PostgreSQL allows any role to do to itself. The next
// issue of a password must hand over the role as the spec declares it, and verify must then find nothing.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRoleModel } from '../../lib/postgres/engine.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
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
});
