// `firefighter ... --json`: every answer is one JSON document on stdout whose `ok` and `exitCode` agree with the
// process's exit code, --connect's own failures after the password was issued included (they say until when it
// is active and how to end it); and --connect refuses what psql could not use before anything is issued.
// Old: `--connect --json` printed {"ok":true,...} first and then exited 2 (psql refused for TLS) or 1 (secret
// delivery, psql failed) with the reason on stderr, or a plain-text line after the JSON.
import { describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import type { BrokerResponse } from '../../lib/broker/service.js';

const PASSWORD = 'Qw3rTy7uIoP1aSdF5gHjK9lZxC2vBnM4QwErTy6U';
const issued = {
  ok: true, action: 'request', takeover: false, database: 'my-pg-db', role: 'my_pg_firefighter_ro', access: 'ro', username: 'my_pg_firefighter_ro',
  expiresAt: '2026-11-23T03:00:00.000Z', host: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, sslmode: 'verify-full', password: PASSWORD,
} as const satisfies BrokerResponse;
const CONNECT = ['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--json'];
const REVOKE = 'firefighter revoke ro --incident "INC-1" --function broker-fn';

async function run(args: string[], response: BrokerResponse, psqlExit = 0, env: NodeJS.ProcessEnv = { FIREFIGHTER_FUNCTION: 'broker-fn' }) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: unknown[] = [];
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env,
    invoke: async (_o, event) => (sent.push(event), response),
    psql: async () => psqlExit,
  });
  return { code, stdout, stderr, sent };
}

describe('firefighter --json', () => {
  it.each([
    ['a secret-delivering broker (nothing for psql)', { ...issued, password: undefined, secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ro' }, 0, 1, 'FAILURE', /^--connect needs the password in the response; this broker writes it to arn:aws:secretsmanager:/],
    ['an answer without TLS', { ...issued, sslmode: 'disable' }, 0, 2, 'PRECONDITION', /^--connect needs TLS, and this server was reached without it/],
    ['psql failing', issued, 2, 1, 'PSQL', /^psql ended with exit code 2; my_pg_firefighter_ro is still yours until 03:00 UTC \(2026-11-23\); end it now with `firefighter revoke ro --incident "INC-1" --function broker-fn`$/],
  ] as const)('--connect after the password was issued, %s: one JSON error, its exit code the process\'s, saying until when it is active', async (_name, response, psqlExit, exitCode, code, message) => {
    const out = await run(CONNECT, response as BrokerResponse, psqlExit);
    expect(out.code).toBe(exitCode);
    expect(out.stdout).toHaveLength(1);
    expect(JSON.parse(out.stdout[0] ?? '')).toEqual({ ok: false, code, message: expect.stringMatching(message), refusal: exitCode === 2, exitCode,
      details: { passwordActiveUntil: '2026-11-23T03:00:00.000Z', revokeWith: REVOKE } });
    expect(out.stdout.join('\n')).not.toContain(PASSWORD);
  });

  it('--connect that went well: one JSON document after psql, ok, without the password, exit 0', async () => {
    const out = await run(CONNECT, issued);
    expect(out.code).toBe(0);
    expect(out.stdout).toHaveLength(1);
    const answer = JSON.parse(out.stdout[0] ?? '');
    expect(answer).toMatchObject({ ok: true, action: 'request', username: 'my_pg_firefighter_ro', uri: expect.stringMatching(/^postgresql:\/\/my_pg_firefighter_ro@/) });
    expect(answer).not.toHaveProperty('password');
  });

  it.each([
    ['a usage error', ['revoke', 'ro', '--json'], 2],
    ['a broker refusal', ['revoke', 'ro', '--incident', 'INC-1', '--json'], 2],
    ['nothing to revoke', ['revoke', 'rw', '--incident', 'INC-1', '--json'], 1],
  ])('%s is one JSON document whose exitCode is the process\'s', async (name, args, exitCode) => {
    const response: BrokerResponse = name === 'nothing to revoke'
      ? { ok: false, action: 'revoke', code: 'NOTHING_TO_REVOKE', message: 'my_pg_firefighter_rw is not held by anyone: nothing to revoke', refusal: false }
      : { ok: false, action: 'revoke', code: 'REFUSED', message: 'you hold my_pg_firefighter_ro for incident ops-123, not INC-1: nothing was revoked', refusal: true };
    const out = await run(args, response);
    expect(out.code).toBe(exitCode);
    expect(out.stdout).toHaveLength(1);
    expect(JSON.parse(out.stdout[0] ?? '')).toMatchObject({ ok: false, exitCode });
    expect(out.stderr).toEqual([]);
  });

  it('--connect --direct to a URL without TLS is refused before the broker is reached (nothing issued)', async () => {
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--json', '--direct', '--database-url', 'postgres://b:pw-secret-0000000000@127.0.0.1:1/x'], issued);
    // Old: the broker was asked first (here: nothing listens, exit 1 UNAVAILABLE; on a server without TLS, a password psql was then refused).
    expect(out.code).toBe(2);
    expect(JSON.parse(out.stdout[0] ?? '')).toMatchObject({ ok: false, code: 'PRECONDITION', exitCode: 2, message: expect.stringMatching(/--connect needs TLS, and --database-url asks for none; .*Nothing was issued$/) });
  });
});
