// The firefighter CLI without a database: argument checks (exit 2), the event it sends, exit codes for
// done / refused / failed, and --connect handing psql the password in its environment and nowhere else.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFirefighter, type LambdaOptions } from '../../bin/firefighter.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { loadRdsCa } from '../../lib/postgres/rds-ca.js';

const PASSWORD = 'Qw3rTy7uIoP1aSdF5gHjK9lZxC2vBnM4QwErTy6U';
const issued: BrokerResponse = {
  ok: true, action: 'request', takeover: false, database: 'my-pg-db', role: 'my_pg_firefighter_ro', access: 'ro', username: 'my_pg_firefighter_ro',
  expiresAt: '2026-11-23T03:00:00.000Z', host: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, sslmode: 'verify-full', password: PASSWORD,
};

// Any readable file will do: psql reads it, the CLI only checks that it can.
const CA_FILE = path.join(mkdtempSync(path.join(tmpdir(), 'ff-ca-')), 'ca.pem');
writeFileSync(CA_FILE, '-----BEGIN CERTIFICATE-----\n');

async function run(args: string[], response: BrokerResponse | Error = issued, env: NodeJS.ProcessEnv = { FIREFIGHTER_FUNCTION: 'broker-fn' }) {
  return runWith(args, env, () => undefined, response);
}

async function runWith(args: string[], env: NodeJS.ProcessEnv, inPsql: (env: NodeJS.ProcessEnv) => void, response: BrokerResponse | Error = issued) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: { options: LambdaOptions; event: Record<string, unknown> }[] = [];
  const psql: NodeJS.ProcessEnv[] = [];
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env,
    invoke: async (options, event) => {
      sent.push({ options, event });
      if (response instanceof Error) throw response;
      return response;
    },
    psql: async (e) => (psql.push(e), inPsql(e), 0),
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), sent, psql };
}

describe('firefighter CLI', () => {
  it.each([
    [['grant', 'ro'], 'firefighter: unknown command "grant"; the commands are request, requests, revoke, status, extend, approve, deny, history, sweep'],
    [['request', 'admin', '--incident', 'INC-1', '--reason', 'x'], 'firefighter: request needs the role: ro or rw, got "admin"'],
    [['request', 'ro', '--reason', 'x'], 'firefighter: --incident is required, e.g. --incident INC-4711'],
    [['request', 'ro', '--incident', 'INC-1'], 'firefighter: --reason is required, e.g. --reason "orders stuck in created"'],
    [['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--hours', '3'], 'firefighter: --hours must be 1 or 2, got "3"'],
    [['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--hours', '2.0'], 'firefighter: --hours must be 1 or 2, got "2.0"'],
    [['revoke', 'ro', '--incident', 'INC-1', '--takeover'], 'firefighter: --takeover does not belong to revoke; it goes with request'],
    [['status', 'ro'], 'firefighter: unexpected argument "ro"'],
    [['status', '--database-url', 'postgres://x@h/d'], 'firefighter: --database-url needs --direct'],
    [['status', '--direct'], 'firefighter: --direct needs --database-url postgres://BROKER_USER@HOST/DB'],
    [['status', '--bogus'], 'firefighter: unknown flag --bogus'],
  ])('%j exits 2 with one usage line and where the help is', async (args, message) => {
    const out = await run(args);
    expect(out.code).toBe(2);
    const [first, see, ...more] = out.stderr.split('\n');
    expect(first).toBe(message);
    expect(see).toBe(args[0] === 'grant' ? 'see `firefighter --help`' : `see \`firefighter ${args[0]} --help\``);
    expect(more).toEqual([]);
    expect(out.sent).toEqual([]);
  });

  it('needs a function name', async () => {
    const out = await run(['status'], issued, {});
    expect([out.code, out.stderr.split('\n')[0]]).toEqual([2, 'firefighter: the broker is unknown; pass --cluster NAME (or set FIREFIGHTER_CLUSTER), or --function NAME with --broker-id ID']);
  });

  it('sends the request event with the defaults and binds the proof to the broker id', async () => {
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'orders stuck', '--function', 'arn:aws:lambda:eu-west-1:123456789012:function:broker-fn', '--region', 'eu-west-1'], issued, { TZ: 'UTC' });
    expect(out.sent).toEqual([{ options: { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:broker-fn', brokerId: 'broker-fn', region: 'eu-west-1' }, event: { action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'orders stuck', hours: 2, takeover: false } }]);
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').slice(0, 2)).toEqual([
      'my_pg_firefighter_ro on my-pg.cluster-abc.eu-west-1.rds.amazonaws.com:5432/my-pg-db until 03:00 UTC (2026-11-23)',
      `password: ${PASSWORD}   (secret: shown once; keep it out of chat, tickets and shell history)`]);
  });

  it.each([
    [{ ok: false, code: 'ROLE_HELD', message: 'held', refusal: true } as BrokerResponse, 2, 'firefighter: refused (ROLE_HELD): held'],
    [{ ok: false, code: 'UNAVAILABLE', message: 'down', refusal: false } as BrokerResponse, 1, 'firefighter: failed (UNAVAILABLE): down'],
    [Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 1,
      'firefighter: failed (AWS): no AWS credentials were found; run aws sso login --profile <your profile> (and pass --profile or set AWS_PROFILE), or set AWS_PROFILE'],
    [new Error('Region is missing'), 1, 'firefighter: failed (AWS): no AWS region is configured; pass --region eu-west-1 or set AWS_REGION'],
  ])('maps %j to exit %i', async (response, code, message) => {
    const out = await run(['status'], response);
    expect([out.code, out.stderr]).toEqual([code, message]);
  });

  it('--json prints the stable response, refusals included', async () => {
    const refused = { ok: false, action: 'request', code: 'NOT_ALLOWED', message: 'no', refusal: true } as BrokerResponse;
    const out = await run(['request', 'rw', '--incident', 'INC-1', '--reason', 'x', '--json'], refused);
    expect([out.code, JSON.parse(out.stdout), out.stderr]).toEqual([2, { ...refused, exitCode: 2 }, '']);
  });

  it('--connect puts the password in psql\'s environment only, verifying an RDS host with the bundled RDS CAs', async () => {
    let bundle = '';
    let bundleFile = '';
    const out = await runWith(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect'], { FIREFIGHTER_FUNCTION: 'broker-fn' }, (e) => {
      bundleFile = String(e.PGSSLROOTCERT);
      bundle = readFileSync(bundleFile, 'utf8');
    });
    expect(out.code).toBe(0);
    expect(out.psql[0]).toMatchObject({ PGPASSWORD: PASSWORD, PGUSER: 'my_pg_firefighter_ro', PGSSLMODE: 'verify-full', PGHOST: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com' });
    expect(`${out.stdout}\n${out.stderr}`).not.toContain(PASSWORD);
    expect(out.stderr).toBe('');
    // The public RDS roots, written for psql and removed once it exits.
    expect(bundle.match(/BEGIN CERTIFICATE/g)?.length).toBeGreaterThan(10);
    expect(bundle).toContain((await loadRdsCa())[0]);
    expect(existsSync(bundleFile)).toBe(false);
    const json = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--json', '--ca', CA_FILE]);
    expect(json.stdout).not.toContain(PASSWORD);
    expect(json.psql[0]).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: CA_FILE });
  });

  it.each([
    ['PGSSLMODE=require', { PGSSLMODE: 'require' }],
    ['PGSSLMODE=disable', { PGSSLMODE: 'disable' }],
    ['PGSSLMODE=verify-ca', { PGSSLMODE: 'verify-ca', PGSSLROOTCERT: CA_FILE }],
    ['PGSSLMODE=prefer', { PGSSLMODE: 'prefer' }],
  ])('--connect with %s is refused before the broker is asked, so no unusable password is issued', async (_name, env) => {
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect'], issued, { FIREFIGHTER_FUNCTION: 'broker-fn', ...env });
    expect([out.code, out.sent, out.psql]).toEqual([2, [], []]);
    expect(out.stderr).toMatch(/^firefighter: not requesting a password that psql could not use: sslmode=[a-z-]+ (does not verify the server's certificate|sends the password in plaintext), and the cluster endpoint is not a loopback address, .* or pass --insecure-skip-tls-verify to send it anyway$/);
  });

  it('--connect --direct decides on the URL\'s host before connecting', async () => {
    const remote = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--direct', '--database-url', 'postgres://b:pw-secret-0000000000@db.example/x'], issued, { PGSSLMODE: 'require' });
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/^firefighter: not requesting a password that psql could not use: sslmode=require does not verify the server's certificate, and db\.example is not a loopback address/);
  });

  it('--connect without psql on PATH refuses before anything is issued', async () => {
    const sent: unknown[] = [];
    const stderr: string[] = [];
    const code = await runFirefighter(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--function', 'broker-fn'], {
      stdout: () => undefined, stderr: (t) => stderr.push(t), env: {},
      psqlAvailable: async () => false,
      invoke: async (options, event) => (sent.push(event), issued),
    });
    expect([code, sent]).toEqual([2, []]);
    expect(stderr.join('\n')).toMatch(/^firefighter: refused \(PRECONDITION\): psql was not found on PATH/);
  });

  it('--connect with --insecure-skip-tls-verify goes ahead unverified, and says so loudly', async () => {
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--insecure-skip-tls-verify'], issued, { FIREFIGHTER_FUNCTION: 'broker-fn', PGSSLMODE: 'require', PGSSLROOTCERT: CA_FILE });
    expect(out.code).toBe(0);
    expect(out.psql[0]).toMatchObject({ PGSSLMODE: 'verify-ca', PGSSLROOTCERT: CA_FILE });
    const plain = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect', '--insecure-skip-tls-verify'], issued, { FIREFIGHTER_FUNCTION: 'broker-fn', PGSSLMODE: 'no-verify' });
    expect(plain.psql[0]?.PGSSLMODE).toBe('require');
    expect(plain.psql[0]).not.toHaveProperty('PGSSLROOTCERT');
    expect(plain.stderr).toBe('firefighter: WARNING: --insecure-skip-tls-verify: the password goes to my-pg.cluster-abc.eu-west-1.rds.amazonaws.com over TLS without checking the certificate; anyone who can intercept the connection can read it');
  });

  it('--connect to another remote host verifies with the system trust store; a loopback host keeps TLS without verification', async () => {
    const other = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect'], { ...issued, host: 'db.example.com' } as BrokerResponse);
    expect(other.psql[0]).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: 'system' });
    const local = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect'], { ...issued, host: '127.0.0.1' } as BrokerResponse);
    expect(local.psql[0]?.PGSSLMODE).toBe('require');
    expect(local.stderr).toBe('');
  });

  it('--connect with secret delivery says where the password is and starts nothing', async () => {
    const { password: _p, ...rest } = issued as Extract<BrokerResponse, { action: 'request' }>;
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--connect'], { ...rest, secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ro' } as BrokerResponse);
    expect([out.code, out.psql]).toEqual([1, []]);
    expect(out.stderr).toBe('firefighter: --connect needs the password in the response; this broker writes it to arn:aws:secretsmanager:eu-west-1:123456789012:secret:ro, read it from there');
  });

  it('--direct refuses sslmode=require, disable and PGSSLMODE=no-verify for a remote host, before connecting', async () => {
    const a = await run(['status', '--direct', '--database-url', 'postgres://b:pw-secret-0000000000@db.example/x?sslmode=require']);
    expect([a.code, a.stderr]).toEqual([2, "firefighter: sslmode=require does not verify the server's certificate, and db.example is not a loopback address, so anyone on the way could read the password; use sslmode=verify-full (the default; with sslrootcert=FILE when the server's CA is private), or pass --insecure-skip-tls-verify to send it anyway"]);
    const b = await run(['status', '--direct', '--database-url', 'postgres://b:pw-secret-0000000000@db.example/x?sslmode=disable']);
    expect([b.code, b.stderr]).toEqual([2, "firefighter: sslmode=disable sends the password in plaintext, and db.example is not a loopback address, so anyone on the way could read the password; use sslmode=verify-full (the default; with sslrootcert=FILE when the server's CA is private), or pass --insecure-skip-tls-verify to send it anyway"]);
    const c = await run(['status', '--direct', '--database-url', 'postgres://b:pw-secret-0000000000@db.example/x'], issued, { PGSSLMODE: 'no-verify' });
    expect([c.code, c.stderr]).toEqual([2, expect.stringMatching(/^firefighter: sslmode=no-verify does not verify the server's certificate, and db\.example is not a loopback address/)]);
    expect(`${a.stderr}${b.stderr}${c.stderr}`).not.toContain('pw-secret');
  });
});
