// Issue 19, items 5 and 6: a managed login holding a row lock on its role names itself to apply within seconds
// (apply fails, or waits when asked, and then names it); verify and apply agree on a read-only cluster and on a
// hot standby.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { startHotStandby } from '../support/hot-standby.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';

describe.each(testedMajors())('apply and other sessions on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
  });

  afterAll(async () => server?.stop());

  /** A managed login that commits one ALTER ROLE CURRENT_USER SET and leaves a second one open. */
  async function openSetting(): Promise<pg.Client> {
    const app = await loginAs(server, 'my_pg_app', DB);
    await app.query("ALTER ROLE CURRENT_USER SET work_mem = '64MB'");
    await app.query("BEGIN; ALTER ROLE CURRENT_USER SET work_mem = '32MB'");
    return app;
  }

  it('a login holding its role\'s settings row fails apply within seconds, named (old: apply waited the whole lock wait, naming no one)', async () => {
    const app = await openSetting();
    try {
      const pid = (await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const started = Date.now();
      const error = await applyRoleModel(spec, conn(), { lockWait: '30s' }).then(() => undefined, (e: unknown) => e as Error);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(error?.message).toMatch(new RegExp(`apply is blocked by my_pg_app \\(pid ${pid}, (application_name .*, )?idle in transaction since [^)]+\\) holding .*pg_db_role_setting`));
      expect(error?.message).not.toContain('32MB');
    } finally {
      await app.query('ROLLBACK');
      await app.end();
    }
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('asked to wait, apply waits up to lockWait and then names the blocker', async () => {
    const app = await openSetting();
    try {
      const started = Date.now();
      const error = await applyRoleModel(spec, conn(), { lockWait: '3s', waitForSessions: true }).then(() => undefined, (e: unknown) => e as Error);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
      expect(error?.message).toMatch(/lock timeout: apply waited for my_pg_app \(pid \d+/);
    } finally {
      await app.query('ROLLBACK');
      await app.end();
    }
    await applyRoleModel(spec, conn());
  });

  it('on a cluster whose transactions are read-only by default, verify and apply agree (old: verify matched, apply failed)', async () => {
    await query(server.superuserUrl(), 'ALTER SYSTEM SET default_transaction_read_only = on');
    await query(server.superuserUrl(), 'SELECT pg_reload_conf()');
    try {
      expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
      const applied = await applyRoleModel(spec, conn());
      expect(applied.steps).toEqual([]);
    } finally {
      await query(server.superuserUrl(), 'ALTER SYSTEM RESET default_transaction_read_only');
      await query(server.superuserUrl(), 'SELECT pg_reload_conf()');
    }
  });

  it('on a hot standby, verify matches and apply refuses before anything, naming the standby', async () => {
    const standby = await startHotStandby(server);
    try {
      await standby.caughtUp();
      const at = { connectionString: standby.masterUrl() };
      expect((await verifyRoleModel(spec, at)).findings).toEqual([]);
      await expect(applyRoleModel(spec, at)).rejects.toThrow(/is a hot standby \(read-only\)/);
    } finally {
      await standby.stop();
    }
  });
});
