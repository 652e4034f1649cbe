// Issue 8.2: names are data. Schema, role and database names full of SQL and URL syntax reach the server
// exactly through the rolemodel CLI (apply, verify, plan, --database), including after the database's owner
// turned standard_conforming_strings off, and no name ever ends a quoted or dollar-quoted block.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const SCHEMAS = ['$x$', '$reassign$', '$$', `q"uo'te`, 'back\\slash', "END $reassign$; DROP ROLE canary; --", 'a,b "c"'];

/** One spec per case; cluster-level roles differ so the two cases share a server without sharing roles. */
function ownerName(prefix: string): string {
  return `${prefix}_o$reassign$'"\\`;
}

function hostileSpec(db: string, prefix: string) {
  return parseSpec({
    cluster: prefix,
    admin: { name: `${prefix}_admin` },
    passwordBroker: { name: `${prefix}_broker`, iam: false },
    databases: [{
      name: db,
      schemas: SCHEMAS,
      roles: {
        owner: { name: ownerName(prefix) },
        migrator: { name: `${prefix}_migrator` },
        app: { name: `${prefix}_app$$'"\\`, guardrails: { searchPath: ['$reassign$', 'back\\slash', 'a,b "c"', 'public'] } },
        firefighterRo: { name: `${prefix}_ro`, guardrails: { statementTimeout: '5min' } },
        firefighterRw: { name: `${prefix}_rw`, guardrails: { statementTimeout: '5min' } },
      },
    }],
  });
}

const CASES = [
  // URL syntax in the database name reaches the server through --database-url and --database.
  { label: 'a database name with ; / ? # $ + % quotes and a backslash', db: `h1;/?#$+ 'q"\\db%41`, prefix: 'hostile' },
  // A plain database name, so the schema names alone are exercised (the old DO $reassign$ block).
  { label: 'a plain database name', db: 'plain-db', prefix: 'plain' },
];

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

describe.each(testedMajors())('hostile names on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const specFile = path.join(mkdtempSync(path.join(tmpdir(), 'names-')), 'spec.json');

  /** Explicit fields, not a URL: the test must not depend on the URL handling it checks. */
  function client(url: string, database: string): pg.Client {
    const u = new URL(url);
    const c = new pg.Client({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database, ssl: server.ssl });
    c.on('error', () => undefined);
    return c;
  }
  async function superuser<T extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const c = client(server.superuserUrl(), database);
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  }
  async function cli(spec: RoleModelSpec, ...argv: string[]) {
    writeFileSync(specFile, JSON.stringify(spec));
    const out: string[] = [];
    const code = await main([...argv, '--database-url', server.masterUrl(), '--spec', specFile], (l) => out.push(l), (l) => out.push(l));
    return { code, out: out.join('\n') };
  }

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    const c = client(server.masterUrl(), 'postgres');
    await c.connect();
    await c.query('CREATE ROLE canary NOLOGIN');
    await c.end();
  });
  afterAll(async () => server?.stop());

  describe.each(CASES)('$label', ({ db: DB, prefix }) => {
    const spec = hostileSpec(DB, prefix);
    const owner = ownerName(prefix);
    const migrator = `${prefix}_migrator`;

    it('apply creates the database and every schema with exactly the spec names; verify and plan agree', async () => {
      const applied = await cli(spec, 'apply');
      expect(applied.out).toMatch(/apply: ran \d+ statements/);
      expect(applied.code).toBe(0);
      const schemas = await superuser<{ nspname: string; owner: string }>(DB,
        'SELECT nspname, nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = ANY ($1) ORDER BY nspname', [SCHEMAS]);
      expect(schemas.map((s) => s.nspname)).toEqual([...SCHEMAS].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1)));
      expect(new Set(schemas.map((s) => s.owner))).toEqual(new Set([q(owner)]));
      expect(await cli(spec, 'verify')).toMatchObject({ code: 0 });
      expect((await cli(spec, 'plan')).out).toBe('-- nothing to do: the server matches the spec');
      expect(await cli(spec, 'verify', '--database', DB)).toMatchObject({ code: 0 });
    });

    it('with standard_conforming_strings off on the database, misowned objects are handed over and nothing else runs', async () => {
      const master = client(server.masterUrl(), 'postgres');
      await master.connect();
      await master.query(`ALTER ROLE ${migrator} PASSWORD 'migrator-test-password'`);
      await master.end();
      const session = client(server.url(migrator, 'migrator-test-password'), DB);
      await session.connect();
      await session.query(`SET ROLE ${q(owner)};
        ALTER DATABASE ${q(DB)} SET standard_conforming_strings = off;
        GRANT CREATE, USAGE ON SCHEMA ${q('$reassign$')}, ${q('$$')} TO ${migrator};
        RESET ROLE;
        CREATE TABLE ${q('$reassign$')}.${q("t$reassign$'")} (id serial PRIMARY KEY);
        CREATE SEQUENCE ${q('$$')}.${q('s\\q')};
        CREATE FUNCTION ${q('$$')}.${q('f$$')}(${q('a"b')} integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
        CREATE TYPE ${q('$reassign$')}.${q('e$x$')} AS ENUM ('a');`);
      await session.end();

      const verify = await cli(spec, 'verify');
      expect(verify.code).toBe(2);
      expect(verify.out).toContain(`object(s) are owned by ${migrator}, expected ${owner}`);
      // The finding names the hostile objects exactly as they are spelled.
      expect(verify.out).toContain(`t$reassign$'`);

      const applied = await cli(spec, 'apply', '--database', DB);
      expect(applied.out).toMatch(/apply: ran \d+ statements/);
      expect(applied.code).toBe(0);
      const owners = await superuser<{ n: string; owner: string }>(DB,
        `SELECT c.relname::text AS n, c.relowner::regrole::text AS owner FROM pg_class c WHERE c.relnamespace IN ($1::regnamespace, $2::regnamespace)
         UNION ALL SELECT p.proname, p.proowner::regrole::text FROM pg_proc p WHERE p.pronamespace = $2::regnamespace
         UNION ALL SELECT t.typname, t.typowner::regrole::text FROM pg_type t WHERE t.typnamespace = $1::regnamespace AND t.typtype = 'e'
         ORDER BY 1`, [q('$reassign$'), q('$$')]);
      expect(owners.length).toBeGreaterThanOrEqual(5);
      expect(owners.filter((o) => o.owner !== q(owner))).toEqual([]);
      expect(await cli(spec, 'verify')).toMatchObject({ code: 0 });
      expect(await superuser(DB, 'SELECT rolname FROM pg_roles WHERE rolname = $1', ['canary'])).toEqual([{ rolname: 'canary' }]);
    });
  });
});
