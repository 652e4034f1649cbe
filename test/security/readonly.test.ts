// Read-only is read-only, as far as PostgreSQL allows (issue 8, item 7). firefighter_ro has the
// default_transaction_read_only guardrail, no TEMPORARY on its database and no privilege that writes; what a
// session can still do when it turns the guardrail off on purpose is listed at the end (README "limits").
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';

describe.each(testedMajors())('firefighter_ro on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let ro: pg.Client;
  const conn = () => ({ connectionString: server.masterUrl() });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    await query(server.masterUrl(DB), `SET ROLE my_pg_owner; CREATE TABLE ${S}.orders (id int PRIMARY KEY, status text); INSERT INTO ${S}.orders VALUES (1, 'new')`);
    ro = await loginAs(server, 'my_pg_firefighter_ro', DB);
  });
  afterAll(async () => {
    await ro?.end().catch(() => undefined);
    await server?.stop();
  });

  it('starts every transaction read-only, from a guardrail the spec cannot leave out', async () => {
    expect((await ro.query('SHOW default_transaction_read_only')).rows).toEqual([{ default_transaction_read_only: 'on' }]);
    const stored = await query<{ setconfig: string[] }>(server.masterUrl(),
      "SELECT setconfig FROM pg_db_role_setting WHERE setrole = 'my_pg_firefighter_ro'::regrole AND setdatabase = (SELECT oid FROM pg_database WHERE datname = $1)", [DB]);
    expect(stored[0]?.setconfig).toContain('default_transaction_read_only=on');
  });

  it.each([
    ['a temporary table', 'CREATE TEMP TABLE t (id int)', 'cannot execute CREATE TABLE in a read-only transaction', /permission denied to create temporary tables in database "my-pg-db"/],
    ['a temporary function', 'CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', 'cannot execute CREATE FUNCTION in a read-only transaction', /permission denied to create temporary tables|permission denied for schema pg_temp/],
    ['a row', `INSERT INTO ${S}.orders VALUES (2, 'x')`, 'cannot execute INSERT in a read-only transaction', /permission denied for table orders/],
    ['a row lock', `SELECT * FROM ${S}.orders FOR UPDATE`, 'cannot execute SELECT FOR UPDATE in a read-only transaction', /permission denied for table orders/],
    ['a table in public', 'CREATE TABLE public.x (id int)', 'cannot execute CREATE TABLE in a read-only transaction', /permission denied for schema public/],
    ['a schema', 'CREATE SCHEMA mine', 'cannot execute CREATE SCHEMA in a read-only transaction', /permission denied for database my-pg-db/],
    ['its own password', "ALTER ROLE my_pg_firefighter_ro VALID UNTIL 'infinity'", 'cannot execute ALTER ROLE in a read-only transaction', /^permission denied( to alter role)?|must have CREATEROLE/],
  ])('cannot create or change %s: the guardrail refuses, and privileges refuse without it', async (_what, sql, readOnly, privilege) => {
    expect(await attempt(ro, sql)).toBe(readOnly);
    await ro.query('SET default_transaction_read_only = off');
    try {
      expect(await attempt(ro, sql)).toMatch(privilege);
    } finally {
      await ro.query('RESET default_transaction_read_only');
    }
  });

  it('limits: with the guardrail turned off it can still create a large object and change its own role settings; verify reports the setting and apply removes it', async () => {
    // Large objects: PUBLIC may call lo_create, and only a superuser could revoke that (README, limits).
    // 16+ refuses it in a read-only transaction; 15 does not even do that.
    expect(await attempt(ro, 'SELECT lo_unlink(lo_create(0))')).toBe(major >= 16 ? 'cannot execute lo_create() in a read-only transaction' : 'ok');
    await ro.query('SET default_transaction_read_only = off');
    try {
      expect(await attempt(ro, 'SELECT lo_unlink(lo_create(0))')).toBe('ok');
      expect(await attempt(ro, `ALTER ROLE my_pg_firefighter_ro IN DATABASE "${DB}" SET default_transaction_read_only = off`)).toBe('ok');
    } finally {
      await ro.query('RESET default_transaction_read_only');
    }
    expect((await verifyRoleModel(spec, conn())).findings.map((f) => f.message)).toContain('my_pg_firefighter_ro in "my-pg-db": default_transaction_read_only is off, expected on');
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });
});
