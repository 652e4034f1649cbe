// The SQL blocks of the docs, each run on a real server with the reference spec applied, as the role its
// `<!-- check: sql as ROLE in DATABASE -->` marker names, in page order (the migration creates the table the
// runbook's change updates). A block that fails, or a marker naming a role the model does not have, fails here.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { loginAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { allCodeBlocks } from '../support/markdown.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const blocks = allCodeBlocks().filter((b) => b.lang === 'sql');
// One major is enough: the statements are the docs', and the engine's behaviour per major is tested elsewhere.
const major = testedMajors()[0]!;

describe(`SQL in the docs, on PostgreSQL ${major}`, () => {
  let server: EmbeddedServer;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  it('finds the blocks it runs', () => expect(blocks.length).toBeGreaterThanOrEqual(2));

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', async (_where, block) => {
    const marker = /^sql as (\S+) in (\S+)$/.exec(block.check ?? '');
    expect(marker, `${block.file}:${block.line} needs <!-- check: sql as ROLE in DATABASE -->`).not.toBeNull();
    const [, role, database] = marker!;
    if (block.file === 'docs/runbook.md') {
      // The runbook's change assumes the order the incident is about: the application wrote it.
      const app = await loginAs(server, 'my_pg_app', database!);
      clients.push(app);
      await app.query(`INSERT INTO "my-pg-db-schema".orders (order_no) VALUES ('ORD-1001')`);
    }
    const client = await loginAs(server, role!, database!);
    clients.push(client);
    const results = await client.query(block.text);
    const last = (Array.isArray(results) ? results : [results]).filter((r: pg.QueryResult) => r.command !== 'COMMIT' && r.command !== 'RESET').at(-1) as pg.QueryResult;
    if (block.file === 'docs/runbook.md') expect(last.rows).toMatchObject([{ order_no: 'ORD-1001', status: 'cancelled' }]);
  });
});
