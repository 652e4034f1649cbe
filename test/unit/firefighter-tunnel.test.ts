// firefighter request ... --connect --tunnel (issue 11, item 6): the exact `aws ssm start-session` line the CLI
// runs (port forwarding through the access host named by the locator, to the writer the broker answers with,
// region and profile passed through), psql pointed at 127.0.0.1 with TLS still verified for the writer's name,
// the tunnel ended when psql exits; and when the AWS CLI or the plugin is missing, the command to run instead,
// with no password issued.
import { EventEmitter } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { defaultTunnelDeps, type TunnelDeps } from '../../bin/firefighter/tunnel.js';
import type { BrokerResponse } from '../../lib/broker/service.js';

const PASSWORD = 'Zx8cVb6nM1aSdF3gHjK5lQwE7rTyUi9oP2aSdF4g';
const WRITER = 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com';
const INSTANCE = 'i-0123456789abcdef0';
const LOCATOR = JSON.stringify({
  version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:FirefighterExample-MyPgBrokerFunction-AbC',
  brokerId: 'FirefighterExample-MyPg-Broker-1A2B3C4D', accessHost: INSTANCE, writerHost: WRITER, port: 5432,
});
const issued: BrokerResponse = {
  ok: true, action: 'request', takeover: false, database: 'my-pg-db', role: 'my_pg_firefighter_ro', access: 'ro', username: 'my_pg_firefighter_ro',
  expiresAt: '2026-11-23T03:00:00.000Z', host: WRITER, port: 5432, sslmode: 'verify-full', password: PASSWORD,
};
const REQUEST = ['request', 'ro', '--cluster', 'my-pg', '--incident', 'INC-1', '--reason', 'orders stuck', '--connect', '--tunnel'];

/** A stand-in for the AWS CLI child: prints what the plugin prints, records kill. */
function fakeChild(script: (child: ChildProcess & EventEmitter) => void) {
  const child = new EventEmitter() as ChildProcess & EventEmitter & { killed: boolean };
  Object.assign(child, { stdout: new PassThrough(), stderr: new PassThrough(), exitCode: null, signalCode: null, killedWith: [] as string[] });
  child.kill = ((signal: string) => ((child as unknown as { killedWith: string[] }).killedWith.push(signal), Object.assign(child, { signalCode: signal }), child.emit('exit', null, signal), true)) as ChildProcess['kill'];
  setImmediate(() => script(child));
  return child;
}

async function run(args: string[], options: { onPath?: string[]; child?: (c: ChildProcess & EventEmitter) => void; locator?: string } = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: unknown[] = [];
  const spawned: { command: string; args: readonly string[]; child: ChildProcess & { killedWith: string[] } }[] = [];
  const order: string[] = [];
  const psql: NodeJS.ProcessEnv[] = [];
  const onPath = options.onPath ?? ['aws', 'session-manager-plugin'];
  const tunnel: Partial<TunnelDeps> = {
    which: async (name) => (onPath.includes(name) ? `/usr/local/bin/${name}` : undefined),
    spawn: (command, argv) => {
      const child = fakeChild(options.child ?? ((c) => c.stdout?.emit('data', Buffer.from(`\nStarting session with SessionId: alice-0a1b\nPort 54321 opened for sessionId alice-0a1b.\nWaiting for connections...\n`))));
      spawned.push({ command, args: argv, child: child as never });
      order.push('tunnel');
      return child;
    },
    freePort: async () => 54321,
    portOpen: async () => false,
    timeoutMs: 2000,
  };
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: { PGHOSTADDR: '10.9.9.9' },
    invoke: async (_o, event) => (sent.push(event), order.push('invoke'), issued),
    getParameter: async (name) => (name === '/cdk-aurora-firefighter/my-pg/Prod/broker' ? options.locator ?? LOCATOR : undefined),
    listParameters: async (path) => (path === '/cdk-aurora-firefighter/my-pg' ? [{ name: '/cdk-aurora-firefighter/my-pg/Prod/broker', value: options.locator ?? LOCATOR }] : []),
    psql: async (env) => (psql.push(env), order.push(`psql (tunnel killed: ${spawned[0]?.child.killedWith.length ?? 0})`), 0),
    psqlAvailable: async () => true,
    tunnel,
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), sent, spawned, psql, order };
}

describe('firefighter request --connect --tunnel', () => {
  it('runs aws ssm start-session port forwarding to the writer through the access host, with region and profile', async () => {
    const out = await run([...REQUEST, '--profile', 'oncall']);
    expect(out.code).toBe(0);
    expect(out.spawned.map((s) => [s.command, ...s.args])).toEqual([[
      'aws', 'ssm', 'start-session', '--target', INSTANCE, '--document-name', 'AWS-StartPortForwardingSessionToRemoteHost',
      '--parameters', `host=${WRITER},portNumber=5432,localPortNumber=54321`, '--region', 'eu-west-1', '--profile', 'oncall',
    ]]);
    // The writer is known from the locator: the tunnel opens first (one that cannot open leaves nothing issued),
    // then the broker is asked, then psql, and the tunnel ends only after psql. Old: asked first, tunnel second.
    expect(out.order).toEqual(['tunnel', 'invoke', 'psql (tunnel killed: 0)']);
    expect(out.spawned[0]?.child.killedWith).toEqual(['SIGTERM']);
    expect(out.stderr).toBe(`firefighter: tunnel to ${WRITER}:5432 through ${INSTANCE} on 127.0.0.1:54321`);
  });

  it('points psql at 127.0.0.1 with host= the writer, so verify-full checks the writer\'s certificate name', async () => {
    const out = await run(REQUEST);
    expect(out.psql).toHaveLength(1);
    expect(out.psql[0]).toMatchObject({ PGHOST: WRITER, PGHOSTADDR: '127.0.0.1', PGPORT: '54321', PGSSLMODE: 'verify-full', PGUSER: 'my_pg_firefighter_ro', PGDATABASE: 'my-pg-db', PGPASSWORD: PASSWORD });
    expect(String(out.psql[0]?.PGSSLROOTCERT)).toMatch(/rds-ca-bundle\.pem$/);
    // The password is in psql's environment only: not in argv of the tunnel, not printed.
    expect(JSON.stringify(out.spawned.map((s) => s.args))).not.toContain(PASSWORD);
    expect(`${out.stdout}\n${out.stderr}`).not.toContain(PASSWORD);
  });

  it('--access-host wins over the locator\'s host', async () => {
    const out = await run([...REQUEST, '--access-host', 'i-0fedcba9876543210']);
    expect(out.spawned[0]?.args.slice(2, 4)).toEqual(['--target', 'i-0fedcba9876543210']);
  });

  it.each([
    ['session-manager-plugin', ['aws'], 'the Session Manager plugin (session-manager-plugin)'],
    ['the AWS CLI', ['session-manager-plugin'], 'the AWS CLI (aws)'],
  ])('without %s on PATH: prints the exact command and how to connect, and issues nothing', async (_name, onPath, missing) => {
    const out = await run([...REQUEST, '--profile', 'oncall'], { onPath });
    expect([out.code, out.sent, out.spawned, out.psql]).toEqual([2, [], [], []]);
    expect(out.stderr).toBe([
      `firefighter: --tunnel needs ${missing} on PATH; install it (https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html) and run this again. Nothing was issued.`,
      'Or open the tunnel yourself:',
      `  aws ssm start-session --target ${INSTANCE} --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=${WRITER},portNumber=5432,localPortNumber=15432 --region eu-west-1 --profile oncall`,
      'then ask for a password without --connect and connect through the tunnel, the certificate checked against the writer\'s name:',
      `  psql "host=${WRITER} hostaddr=127.0.0.1 port=15432 sslmode=verify-full sslrootcert=<RDS CA bundle> user=<login> dbname=<database>"`,
    ].join('\n'));
    const json = await run([...REQUEST, '--json'], { onPath });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'PRECONDITION', refusal: true, exitCode: 2 });
    expect(json.sent).toEqual([]);
  });

  it('without an access host in the locator or --access-host: says how to get one, issues nothing', async () => {
    const bare = JSON.stringify({ ...JSON.parse(LOCATOR), accessHost: undefined, writerHost: undefined, port: undefined });
    const out = await run(REQUEST, { locator: bare });
    expect([out.code, out.sent]).toEqual([2, []]);
    expect(out.stderr).toBe('firefighter: --tunnel needs the access host: deploy FirefighterDatabase with enableAccessHost: true and use --cluster NAME, or pass --access-host i-... (the stack output AccessHostInstanceId). Nothing was issued');
  });

  it('a TLS precheck that fails still refuses before the broker is asked', async () => {
    const stderr: string[] = [];
    const sent: unknown[] = [];
    const code = await runFirefighter(REQUEST, {
      stdout: () => undefined, stderr: (t) => stderr.push(t), env: { PGSSLMODE: 'require' },
      invoke: async (_o, e) => (sent.push(e), issued), getParameter: async () => LOCATOR, psqlAvailable: async () => true,
      tunnel: { which: async (n) => `/bin/${n}` },
    });
    expect([code, sent]).toEqual([2, []]);
    expect(stderr.join('\n')).toMatch(/^firefighter: not requesting a password that psql could not use: sslmode=require/);
  });

  it('a tunnel that does not open: nothing is issued, psql is not started, the AWS CLI\'s output is shown (exit 2; --json too)', async () => {
    const denied = { child: (c: ChildProcess & EventEmitter) => (c.stderr?.emit('data', Buffer.from('An error occurred (AccessDeniedException) when calling the StartSession operation: not authorized\n')), c.emit('exit', 254, null)) };
    const out = await run(REQUEST, denied);
    // Old: the password was issued first, then the tunnel failed: exit 1, the role held with a password nobody saw.
    expect([out.code, out.sent, out.psql]).toEqual([2, [], []]);
    expect(out.stderr).toBe(`firefighter: the tunnel did not open: aws ssm start-session ended (exit code 254): An error occurred (AccessDeniedException) when calling the StartSession operation: not authorized; check --region, your access to ${INSTANCE} (ssm:StartSession, granted with accessHost.grantTunnel) and that the instance is online in Systems Manager. Nothing was issued`);
    const json = await run([...REQUEST, '--json'], denied);
    expect([json.code, json.sent]).toEqual([2, []]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'PRECONDITION', refusal: true, exitCode: 2, message: expect.stringMatching(/^the tunnel did not open: .*Nothing was issued$/) });
  });

  it.each([
    [['request', 'ro', '--cluster', 'my-pg', '--incident', 'I', '--reason', 'r', '--tunnel'], '--tunnel opens the way for psql and goes with --connect'],
    [[...REQUEST, '--access-host', 'my-host'], '--access-host must be an EC2 instance id (i-0123456789abcdef0), got "my-host"'],
    [['request', 'ro', '--incident', 'I', '--reason', 'r', '--connect', '--access-host', INSTANCE, '--cluster', 'my-pg'], '--access-host goes with --tunnel'],
    [['request', 'ro', '--incident', 'I', '--reason', 'r', '--connect', '--tunnel', '--direct', '--database-url', 'postgres://b@h/d'], '--tunnel goes through the broker Lambda\'s access host, not --direct'],
    [['status', '--cluster', 'my-pg', '--tunnel'], '--tunnel does not belong to status; it goes with request'],
  ])('usage: %j', async (args, message) => {
    const out = await run(args);
    expect([out.code, out.sent]).toEqual([2, []]);
    expect(out.stderr).toContain(`firefighter: ${message}`);
  });
});

describe('the real tunnel seams', () => {
  it('spawn finds the command on the PATH that which searched (the CLI\'s environment), and passes that environment on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ff-path-'));
    try {
      const fake = path.join(dir, 'aws');
      writeFileSync(fake, '#!/bin/sh\necho "profile=$AWS_PROFILE args=$*"\n');
      chmodSync(fake, 0o755);
      const deps = defaultTunnelDeps({ PATH: dir, AWS_PROFILE: 'oncall' });
      expect(await deps.which('aws')).toBe(fake);
      const child = deps.spawn('aws', ['ssm', 'start-session']);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => void (out += chunk.toString('utf8')));
      const code = await new Promise((resolve) => {
        child.once('error', (error) => resolve(error.message));
        child.once('close', resolve);
      });
      expect(code).toBe(0);
      expect(out.trim()).toBe('profile=oncall args=ssm start-session');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

