// Issue 19.4: `rolemodel retire` runs what the custom resource's Delete does under DESTROY, from a terminal, with
// the same safety rules: a plan first (--dry-run changes nothing), only marked roles, a role that owns objects
// handed over with its data kept (--mode retain) or the database dropped (--mode destroy), and a master that
// can still log in afterwards; a role reaching rds_iam through a group outside the spec stops it before anything changes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const SPEC = new URL('../../examples/reference.json', import.meta.url).pathname;
const DB = 'my-pg-db';
const S = '"my-pg-db-schema"';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.each(testedMajors())('rolemodel retire on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let app: pg.Client;
  const url = () => server.masterUrl();
  const roles = async () => (await query<{ rolname: string }>(url(), "SELECT rolname FROM pg_roles WHERE rolname LIKE 'my\\_pg\\_%' ORDER BY 1")).map((r) => r.rolname);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    expect((await run('apply', '--database-url', url(), '--spec', SPEC)).code).toBe(0);
    // The owner owns a table with data (made through the migrator's SET ROLE, as a migration would); the app
    // has a session open.
    await query(server.superuserUrl(DB), `SET ROLE my_pg_owner; CREATE TABLE ${S}.orders (id int); INSERT INTO ${S}.orders VALUES (1), (2), (3)`);
    app = await loginAs(server, 'my_pg_app', DB);
  });
  afterAll(async () => {
    await app?.end().catch(() => undefined);
    await server?.stop();
  });

  it('--dry-run prints one line a role and changes nothing (old: no retire verb at all)', async () => {
    const before = await catalogSnapshot(server, ['postgres', DB]);
    const dry = await run('retire', '--database-url', url(), '--spec', SPEC, '--dry-run');
    expect(dry.err).toBe('');
    expect(dry.code).toBe(0);
    const lines = dry.out.split('\n');
    expect(lines[0]).toBe(`-- retire "${DB}" (--mode retain): drop 5 roles, keep 0, end 1 session`);
    expect(lines).toContainEqual(expect.stringMatching(/^drop my_pg_owner \(NOLOGIN; owns \d+ objects in "my-pg-db": reassigned to postgres\)$/));
    expect(lines).toContain('drop my_pg_app (login; 1 session ended)');
    expect(lines).toContain(`keep database "${DB}" and its data`);
    expect(lines.at(-1)).toBe('retire --dry-run: nothing changed');
    expect(await catalogSnapshot(server, ['postgres', DB])).toEqual(before);
    expect((await app.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('refuses, changing nothing, when a role reaches rds_iam through a group outside the spec', async () => {
    await query(server.superuserUrl(), 'CREATE ROLE ext_iam NOLOGIN; GRANT rds_iam TO ext_iam; GRANT ext_iam TO my_pg_firefighter_rw');
    try {
      const before = await catalogSnapshot(server, ['postgres', DB]);
      const r = await run('retire', '--database-url', url(), '--spec', SPEC);
      expect(r.code).toBe(1);
      expect(r.err).toContain('rolemodel: retire refused, nothing changed: my_pg_firefighter_rw reach rds_iam through a group outside the spec');
      expect(await catalogSnapshot(server, ['postgres', DB])).toEqual(before);
    } finally {
      await query(server.superuserUrl(), 'REVOKE ext_iam FROM my_pg_firefighter_rw; DROP ROLE ext_iam');
    }
  });

  it('invalid input changes nothing: an unknown mode, destroy without --database', async () => {
    expect(await run('retire', '--database-url', url(), '--spec', SPEC, '--mode', 'drop')).toMatchObject({ code: 2, err: expect.stringContaining('--mode must be retain or destroy, got "drop"') });
    expect(await run('retire', '--database-url', url(), '--spec', SPEC, '--mode', 'destroy')).toMatchObject({ code: 2, err: expect.stringContaining('--mode destroy drops databases and all their data: name each one with --database') });
    expect((await roles()).length).toBe(7);
  });

  it('--mode retain drops only marked roles, keeps the data (now the master\'s), ends sessions; the master still logs in', async () => {
    // A role without the engine's mark is someone else's: kept, named.
    const [mark] = await query<{ c: string }>(url(), "SELECT shobj_description('my_pg_firefighter_ro'::regrole, 'pg_authid') AS c");
    await query(server.superuserUrl(), 'COMMENT ON ROLE my_pg_firefighter_ro IS NULL');
    const r = await run('retire', '--database-url', url(), '--spec', SPEC).finally(() => query(server.superuserUrl(), `COMMENT ON ROLE my_pg_firefighter_ro IS '${String(mark?.c).replace(/'/g, "''")}'`));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('keep my_pg_firefighter_ro: cdk-aurora-firefighter did not create it');
    expect(r.out).toContain(`retire "${DB}": dropped 4 roles, kept 1, ended 1 sessions; database kept`);
    expect(await roles()).toEqual(['my_pg_admin', 'my_pg_firefighter_ro', 'my_pg_password_broker']);
    expect(await query(server.masterUrl(DB), `SELECT relowner::regrole::text AS owner, (SELECT count(*)::int FROM ${S}.orders) AS n FROM pg_class WHERE oid = '${S}.orders'::regclass`))
      .toEqual([{ owner: 'postgres', n: 3 }]);
    await expect(app.query('SELECT 1')).rejects.toThrow(/terminat|connection/i);
    // The master logs in with its password (it never borrowed a role in rds_iam).
    expect(await query(server.masterUrl(DB), 'SELECT current_user AS u')).toEqual([{ u: 'postgres' }]);
    // Again, with the mark back: only that role is left to drop.
    const again = await run('retire', '--database-url', url(), '--spec', SPEC, '--dry-run');
    expect(again.out.split('\n')[0]).toBe(`-- retire "${DB}" (--mode retain): drop 1 role, keep 0, end 0 sessions`);
  });

  it('--mode destroy --database drops the database with its data, and the roles', async () => {
    expect((await run('apply', '--database-url', url(), '--spec', SPEC)).code).toBe(0);
    const dry = await run('retire', '--database-url', url(), '--spec', SPEC, '--mode', 'destroy', '--database', DB, '--dry-run');
    expect(dry.out).toContain(`drop database "${DB}" WITH (FORCE): every session in it ends and ALL ITS DATA IS GONE`);
    expect(dry.out).toMatch(/^drop my_pg_owner \(NOLOGIN; owns \d+ objects in "my-pg-db": dropped with the database\)$/m);
    const r = await run('retire', '--database-url', url(), '--spec', SPEC, '--mode', 'destroy', '--database', DB);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`retire "${DB}": dropped 5 roles, kept 0, ended 0 sessions; database dropped`);
    expect(await query(url(), 'SELECT datname FROM pg_database WHERE datname = $1', [DB])).toEqual([]);
    expect(await roles()).toEqual(['my_pg_admin', 'my_pg_password_broker']);
    expect(await query(url(), 'SELECT current_user AS u')).toEqual([{ u: 'postgres' }]);
    void major;
  });
});
