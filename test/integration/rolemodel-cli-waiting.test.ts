// Issue 19.5 from the CLI: `rolemodel apply --lock-wait SECONDS --wait-for-sessions`, against a real server with a
// managed login blocking apply (the engine side is test/integration/engine-blockers.test.ts).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { ROLE_MODEL_LOCK_KEY } from '../../lib/postgres/lock.js';
import { loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';

const SPEC = new URL('../../examples/reference.json', import.meta.url).pathname;
const DB = 'my-pg-db';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const started = Date.now();
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l), process.env, false);
  return { code, out: out.join('\n'), err: err.join('\n'), ms: Date.now() - started };
}

describe('rolemodel apply --lock-wait / --wait-for-sessions', () => {
  let server: EmbeddedServer;
  const apply = (...flags: string[]) => run('apply', '--database-url', server.masterUrl(), '--spec', SPEC, ...flags);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
  });
  afterAll(async () => server?.stop());

  /** A managed login that commits one ALTER ROLE CURRENT_USER SET (drift apply repairs) and leaves a second open. */
  async function openSetting(): Promise<{ app: pg.Client; pid: number }> {
    const app = await loginAs(server, 'my_pg_app', DB);
    await app.query("ALTER ROLE CURRENT_USER SET work_mem = '64MB'");
    await app.query("BEGIN; ALTER ROLE CURRENT_USER SET work_mem = '32MB'");
    const pid = (await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;
    return { app, pid };
  }

  it.each([
    ['0', 'lock_timeout 0 is "wait forever"'],
    ['abc', 'not a number'],
    ['1.5', 'not whole seconds'],
    ['5min', 'an interval, not seconds'],
    ['3601', 'over an hour'],
    ['300000', 'milliseconds typed as seconds'],
  ])('--lock-wait %s (%s) is invalid input: exit 2, usage, nothing changed (old: unknown flag --lock-wait)', async (value) => {
    const result = await apply(`--lock-wait=${value}`);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`rolemodel: --lock-wait must be whole seconds from 1 to 3600, got ${JSON.stringify(value)}; e.g. --lock-wait 60`);
    expect(result.err).toContain('usage: rolemodel apply');
    expect(await query(server.masterUrl(), "SELECT 1 FROM pg_roles WHERE rolname LIKE 'my\\_pg\\_%'")).toEqual([]);
  });

  it('apply --help lists both flags (old: neither)', async () => {
    const help = await apply('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('[--lock-wait SECONDS] [--wait-for-sessions]');
    expect(help.out).toMatch(/--lock-wait SECONDS {2}how long to wait .* \(1 to 3600, default 5min\)/s);
    expect(help.out).toMatch(/--wait-for-sessions {2}when a session of another role holds a lock/);
  });

  it('without --wait-for-sessions a blocking login fails apply within seconds, named, and stderr names the flag that waits (old: no hint)', async () => {
    expect((await apply()).code).toBe(0);
    const { app, pid } = await openSetting();
    try {
      const blocked = await apply('--lock-wait', '60');
      expect(blocked.code).toBe(1);
      expect(blocked.ms).toBeLessThan(15_000);
      expect(blocked.err).toMatch(new RegExp(`apply is blocked by my_pg_app \\(pid ${pid}, .*idle in transaction since [^)]+\\) holding .*pg_db_role_setting`));
      expect(blocked.err).toContain('to wait for it instead: run again with --wait-for-sessions (and --lock-wait SECONDS)');
      expect(blocked.err).not.toContain('32MB');
    } finally {
      await app.query('ROLLBACK');
      await app.end();
    }
  });

  it('--wait-for-sessions --lock-wait 3 waits about 3 s for the blocker, then fails naming it (old: unknown flag)', async () => {
    const { app, pid } = await openSetting();
    try {
      const waited = await apply('--wait-for-sessions', '--lock-wait', '3');
      expect(waited.code).toBe(1);
      expect(waited.ms).toBeGreaterThanOrEqual(2_500);
      expect(waited.ms).toBeLessThan(30_000);
      expect(waited.err).toMatch(new RegExp(`lock timeout: apply waited for my_pg_app \\(pid ${pid}`));
      expect(waited.err).not.toContain('--wait-for-sessions (and');
    } finally {
      await app.query('ROLLBACK');
      await app.end();
    }
  });

  it('--wait-for-sessions waits for a blocker that lets go, then converges (old: unknown flag)', async () => {
    const { app } = await openSetting();
    const release = new Promise<void>((resolve) => setTimeout(() => void app.query('ROLLBACK').then(() => app.end()).then(resolve, resolve), 3_000));
    const waited = await apply('--wait-for-sessions', '--lock-wait', '60');
    await release;
    expect(waited).toMatchObject({ code: 0, err: '' });
    expect(waited.out).toMatch(/^apply: ran \d+ statements fixing \d+ findings; verified$/);
    expect(waited.ms).toBeGreaterThanOrEqual(2_500);
    expect(await query(server.masterUrl(), "SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'my_pg_app' AND 'work_mem=64MB' = ANY (s.setconfig)")).toEqual([]);
  });

  it('--lock-wait bounds the wait for another apply holding the role-model lock, then names it (old: unknown flag; without it, 5 minutes)', async () => {
    const other = new pg.Client({ connectionString: server.masterUrl() });
    await other.connect();
    try {
      await other.query("SET application_name = 'another apply'");
      await other.query('SELECT pg_advisory_lock($1::bigint)', [ROLE_MODEL_LOCK_KEY]);
      const waited = await apply('--lock-wait', '2');
      expect(waited.code).toBe(1);
      expect(waited.ms).toBeGreaterThanOrEqual(1_800);
      expect(waited.ms).toBeLessThan(30_000);
      expect(waited.err).toMatch(/another role-model run by postgres \(pid \d+, application_name "another apply"\) held the lock .* for longer than 2s/);
    } finally {
      await other.end();
    }
  });
});
