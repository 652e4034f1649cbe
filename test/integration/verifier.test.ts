// rolemodel verify as the spec's verifier (issue 10.7): a login with CONNECT and nothing else, created by apply,
// that CI and monitoring can run verify as (with an IAM token when "iam": true). It reports real drift, never
// drift that is only what it cannot see, and says what it did not check. Any other non-master login is refused
// with what it lacks. Exit codes: 0 match, 2 drift or bad input, 1 error.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { loginPassword, needsIamToken, query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const spec = parseSpec({ ...reference, verifier: { name: 'my_pg_verifier', iam: true } });
const DB = 'my-pg-db';
const V = 'my_pg_verifier';

describe.each(testedMajors())('verify as the spec\'s verifier on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let dir: string;
  let specFile: string;
  const conn = () => ({ connectionString: server.masterUrl() });

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, (l) => out.push(l), (l) => err.push(l), {});
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const verifierUrl = async () => server.url(V, await loginPassword(server, V), 'postgres');

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    dir = mkdtempSync(path.join(tmpdir(), 'verifier-'));
    specFile = path.join(dir, 'rolemodel.json');
    writeFileSync(specFile, JSON.stringify(spec));
    await applyRoleModel(spec, conn());
    await query(server.masterUrl(DB), 'SET ROLE my_pg_owner; CREATE TABLE "my-pg-db-schema".orders (id int PRIMARY KEY, status text)');
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('apply creates the verifier: LOGIN, IAM, CONNECT to the database, no membership, nothing in any schema', async () => {
    const [role] = await query<{ rolcanlogin: boolean; rolcreaterole: boolean; rolsuper: boolean; members: string[] }>(server.masterUrl(),
      `SELECT rolcanlogin, rolcreaterole, rolsuper, ARRAY(SELECT m.roleid::regrole::text FROM pg_auth_members m WHERE m.member = r.oid ORDER BY 1) AS members FROM pg_roles r WHERE rolname = $1`, [V]);
    expect(role).toEqual({ rolcanlogin: true, rolcreaterole: false, rolsuper: false, members: ['rds_iam'] });
    expect(await needsIamToken(server, V)).toBe(true);
    const [access] = await queryAs<{ connect: boolean; usage: boolean; select: boolean }>(server.masterUrl(DB), 'my_pg_owner',
      `SELECT has_database_privilege($1, current_database(), 'CONNECT') AS connect, has_schema_privilege($1, 'my-pg-db-schema', 'USAGE') AS usage,
              has_table_privilege($1, '"my-pg-db-schema".orders', 'SELECT') AS select`, [V]);
    expect(access).toEqual({ connect: true, usage: false, select: false });
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
  });

  it('verify as the verifier (IAM token): exit 0, no drift, and a note of what it did not check', async () => {
    const url = await verifierUrl();
    const result = await verifyRoleModel(spec, { connectionString: url });
    expect(result.findings).toEqual([]);
    expect(result.notes?.[0]).toMatch(`not checked as ${V}: db_admin's allowlist, per-person login policies and its functions and tables against sql/db_admin*.sql (they need SET ROLE my_pg_admin`);
    const cli = await run('verify', '--database-url', url, '--spec', specFile);
    expect(cli.err).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.out).toMatch(`note: not checked as ${V}`);
    expect(cli.out).toMatch('matches the spec');
  });

  it('verify as the verifier reports real drift with exit 2; --database nosuchdb is input (2)', async () => {
    await query(server.masterUrl(DB), 'SET ROLE my_pg_owner; GRANT DELETE ON "my-pg-db-schema".orders TO my_pg_app');
    const url = await verifierUrl();
    const cli = await run('verify', '--database-url', url, '--spec', specFile);
    expect(cli.code).toBe(2);
    expect(cli.out).toMatch(/drift: my_pg_app has DELETE on 1 of 1 tables/);
    const nosuch = await run('verify', '--database-url', url, '--spec', specFile, '--database', 'nosuchdb');
    expect(nosuch.code).toBe(2);
    expect(nosuch.err).toMatch('rolemodel: --database "nosuchdb" is not in the spec; choose from my-pg-db');
    await applyRoleModel(spec, conn());
    expect((await run('verify', '--database-url', await verifierUrl(), '--spec', specFile)).code).toBe(0);
  });

  it('a hand-set firefighter password with no expiry is drift the verifier sees too', async () => {
    await query(server.masterUrl(), "ALTER ROLE my_pg_firefighter_ro PASSWORD 'hand-set-pw' VALID UNTIL 'infinity'");
    const result = await verifyRoleModel(spec, { connectionString: await verifierUrl() });
    expect(result.findings.map((f) => f.message).join('\n')).toMatch('my_pg_firefighter_ro: password set outside the broker');
    await applyRoleModel(spec, conn());
  });

  it('another non-master login is refused with what it lacks (exit 1), never with drift', async () => {
    await query(server.masterUrl(), "CREATE ROLE ci_reader LOGIN PASSWORD 'ci-reader-pw'");
    const cli = await run('verify', '--database-url', server.url('ci_reader', 'ci-reader-pw', 'postgres'), '--spec', specFile);
    expect(cli.code).toBe(1);
    expect(cli.out).not.toMatch(/drift:/);
    expect(cli.err).toMatch(`rolemodel: cannot verify as ci_reader: it is neither the master (no CREATEROLE, cannot SET ROLE my_pg_admin, which db_admin's allowlist and audit need) nor the spec's verifier; run verify as the master, or as the spec's verifier ${V}`);
  });

  it('--help goes to stdout with exit 0', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/verify/);
    expect(help.err).toBe('');
    void pg;
  });
});
