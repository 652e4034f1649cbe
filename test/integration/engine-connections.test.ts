// Connections the engine opens: one maintenance session, then one session per managed database for the whole
// plan, verify or apply (the PUBLIC-reliance check, the changes and the verification share it), and a fresh one
// only where apply reset settings that database hands to every new session. Counted from the server's own log
// (log_connections), so nothing in the engine is instrumented for the test.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { StatementCounter } from '../../lib/postgres/connection.js';
import { DatabaseSessions } from '../../lib/postgres/database-sessions.js';
import { applyRoleModel, planWithWarnings, verifyRoleModel } from '../../lib/postgres/engine.js';
import { query } from '../support/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/two-databases.json', import.meta.url), 'utf8')));

describe('connections per run (two databases)', () => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  /** The engine's connections (by database) while work runs. */
  const opened = async (work: () => Promise<unknown>): Promise<Record<string, number>> => {
    const from = server.readLog().length;
    await work();
    await new Promise((r) => setTimeout(r, 200));
    const out: Record<string, number> = {};
    for (const m of server.readLog().slice(from).matchAll(/connection authorized: user=postgres database=(\S+) application_name=cdk-aurora-firefighter/g)) {
      const db = m[1] ?? '';
      out[db] = (out[db] ?? 0) + 1;
    }
    return out;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
  });
  afterAll(async () => server?.stop());

  it('apply: one session per database, created or not; plan and verify the same', async () => {
    expect(await opened(() => applyRoleModel(spec, conn()))).toEqual({ postgres: 1, 'my-pg-db': 1, other_pg_db: 1 });
    expect(await opened(() => applyRoleModel(spec, conn()))).toEqual({ postgres: 1, 'my-pg-db': 1, other_pg_db: 1 });
    expect(await opened(() => planWithWarnings(spec, conn()))).toEqual({ postgres: 1, 'my-pg-db': 1, other_pg_db: 1 });
    expect(await opened(() => verifyRoleModel(spec, conn()))).toEqual({ postgres: 1, 'my-pg-db': 1, other_pg_db: 1 });
  });

  it('apply: a fresh session where it reset a database-level setting (here: every session read-only)', async () => {
    // Drift inside the database too, so the changes after the reset must write there.
    await query(server.masterUrl('my-pg-db'), 'SET ROLE my_pg_owner; GRANT DELETE ON ALL TABLES IN SCHEMA "my-pg-db-schema" TO my_pg_firefighter_ro; REVOKE USAGE ON SCHEMA "my-pg-db-schema" FROM my_pg_app');
    await query(server.masterUrl(), 'SET ROLE my_pg_owner; ALTER DATABASE "my-pg-db" SET default_transaction_read_only = on');
    expect(await opened(() => applyRoleModel(spec, conn()))).toEqual({ postgres: 1, 'my-pg-db': 2, other_pg_db: 1 });
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('a session the server ended (idle_session_timeout, an operator) is replaced, not reused', async () => {
    const sessions = new DatabaseSessions(conn(), new StatementCounter());
    try {
      const pid = async () => (await (await sessions.get('my-pg-db')).query<{ p: number }>('SELECT pg_catalog.pg_backend_pid() AS p')).rows[0]?.p;
      const first = await pid();
      expect(await pid()).toBe(first);
      // Waits until that backend has exited (PostgreSQL 14+), then gives the client a moment to see its socket close.
      await query(server.superuserUrl(), 'SELECT pg_terminate_backend($1, 5000)', [first]);
      await new Promise((r) => setTimeout(r, 200));
      const second = await pid();
      expect(second).toEqual(expect.any(Number));
      expect(second).not.toBe(first);
    } finally {
      await sessions.closeAll();
    }
  });
});
