// Issue 8.11: a connection lost during verify is an error (exit 1), never drift (exit 2). The verifier's
// backend is ended while it waits on a lock the test holds on the allowlist table, so the cut is
// deterministic: it happens exactly while verify reads db_admin in the managed database.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { readFileSync } from 'node:fs';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const SPEC = new URL('../../examples/reference.json', import.meta.url).pathname;
const spec = parseSpec(JSON.parse(readFileSync(SPEC, 'utf8')));
const DB = 'my-pg-db';

describe.each(testedMajors())('verify with a lost connection on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
  });
  afterAll(async () => server?.stop());

  it.each([[[] as string[]], [['--json']]])('rolemodel verify %j exits 1 and reports no drift when its backend is terminated', async (extra) => {
    // As the Aurora operator would: a superuser session holds the table so the verifier waits on it.
    const locker = new pg.Client({ connectionString: server.superuserUrl(DB) });
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE db_admin.firefighter_role IN ACCESS EXCLUSIVE MODE');
    // Another session ends it: pg_stat_activity is a snapshot that stays fixed for the locker's transaction.
    const killer = new pg.Client({ connectionString: server.superuserUrl(DB) });
    await killer.connect();
    const out: string[] = [];
    const err: string[] = [];
    const verify = main(['verify', '--database-url', server.masterUrl(), '--spec', SPEC, ...extra], (l) => out.push(l), (l) => err.push(l));
    try {
      let ended = 0;
      for (let i = 0; i < 200 && ended === 0; i++) {
        const { rows } = await killer.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
            WHERE datname = $1 AND usename = 'postgres' AND wait_event_type = 'Lock'`, [DB]);
        ended = rows[0]?.n ?? 0;
        if (ended === 0) await new Promise((r) => setTimeout(r, 50));
      }
      expect(ended).toBe(1);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await killer.end();
    }
    const code = await verify;
    expect(out.join('\n')).not.toMatch(/drift:|"ok": false/);
    expect(err.join('\n')).toMatch(/rolemodel: .*terminat/i);
    expect(code).toBe(1);
  });
});
