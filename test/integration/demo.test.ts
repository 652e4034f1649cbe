// `npm run demo` is the README's main command: run it as a newcomer would, so it cannot silently rot.
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('npm run demo', () => {
  it('runs every step as described, exits 0, and leaves nothing running', async () => {
    const started = Date.now();
    const run = spawnSync('npm', ['run', '--silent', 'demo'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, CI: 'true' } });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    expect(output).toMatch(/^\d+ passed, 0 failed in [\d.]+ s$/m);
    const steps = ['create', 'verify', 'idempotent', 'migration', 'forgot SET ROLE', 'app writes', 'app delete', 'defaults',
      'request ro', 'login', 'ro update', 'status', 'second request', 'revoke', 'login again', 'audit trail'];
    for (const step of steps) {
      expect(output).toMatch(new RegExp(`^  ok    ${step}`, 'm'));
    }
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
});
