// The rolemodel CLI: exit codes, output, input validation, and a finite connect timeout.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/rolemodel.js';
import { MASTER_PASSWORD, startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';
import { query } from '../support/catalog.js';

const SPEC = new URL('../../examples/reference.json', import.meta.url).pathname;

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('rolemodel CLI', () => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
  });
  afterAll(async () => server?.stop());

  it('plan prints SQL, apply converges, verify exits 0 with one line; the matrix only with --matrix', async () => {
    // --detailed-exitcode: 2 while changes are pending (old: unknown option, exit 2 for every plan).
    const pending = await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC, '--detailed-exitcode');
    expect(pending.code).toBe(2);
    expect(pending.out).toMatch(/^-- plan: \d+ statements/);
    const plan = await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC);
    expect(plan.code).toBe(0);
    expect(plan.out.split('\n')[0]).toMatch(/^-- plan: \d+ statements \(roles \d+, create database 1, database settings \d+, objects in "my-pg-db" \d+\)$/);
    // db_admin.sql is one line with its hash; --verbose prints it whole.
    expect(plan.out).toMatch(/^\\i sql\/db_admin\.sql -- \d+ lines, sha256:[0-9a-f]{16}; --verbose prints them$/m);
    expect(plan.out).not.toContain('CREATE OR REPLACE FUNCTION');
    const verbose = await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC, '--verbose');
    expect(verbose.out).toContain('CREATE OR REPLACE FUNCTION');
    expect(plan.out).toContain('CREATE ROLE "my_pg_owner" NOLOGIN');
    expect(plan.out).toContain(`CREATE DATABASE "my-pg-db" OWNER "my_pg_owner" TEMPLATE template0 ENCODING 'UTF8' CONNECTION LIMIT 200;`);
    const started = Date.now();
    const apply = await run('apply', '--database-url', server.masterUrl(), '--spec', SPEC, '--progress');
    expect(apply.code).toBe(0);
    expect(apply.out).toMatch(/^apply: ran \d+ statements fixing \d+ findings; verified$/);
    // --progress: a line a phase on stderr once past a second (old: unknown option, and apply was silent).
    const progress = apply.err.split('\n').filter(Boolean);
    expect(progress.every((l) => /^rolemodel apply: [a-z" -]+ \(\d+\.\d s\)$/.test(l))).toBe(true);
    if (Date.now() - started > 2000) expect(progress.at(-1)).toMatch(/^rolemodel apply: (verifying|inspecting .*) \(/);
    // A clean verify is one line (old: the whole access matrix, then that line, on every run).
    const verify = await run('verify', '--database-url', server.masterUrl(), '--spec', SPEC);
    expect(verify).toMatchObject({ code: 0, err: '' });
    expect(verify.out).toMatch(/^verify: postgresql:\/\/postgres@[^ ]+ matches the spec$/);
    const matrix = await run('verify', '--database-url', server.masterUrl(), '--spec', SPEC, '--matrix');
    expect(matrix.out).toMatch(/my_pg_firefighter_ro\s+yes\s+no\s+yes/);
    expect(matrix.out).toContain('matches the spec');
    expect((await run('apply', '--database-url', server.masterUrl(), '--spec', SPEC, '--matrix')).out).toMatch(/my_pg_firefighter_ro\s+yes\s+no\s+yes/);
    expect((await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC)).out).toBe('-- nothing to do: the server matches the spec');
    expect(await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC, '--detailed-exitcode')).toMatchObject({ code: 0, out: '-- nothing to do: the server matches the spec' });
  });

  it('plan --detailed-exitcode: invalid input and errors exit 1, never 2 (which means changes pending)', async () => {
    expect((await run('plan', '--detailed-exitcode', '--spec', SPEC)).code).toBe(1);
    expect((await run('plan', '--detailed-exitcode', '--database-url', server.masterUrl(), '--spec', '/nonexistent.json')).code).toBe(1);
    const unreachable = await run('plan', '--detailed-exitcode', '--database-url', 'postgres://postgres@127.0.0.1:1/postgres', '--spec', SPEC, '--connect-timeout', '2');
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toContain('cannot connect');
  });

  it('verify exits 2 and prints each finding on drift; plan shows the fix; --json is parseable', async () => {
    await query(server.masterUrl(), 'GRANT rds_iam TO my_pg_firefighter_rw');
    const verify = await run('verify', '--database-url', server.masterUrl(), '--spec', SPEC);
    expect(verify.code).toBe(2);
    expect(verify.out).toContain('drift: my_pg_firefighter_rw reaches rds_iam, but it must log in with a password');
    const json = await run('verify', '--database-url', server.masterUrl(), '--spec', SPEC, '--json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, findings: expect.arrayContaining([expect.objectContaining({ code: 'iam', subject: 'my_pg_firefighter_rw' })]) });
    const plan = await run('plan', '--database-url', server.masterUrl(), '--spec', SPEC);
    // On 16+ the grant is rds_superuser's (the master's ADMIN OPTION on rds_iam comes through it): revoked in its name.
    expect(plan.out).toContain('REVOKE "rds_iam" FROM "my_pg_firefighter_rw" GRANTED BY "rds_superuser";');
    expect((await run('apply', '--database-url', server.masterUrl(), '--spec', SPEC)).code).toBe(0);
  });

  it.each([
    [['verify', '--spec', SPEC], '--database-url is required'],
    [['verify', '--database-url', 'postgres://x@h/db'], '--spec is required'],
    [['drop', '--database-url', 'postgres://x@h/db', '--spec', SPEC], 'unknown command "drop"; use plan, apply, verify, retire, init'],
    [['aply', '--database-url', 'postgres://x@h/db', '--spec', SPEC], 'unknown command "aply" (did you mean "apply"?)'],
    [['verify', '--database-url', 'postgres://x@h/db', '--spec', SPEC, '--matirx'], 'unknown flag --matirx (did you mean --matrix?)'],
    [['plan', '--database-url', 'postgres://x@h/db', '--spec', SPEC, '--detailed-exitcodes'], 'unknown flag --detailed-exitcodes (did you mean --detailed-exitcode?)'],
    [['plan', '--database-url', 'postgres://x@h/db', '--spec', SPEC, '--jsn'], 'unknown flag --jsn (did you mean --json?)'],
    [['verify', '--database-url', 'postgres://x@h/db', '--spec', SPEC, 'extra'], 'unexpected argument "extra"'],
    [['verify', '--database-url', 'not a url', '--spec', SPEC], '--database-url is not a URL'],
    [['verify', '--database-url', 'postgres://x@h/db', '--spec', '/nonexistent.json'], 'cannot read spec /nonexistent.json: ENOENT'],
    [['verify', '--database-url', 'postgres://x@h/db', '--spec', SPEC, '--connect-timeout', 'NaN'], '--connect-timeout must be 1 to 300 seconds, got "NaN"'],
  ])('rejects %j with exit 2: %s', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('--help and --version print to stdout and exit 0; each command has its own help', async () => {
    const help = await run('--help');
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toContain('usage: rolemodel plan|apply|verify');
    expect(help.out).toContain('exit codes: 0 matches (or was made to match), 2 drift or invalid input, 1 error');
    for (const command of ['plan', 'apply', 'verify', 'retire', 'init']) {
      const own = await run(command, '--help');
      expect(own).toMatchObject({ code: 0, err: '' });
      expect(own.out).toMatch(new RegExp(`^usage: rolemodel ${command} `));
      expect((await run('help', command)).out).toBe(own.out);
    }
    expect((await run('plan', '--help')).out).toContain('--detailed-exitcode');
    expect((await run('verify', '--help')).out).toContain('--matrix');
    const version = await run('--version');
    expect(version).toMatchObject({ code: 0, err: '' });
    expect(version.out).toMatch(/^rolemodel \d+\.\d+\.\d+/);
  });

  it('a --database that is not in the spec is invalid input: exit 2, nothing connected', async () => {
    const r = await run('verify', '--database-url', 'postgres://x@127.0.0.1:1/postgres', '--spec', SPEC, '--database', 'nosuchdb');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--database "nosuchdb" is not in the spec; choose from my-pg-db');
  });

  it('names the spec field at fault', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spec-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ cluster: 'my-pg', admin: { name: 'pg_admin' }, passwordBroker: { name: 'b' }, databases: [] }));
    const r = await run('verify', '--database-url', server.masterUrl(), '--spec', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('admin.name: "pg_admin" starts with a reserved prefix (pg_ or rds_)');
    expect(r.err).toContain('databases: must be a non-empty array');
  });

  it('an unreachable database fails within the connect timeout, without the password', async () => {
    const started = Date.now();
    const url = `postgres://postgres:${MASTER_PASSWORD}@127.0.0.1:1/postgres`;
    const r = await run('verify', '--database-url', url, '--spec', SPEC, '--connect-timeout', '2');
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.err).toContain('cannot connect to postgresql://postgres@127.0.0.1:1/postgres');
    expect(r.err + r.out).not.toContain(MASTER_PASSWORD);
  });

  it('runs as a real process with the documented exit code', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('../../bin/rolemodel.ts', import.meta.url).pathname,
      'verify', '--database-url', server.masterUrl(), '--spec', SPEC], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('matches the spec');
    expect(r.stdout + r.stderr).not.toContain(MASTER_PASSWORD);
  });
});
