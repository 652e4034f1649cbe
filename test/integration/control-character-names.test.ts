// Issue 17: a catalog name with control characters (a table named `orders\nSELECT 'INJECTED'`) is escaped in
// every human-readable line rolemodel prints (verify's findings, plan's comments, apply's lines), so it can
// neither forge a line in a CI log nor end a `--` comment in a plan a DBA runs; the SQL keeps the exact name,
// and --json carries it exactly.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

// The reference spec, keeping legacy_app connected (so plan names what it reaches only through PUBLIC).
const SPEC = path.join(mkdtempSync(path.join(tmpdir(), 'names-')), 'spec.json');
const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as { databases: Record<string, unknown>[] };
writeFileSync(SPEC, JSON.stringify({ ...reference, databases: [{ ...reference.databases[0], keepConnect: ['legacy_app'] }] }));
const NAME = "orders\nSELECT 'INJECTED'";
const ESCAPED = "orders\\nSELECT 'INJECTED'";

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  // Lines as a CI log shows them: each call may hold several.
  return { code, out: out.join('\n'), err: err.join('\n'), lines: [...out, ...err].join('\n').split('\n') };
}

describe.each(testedMajors())('names with control characters on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const url = () => server.masterUrl();

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await query(server.superuserUrl(), 'CREATE ROLE legacy_app LOGIN');
    expect((await run('apply', '--database-url', url(), '--spec', SPEC)).code).toBe(0);
    // The migrator built a table with that name, gave the read-only firefighter DELETE on it and PUBLIC SELECT,
    // which an unmanaged login relies on: findings and a plan warning name it, the handover names it in SQL.
    await query(server.superuserUrl('my-pg-db'), `CREATE TABLE "my-pg-db-schema"."${NAME}" (id int);
      ALTER TABLE "my-pg-db-schema"."${NAME}" OWNER TO my_pg_migrator;
      GRANT DELETE ON "my-pg-db-schema"."${NAME}" TO my_pg_firefighter_ro;
      GRANT SELECT ON "my-pg-db-schema"."${NAME}" TO PUBLIC;
      GRANT USAGE ON SCHEMA "my-pg-db-schema" TO legacy_app`);
  });
  afterAll(async () => server?.stop());

  it('verify names the table escaped, one finding per line (old: the name broke the line and forged one)', async () => {
    const verify = await run('verify', '--database-url', url(), '--spec', SPEC);
    expect(verify.code).toBe(2);
    expect(verify.out).toContain(ESCAPED);
    expect(verify.lines.filter((l) => l.includes('INJECTED')).every((l) => l.startsWith('drift: '))).toBe(true);
    expect(verify.lines.some((l) => l.startsWith("SELECT 'INJECTED'"))).toBe(false);
  });

  it('--json keeps the exact name', async () => {
    const json = await run('verify', '--database-url', url(), '--spec', SPEC, '--json');
    const findings = (JSON.parse(json.out) as { findings: { objects?: string[]; message: string }[] }).findings;
    expect(findings.some((f) => f.message.includes(NAME) || f.objects?.some((o) => o.includes(NAME)))).toBe(true);
  });

  it('plan escapes the name in comments; the only raw newline is inside a quoted identifier of a statement', async () => {
    const plan = await run('plan', '--database-url', url(), '--spec', SPEC);
    expect(plan.code).toBe(0);
    const comments = plan.lines.filter((l) => l.startsWith('--') && l.includes('INJECTED'));
    expect(comments.length).toBeGreaterThan(0);
    expect(comments.every((l) => l.includes(ESCAPED))).toBe(true);
    // A line that starts with the injected text continues an identifier opened on the line before, in SQL.
    const continued = plan.lines.flatMap((l, i) => (l.startsWith("SELECT 'INJECTED'") ? [plan.lines[i - 1] ?? ''] : []));
    expect(continued.length).toBeGreaterThan(0);
    for (const before of continued) {
      expect(before.startsWith('--')).toBe(false);
      expect(before.endsWith('"orders')).toBe(true);
    }
  });

  it('apply hands the table over and revokes the DELETE with the exact name, then verify is clean', async () => {
    const apply = await run('apply', '--database-url', url(), '--spec', SPEC);
    expect(apply.err).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.lines.some((l) => l.startsWith("SELECT 'INJECTED'"))).toBe(false);
    const [table] = await query<{ owner: string }>(server.superuserUrl('my-pg-db'), `SELECT relowner::regrole::text AS owner FROM pg_class WHERE relname = $1`, [NAME]);
    expect(table?.owner).toBe('my_pg_owner');
    expect((await run('verify', '--database-url', url(), '--spec', SPEC)).code).toBe(0);
  });
});
