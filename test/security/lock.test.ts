// Issue 8.9: the role-model lock cannot be held hostage. Any login may take any advisory lock key; one that
// takes the engine's key (in the maintenance database or in a managed one) makes apply and retire fail within
// seconds, naming it, instead of waiting out the lock wait. Another apply by the same user is still waited for.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { acquireRoleModelLock } from '../../lib/postgres/lock.js';
import { retireDatabaseRoles } from '../../lib/postgres/retire.js';
import { catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
/** The engine's key, spelled out so the test does not depend on the module it checks. */
const KEY = '7180412305917343601';
/** Far below the default lock wait (5 min): a hostage-taker must not cost more than this. */
const FAIL_FAST_MS = 10_000;

/** Settles the promise or reports that it is still waiting after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: Error; waiting?: true; elapsedMs: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ waiting: true }>((resolve) => (timer = setTimeout(() => resolve({ waiting: true }), ms)));
  const settled = promise.then((value) => ({ value }), (error: Error) => ({ error }));
  const out = await Promise.race([settled, timeout]);
  clearTimeout(timer);
  return { ...out, elapsedMs: Date.now() - started };
}

describe.each(testedMajors())('role-model lock on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    await query(server.masterUrl(), "CREATE ROLE squatter LOGIN PASSWORD 'squatter-test-password'");
  });
  afterAll(async () => server?.stop());

  async function holdAs(url: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    await c.query('SELECT pg_advisory_lock($1::bigint)', [KEY]);
    return c;
  }

  it('an unprivileged login holding the key in the maintenance database makes apply fail at once, named', async () => {
    const squatter = await holdAs(server.url('squatter', 'squatter-test-password', 'postgres'));
    try {
      const result = await within(applyRoleModel(spec, conn()), FAIL_FAST_MS);
      expect(result.waiting).toBeUndefined();
      expect(result.error?.message).toMatch(/role-model lock \(advisory lock 7180412305917343601 in database "postgres"\) is held by squatter \(pid \d+\), not by postgres/);
      expect(result.error?.message).toMatch(/pg_terminate_backend\(\d+\)/);
    } finally {
      await squatter.end();
    }
  });

  it('a managed login holding the key in its own database makes apply fail at once, named', async () => {
    const app = await loginAs(server, 'my_pg_app', DB);
    await app.query('SELECT pg_advisory_lock($1::bigint)', [KEY]);
    try {
      const result = await within(applyRoleModel(spec, conn()), FAIL_FAST_MS);
      expect(result.waiting).toBeUndefined();
      expect(result.error?.message).toMatch(/advisory lock 7180412305917343601 in database "my-pg-db"\) is held by my_pg_app/);
    } finally {
      await app.end();
    }
    expect((await applyRoleModel(spec, conn())).steps).toEqual([]);
  });

  it('retire fails at once too, and changes nothing', async () => {
    const squatter = await holdAs(server.url('squatter', 'squatter-test-password', 'postgres'));
    try {
      const before = await catalogSnapshot(server, [DB]);
      const result = await within(retireDatabaseRoles(spec, DB, conn(), { dropDatabase: false }), FAIL_FAST_MS);
      expect(result.error?.message).toMatch(/is held by squatter/);
      expect(await catalogSnapshot(server, [DB])).toEqual(before);
    } finally {
      await squatter.end();
    }
  });

  it('another session of the applying user is waited for, up to the lock wait', async () => {
    const master = await holdAs(server.masterUrl());
    const short = await within(applyRoleModel(spec, conn(), { lockWait: '1s' }), FAIL_FAST_MS);
    expect(short.error?.message).toMatch(/another role-model run by postgres \(pid \d+\) held the lock .* for longer than 1s/);
    expect(short.elapsedMs).toBeGreaterThanOrEqual(900);
    const waiting = applyRoleModel(spec, conn(), { lockWait: '30s' });
    setTimeout(() => void master.end(), 1_500);
    expect((await waiting).steps).toEqual([]);
  });

  it('inside a transaction, a session of the applying user that connected after pg_stat_activity was first read is waited for, not called unknown', async () => {
    const waiter = new pg.Client({ connectionString: server.masterUrl() });
    await waiter.connect();
    let late: pg.Client | undefined;
    try {
      await waiter.query('BEGIN');
      await waiter.query('SELECT count(*) FROM pg_catalog.pg_stat_activity'); // the transaction's view is now fixed
      late = await holdAs(server.masterUrl());
      const result = await within(acquireRoleModelLock(waiter, { lockWait: '1s', transaction: true }), FAIL_FAST_MS);
      expect(result.error?.message).toMatch(/another role-model run by postgres \(pid \d+\) held the lock/);
      expect(result.error?.message).not.toMatch(/unknown role/);
    } finally {
      await waiter.query('ROLLBACK').catch(() => undefined);
      await waiter.end();
      await late?.end();
    }
  });

  it('ten parallel applies on a fresh server converge with no error', async () => {
    const fresh = await startEmbeddedServer({ major });
    try {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => applyRoleModel(spec, { connectionString: fresh.masterUrl() })));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(results.filter((r) => r.status === 'fulfilled' && r.value.steps.length > 0)).toHaveLength(1);
      expect((await applyRoleModel(spec, { connectionString: fresh.masterUrl() })).steps).toEqual([]);
    } finally {
      await fresh.stop();
    }
  }, 180_000);
});
