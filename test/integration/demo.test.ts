// `npm run demo` is the README's main command: run it as a newcomer would, so it cannot silently rot.
import { spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The words of a printed command line: its quoting is plain '...' and "..." only. */
const shellWords = (line: string): string[] => (line.match(/'[^']*'|"[^"]*"|[^\s'"]+/g) ?? []).map((w) => w.replace(/^['"]|['"]$/g, ''));

describe('npm run demo', () => {
  it('runs every step as described, exits 0, and leaves nothing running', async () => {
    const started = Date.now();
    const run = spawnSync('npm', ['run', '--silent', 'demo'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/^\d+ passed, 0 failed in [\d.]+ s$/m);
    const steps = ['create', 'verify', 'idempotent', 'migration', 'forgot SET ROLE', 'app writes', 'app delete', 'defaults',
      'request ro', 'login', 'ro update', 'status', 'second request', 'revoke', 'login again', 'audit trail',
      'per-person', 'two responders', 'rw pending', 'self-approval', 'approved', 'rw login', 'revoke all', 'events', 'history'];
    for (const step of steps) {
      expect(output).toMatch(new RegExp(`^  ok    ${step}`, 'm'));
    }
    // The new story (issue 12.6): two people on logins of their own at once, read-write approved by a second
    // person, the events as EventBridge receives them, and the incident's history from db_admin.
    expect(output).toMatch(/^ {2}ok {4}two responders alice is my_pg_firefighter_ro_[0-9a-f]{6}, bob is my_pg_firefighter_ro_[0-9a-f]{6}: both logged in at once/m);
    expect(output).toMatch(/^ {2}ok {4}rw pending {5}alice asked for read-write: pending \(APPROVAL_PENDING, request \d+, CLI exit 3\)/m);
    expect(output).toMatch(/^ {2}ok {4}self-approval {2}alice cannot approve her own request \(SELF_APPROVAL\)/m);
    expect(output).toMatch(/^ {2}ok {4}approved {7}carol \(lead\) approved request \d+ for alice/m);
    expect(output).toMatch(/^ {2}ok {4}rw login {7}alice got my_pg_firefighter_rw_[0-9a-f]{6} on approval \d+/m);
    for (const type of ['issued', 'pending', 'refused', 'approved', 'revoked']) {
      expect(output).toMatch(new RegExp(`^ {10}firefighter ${type} +\\{"awsRequestId":.*"caller":"arn:aws:sts::000000000000:assumed-role/`, 'm'));
    }
    const history = /db_admin\.firefighter_history\('INC-4713'\):\n((?: {10}\S.*\n)+)/.exec(output)?.[1] ?? '';
    expect(history.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[1])).toEqual(
      ['issue', 'issue', 'approval-request', 'approve', 'issue', 'revoke', 'revoke', 'drop', 'drop', 'revoke', 'drop']);
    expect(Date.now() - started).toBeLessThan(60_000);
    // The firefighter password is shown to nobody by the demo: it only proves it can log in with it.
    expect(output).not.toMatch(/password[^\n]*[A-Za-z0-9]{40}/);
    const port = Number(/on 127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
    expect(port).toBeGreaterThan(0);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve('still listening'));
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('--keep ends with firefighter --direct commands and a psql line per login role that work against the kept server (old: one master psql line)', async () => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', '--keep'], { cwd: ROOT, env: { ...process.env, CI: 'true' }, detached: true });
    let output = '';
    child.stdout.on('data', (c: Buffer) => void (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => void (output += c.toString('utf8')));
    try {
      const deadline = Date.now() + 120_000;
      while (!/# my_pg_app /.test(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const commands = output.split('\n').filter((l) => l.startsWith('  npm run -s firefighter -- ')).map((l) => shellWords(l).slice(5));
      expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['status --direct', 'request ro', 'requests --direct', 'history --incident', 'revoke ro']);
      const results: { code: number; out: string }[] = [];
      for (const args of commands) {
        const lines: string[] = [];
        const code = await runFirefighter(args, { stdout: (t) => lines.push(t), stderr: (t) => lines.push(t), env: {} });
        results.push({ code, out: lines.join('\n') });
      }
      expect(results.map((r) => r.code), JSON.stringify(results)).toEqual([0, 0, 0, 0, 0]);
      expect(results[1]?.out).toMatch(/^psql: {5}PGPASSWORD=\S{40} psql 'postgresql:\/\/my_pg_firefighter_ro_[0-9a-f]{6}@127\.0\.0\.1:\d+\/my-pg-db\?sslmode=verify-full&sslrootcert=/m);
      const psqlLines = output.split('\n').filter((l) => l.startsWith('  PGPASSWORD='));
      expect(psqlLines.map((l) => /# (\S+)/.exec(l)?.[1])).toEqual(['the', 'my_pg_migrator', 'my_pg_app']);
      for (const line of psqlLines) {
        const [, password, , uri] = shellWords(line);
        const url = new URL(String(uri));
        const client = new pg.Client({ host: url.hostname, port: Number(url.port), user: url.username, password: String(password), database: 'my-pg-db',
          ssl: { ca: (await import('node:fs')).readFileSync(decodeURIComponent(url.searchParams.get('sslrootcert') ?? ''), 'utf8') } });
        await client.connect();
        expect((await client.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u).toBe(url.username);
        await client.end();
      }
    } finally {
      process.kill(-(child.pid ?? 0), 'SIGINT');
    }
  }, 180_000);
});
