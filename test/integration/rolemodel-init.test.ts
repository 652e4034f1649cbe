// rolemodel init (issue 10.9): a starting spec from a lived-in database the Aurora-like master built, which
// validates, which plan then shows and apply converges; bad input is exit 2 with a clear message.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { inspectForInit } from '../../lib/postgres/init.js';
import { inspectDatabase } from '../../lib/postgres/inspect.js';
import { query, tryLogin } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { livedInSql } from '../support/lived-in.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.each(testedMajors())('rolemodel init on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const dir = mkdtempSync(path.join(tmpdir(), 'rolemodel-init-'));
  const login = (user: string, db: string) => tryLogin(server, user, db);

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    // "shop": the master built everything and the app has its own password login already; a reporting login too.
    await query(server.masterUrl(), 'CREATE DATABASE shop');
    await query(server.masterUrl(), `CREATE ROLE shop_app LOGIN PASSWORD 'pw-shop_app'; CREATE ROLE legacy_report LOGIN PASSWORD 'pw-legacy_report'`);
    await query(server.masterUrl('shop'), `${livedInSql('app')} ${livedInSql('reporting')} CREATE TABLE public.scratch (x int);`);
    // "legacy": a NOLOGIN role owns the database and everything in it.
    await query(server.masterUrl(), 'CREATE ROLE legacy_owner NOLOGIN; GRANT legacy_owner TO postgres');
    await query(server.masterUrl(), 'CREATE DATABASE legacy OWNER legacy_owner');
    // A schema may carry a name reserved for roles ("none"): init lists it and the role model manages it.
    await query(server.masterUrl('legacy'), `SET ROLE legacy_owner; ${livedInSql('sales')} ${livedInSql('none')}`);
  });
  afterAll(async () => server?.stop());

  it('writes a spec from a lived-in database: its schemas, the app login adopted, other logins kept connected', async () => {
    const init = await run('init', '--database-url', server.masterUrl(), '--database', 'shop');
    expect(init.code).toBe(0);
    const spec = parseSpec(JSON.parse(init.out));
    expect(spec.cluster).toBe('shop');
    const db = spec.databases[0];
    expect(db?.schemas).toEqual(['app', 'reporting']);
    expect(db?.roles.owner).toEqual({ name: 'shop_owner' });
    // A password login stays one: no "iam", or the first apply would switch the running app to IAM tokens.
    expect(db?.roles.app).toEqual({ name: 'shop_app', adopt: true, guardrails: { searchPath: ['app', 'reporting', 'public'] } });
    expect(db?.roles.migrator).toEqual({ name: 'shop_migrator', iam: true, guardrails: { searchPath: ['app', 'reporting', 'public'] } });
    expect(db?.keepConnect).toEqual(['legacy_report']);
    expect(spec.admin).toEqual({ name: 'shop_admin' });
    expect(init.err).toContain('rolemodel init: cluster "shop" (from the database name (pass --cluster to choose it))');
    expect(init.err).toContain('rolemodel init: app: shop_app exists; adopted ("adopt": true): plan lists every change adopting it makes');
    expect(init.err).toContain('rolemodel init: owner: the objects are owned by postgres; apply hands every one of them to shop_owner');
    expect(init.err).toMatch(/schema public holds 1 table\(s\).*move them/);
  });

  it('--out writes a new file (never overwrites); plan shows it, apply converges it, nobody is locked out', async () => {
    const file = path.join(dir, 'shop.json');
    const init = await run('init', '--database-url', server.masterUrl(), '--database', 'shop', '--out', file);
    expect(init.code).toBe(0);
    expect(init.out).toBe('');
    const again = await run('init', '--database-url', server.masterUrl(), '--database', 'shop', '--out', file);
    expect(again.code).toBe(2);
    expect(again.err).toContain(`rolemodel init: ${file} exists; init never overwrites a file: remove it or choose another --out`);
    const plan = await run('plan', '--database-url', server.masterUrl(), '--spec', file);
    expect(plan.code).toBe(0);
    expect(plan.out.split('\n')[0]).toMatch(/^-- plan: \d+ statements \(roles \d+, database settings \d+, objects in "shop" \d+\)$/);
    expect(plan.out).toContain('-- adopt shop_app (app role, not created by cdk-aurora-firefighter)');
    expect(plan.out).toContain('ALTER TABLE "app"."orders" OWNER TO "shop_owner"');
    const apply = await run('apply', '--database-url', server.masterUrl(), '--spec', file);
    expect(apply.err).toBe('');
    expect(apply.code).toBe(0);
    expect((await run('verify', '--database-url', server.masterUrl(), '--spec', file)).code).toBe(0);
    expect((await run('plan', '--database-url', server.masterUrl(), '--spec', file)).out).toBe('-- nothing to do: the server matches the spec');
    expect(await login('shop_app', 'shop')).toBe('connected');
    expect(await login('legacy_report', 'shop')).toBe('connected');
  });

  it('a NOLOGIN role that owns everything becomes the owner, adopted; plan and apply take it from there', async () => {
    const file = path.join(dir, 'legacy.json');
    const init = await run('init', '--database-url', server.masterUrl(), '--database', 'legacy', '--cluster', 'legacy-pg', '--out', file);
    expect(init.code).toBe(0);
    const spec = parseSpec(JSON.parse(readFileSync(file, 'utf8')));
    expect(spec.databases[0]?.schemas).toEqual(['none', 'sales']);
    expect(spec.databases[0]?.roles.app.guardrails?.searchPath).toEqual(['none', 'sales', 'public']);
    expect(spec.databases[0]?.roles.owner).toEqual({ name: 'legacy_owner', adopt: true });
    expect(spec.databases[0]?.roles.app.name).toBe('legacy_pg_app');
    expect(init.err).toContain('owner: legacy_owner owns every listed schema and every object in them; adopted ("adopt": true) as the owner');
    const plan = await run('plan', '--database-url', server.masterUrl(), '--spec', file);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('-- adopt legacy_owner (owner role, not created by cdk-aurora-firefighter)');
    expect(plan.out).not.toContain('OWNER TO "legacy_owner"');
    expect((await run('apply', '--database-url', server.masterUrl(), '--spec', file)).code).toBe(0);
    expect((await run('verify', '--database-url', server.masterUrl(), '--spec', file)).code).toBe(0);
  });

  it('bad input: exit 2 with what to do, and nothing written', async () => {
    const missing = await run('init', '--database-url', server.masterUrl());
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('rolemodel init: --database is required: name the existing database to describe, e.g. --database my-pg-db');
    const file = path.join(dir, 'nosuch.json');
    const nosuch = await run('init', '--database-url', server.masterUrl(), '--database', 'nosuchdb', '--out', file);
    expect(nosuch.code).toBe(2);
    expect(nosuch.err).toMatch(/^rolemodel init: database "nosuchdb" does not exist on .*; choose one of "legacy", "postgres", "shop"$/m);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
    const badCluster = await run('init', '--database-url', server.masterUrl(), '--database', 'shop', '--cluster', 'my_pg');
    expect(badCluster.code).toBe(2);
    expect(badCluster.err).toContain('--cluster must be an Aurora cluster identifier');
    // A valid cluster id whose role names could not be managed: refused before connecting (before: exit 1 after
    // inspecting, "the spec written … does not validate").
    for (const cluster of ['pg-staging', `c${'x'.repeat(48)}`]) {
      const unusable = await run('init', '--database-url', server.masterUrl(), '--database', 'shop', '--cluster', cluster);
      expect([unusable.code, unusable.err]).toEqual([2, expect.stringContaining(`after cluster "${cluster}" (from --cluster), which PostgreSQL or Aurora reserve or which pass 63 bytes; pass --cluster with a shorter id`)]);
    }
    await query(server.masterUrl(), 'CREATE DATABASE only_public');
    const onlyPublic = await run('init', '--database-url', server.masterUrl(), '--database', 'only_public');
    expect(onlyPublic.code).toBe(2);
    expect(onlyPublic.err).toContain('rolemodel init: database "only_public" has no schema besides public; the role model manages application schemas: create one (CREATE SCHEMA app) and move the objects there, then run init again');
  });
  it('counts objects as the engine does: a serial or identity sequence follows its table, a partitioned table counts', async () => {
    await query(server.masterUrl(), 'CREATE ROLE tally_owner NOLOGIN; CREATE ROLE parts_owner NOLOGIN; GRANT tally_owner, parts_owner TO postgres');
    await query(server.masterUrl(), 'CREATE DATABASE counted OWNER tally_owner');
    await query(server.masterUrl('counted'), `SET ROLE tally_owner;
      CREATE SCHEMA app; CREATE TABLE app.t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n serial, note text);
      CREATE SCHEMA parts; GRANT USAGE, CREATE ON SCHEMA parts TO parts_owner; SET ROLE parts_owner;
      CREATE TABLE parts.p (k int) PARTITION BY RANGE (k); CREATE TABLE parts.p1 PARTITION OF parts.p FOR VALUES FROM (0) TO (10);`);
    const facts = await inspectForInit({ connectionString: server.masterUrl() }, 'counted');
    expect(facts.schemas.map((x) => [x.name, x.objects])).toEqual([['app', 1], ['parts', 2], ['public', 0]]);
    expect(facts.owners).toEqual([{ owner: 'tally_owner', schema: 'app', objects: 1 }, { owner: 'parts_owner', schema: 'parts', objects: 2 }]);

    // The same objects the engine would hand to an owner that does not exist yet (every one of them misowned).
    const init = await run('init', '--database-url', server.masterUrl(), '--database', 'counted', '--cluster', 'counted');
    expect(init.code).toBe(0);
    expect(init.err).toContain('owner: the objects are owned by tally_owner, parts_owner; apply hands every one of them to counted_owner');
    const spec = resolveModel(parseSpec(JSON.parse(init.out)));
    const db = spec.databases[0];
    if (!db) throw new Error('init wrote no database');
    const client = new pg.Client({ connectionString: server.masterUrl('counted') });
    await client.connect();
    try {
      const engine = await inspectDatabase(client, spec, db, major, false);
      const bySchema = (schema: string) => engine.misownedObjects.filter((o) => o.schema === schema).length;
      expect(facts.schemas.filter((x) => x.name !== 'public').map((x) => [x.name, x.objects])).toEqual([['app', bySchema('app')], ['parts', bySchema('parts')]]);
    } finally {
      await client.end();
    }
  });
});
