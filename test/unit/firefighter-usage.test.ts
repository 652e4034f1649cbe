// The firefighter CLI as a tired person meets it (issue 20): help per subcommand, a short usage when bare, one
// usage line plus where the help is, "did you mean", one human time format (UTC) with ISO only in --json, a
// request's psql line and URI with the password out of argv, and what to run after psql or while pending.
import { describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { COMMANDS } from '../../bin/firefighter/commands/index.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { codeBlocks } from '../support/markdown.js';

const PASSWORD = 'Qw3rTy7uIoP1aSdF5gHjK9lZxC2vBnM4QwErTy6U';
const issued: BrokerResponse = {
  ok: true, action: 'request', takeover: false, database: 'my-pg-db', role: 'my_pg_firefighter_ro', access: 'ro', username: 'my_pg_firefighter_ro',
  expiresAt: '2026-12-07T03:40:00.000Z', host: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, sslmode: 'verify-full', password: PASSWORD,
};

const LOCATOR = JSON.stringify({ version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:broker-fn', brokerId: 'broker-1' });

async function run(args: string[], response: BrokerResponse = issued, env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: Record<string, unknown>[] = [];
  const psql: NodeJS.ProcessEnv[] = [];
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env,
    invoke: async (_options, event) => (sent.push(event), response),
    psql: async (e) => (psql.push(e), 0),
    getParameter: async (name) => (name === '/cdk-aurora-firefighter/my-pg/Prod/broker' ? LOCATOR : undefined),
    listParameters: async (path) => (path === '/cdk-aurora-firefighter/my-pg' ? [{ name: '/cdk-aurora-firefighter/my-pg/Prod/broker', value: LOCATOR }] : []),
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), sent, psql };
}

describe('firefighter help', () => {
  it('bare firefighter prints a short usage listing every command, exit 2 (old: `unknown command ""` and 35 lines)', async () => {
    const out = await run([]);
    expect(out.code).toBe(2);
    expect(out.stderr.split('\n').length).toBeLessThan(16);
    expect(out.stderr).toMatch(/^usage: firefighter COMMAND \[flags\]\n/);
    for (const name of Object.keys(COMMANDS)) expect(out.stderr).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it.each(Object.keys(COMMANDS))('`%s --help` and `help COMMAND` print that command\'s own help on stdout, exit 0 (old: the global help; "unknown command \\"help\\"")', async (name) => {
    const a = await run([name, '--help']);
    const b = await run(['help', name]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(new RegExp(`^usage: firefighter ${name}\\b`));
    for (const other of Object.keys(COMMANDS).filter((n) => n !== name)) expect(a.stdout).not.toMatch(new RegExp(`^usage: firefighter ${other}\\b`, 'm'));
  });

  it('request --help names its own flags', async () => {
    const out = await run(['request', '--help']);
    for (const f of ['--incident ID', '--reason TEXT', '--hours N', '--takeover', '--connect', '--tunnel']) expect(out.stdout).toContain(f);
    expect(out.stdout).not.toContain('--since');
  });

  it.each([
    [['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--hour', '1'], 'firefighter: unknown flag --hour; did you mean --hours?', 'request'],
    [['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--incidnet', 'INC-1'], 'firefighter: unknown flag --incidnet; did you mean --incident?', 'request'],
    [['reqest', 'ro'], 'firefighter: unknown command "reqest"; did you mean request?', undefined],
    [['stauts'], 'firefighter: unknown command "stauts"; did you mean status?', undefined],
    [['help', 'histroy'], 'firefighter: unknown command "histroy"; did you mean history?', undefined],
    [['status', '--since', '2026-01-01'], 'firefighter: --since does not belong to status; it goes with history', 'status'],
    [['request', 'ro', '--incident'], 'firefighter: --incident needs a value: --incident ID', 'request'],
    [['requests', 'show'], 'firefighter: requests show needs the request id (firefighter requests lists them), e.g. firefighter requests show 42; got ""', 'requests show'],
    [['requests', 'list'], 'firefighter: requests takes "show REQUEST_ID" or nothing, got "list"', 'requests'],
  ])('%j: one line, "did you mean", then where the help is (old: Node\'s parseArgs text and the whole help)', async (args, line, command) => {
    const out = await run([...args, '--function', 'f']);
    expect([out.code, out.stderr.split('\n'), out.sent]).toEqual([2, [line, `see \`firefighter ${command ? `${command.split(' ')[0]} --help` : '--help'}\``], []]);
  });
});

describe('docs/runbook.md', () => {
  it('shows the exact answer to a misspelt flag', async () => {
    const block = codeBlocks('docs/runbook.md').find((b) => b.check === 'text firefighter usage error (test/unit/firefighter-usage.test.ts)');
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--hour', '1', '--function', 'f']);
    expect(out.stderr).toBe(block?.text);
  });
});

describe('firefighter output', () => {
  it('one time format for people, UTC, ISO only in --json; broker messages too (old: ISO in one line, "2026-12-06 23:15:51 UTC" in the next)', async () => {
    const human = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--function', 'f'], issued, { TZ: 'Europe/Berlin' });
    expect(human.stdout.split('\n')[0]).toBe('my_pg_firefighter_ro on my-pg.cluster-abc.eu-west-1.rds.amazonaws.com:5432/my-pg-db until 03:40 UTC (2026-12-07)');
    const json = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--function', 'f', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ expiresAt: '2026-12-07T03:40:00.000Z' });
    const held = { ok: false, code: 'ROLE_HELD', refusal: true, message: 'my_pg_firefighter_rw is held by arn:aws:sts::1:assumed-role/oncall/bob for incident INC-1 until 2026-12-07T03:40:00Z; ask the holder' } as BrokerResponse;
    const refused = await run(['request', 'rw', '--incident', 'INC-3', '--reason', 'x', '--function', 'f'], held);
    expect(refused.stderr).toBe('firefighter: refused (ROLE_HELD): my_pg_firefighter_rw is held by arn:aws:sts::1:assumed-role/oncall/bob for incident INC-1 until 03:40 UTC (2026-12-07); ask the holder');
    expect(JSON.parse((await run(['request', 'rw', '--incident', 'INC-3', '--reason', 'x', '--function', 'f', '--json'], held)).stdout).message).toContain('until 2026-12-07T03:40:00Z');
  });

  it('a request prints a psql line and a URI that keep the password out of argv, marked secret, and how to end it (old: the password only)', async () => {
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--cluster', 'my-pg'], issued);
    const host = 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com';
    const uri = `postgresql://my_pg_firefighter_ro@${host}:5432/my-pg-db?sslmode=verify-full&sslrootcert=global-bundle.pem`;
    expect(out.stdout.split('\n')).toEqual([
      `my_pg_firefighter_ro on ${host}:5432/my-pg-db until 03:40 UTC (2026-12-07)`,
      `password: ${PASSWORD}   (secret: shown once; keep it out of chat, tickets and shell history)`,
      `uri:      ${uri}`,
      `psql:     PGPASSWORD=${PASSWORD} psql '${uri}'   (secret: the password is in psql's environment, not its argv)`,
      `pgpass:   ${host}:5432:my-pg-db:my_pg_firefighter_ro:${PASSWORD}   (secret: a line for ~/.pgpass, mode 0600; then psql '${uri}')`,
      '          sslrootcert=global-bundle.pem is the RDS CA bundle: curl -so global-bundle.pem https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem',
      'end it:   firefighter revoke ro --incident "INC-1" --cluster my-pg',
    ]);
    // The URI (the part that may go into argv, a ticket or --json) never holds the password.
    const json = JSON.parse((await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--function', 'f', '--json', '--ca', '/etc/ca.pem'])).stdout) as Record<string, string>;
    expect(json.uri).toBe(`postgresql://my_pg_firefighter_ro@${host}:5432/my-pg-db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem`);
  });

  it('after --connect\'s psql exits: until when it is still yours and the exact revoke command (old: nothing)', async () => {
    const out = await run(['request', 'ro', '--incident', 'INC-1', '--reason', 'x', '--function', 'broker-fn', '--connect'], { ...issued, host: '127.0.0.1' } as BrokerResponse);
    expect(out.code).toBe(0);
    expect(out.psql).toHaveLength(1);
    expect(out.stdout.split('\n')).toEqual([
      'my_pg_firefighter_ro on 127.0.0.1:5432/my-pg-db until 03:40 UTC (2026-12-07)',
      'my_pg_firefighter_ro is still yours until 03:40 UTC (2026-12-07); end it now with `firefighter revoke ro --incident "INC-1" --function broker-fn`',
    ]);
    expect(out.stdout).not.toContain(PASSWORD);
  });

  it('pending approval: the requester is told the approver\'s exact command, with how this broker was reached', async () => {
    const pending = { ok: false, code: 'APPROVAL_PENDING', refusal: true, details: { requestId: '42' },
      message: 'read-write on my_pg_firefighter_rw needs another person\'s approval: request 42 is pending until 2026-12-07T03:40:00.000Z; an approver runs: firefighter approve 42, then ask again' } as BrokerResponse;
    const out = await run(['request', 'rw', '--incident', 'INC-1', '--reason', 'x', '--cluster', 'my-pg'], pending);
    expect(out.code).toBe(3);
    expect(out.stderr.split('\n')).toEqual([
      'firefighter: pending (APPROVAL_PENDING): read-write on my_pg_firefighter_rw needs another person\'s approval: request 42 is pending until 03:40 UTC (2026-12-07); an approver runs: firefighter approve 42, then ask again',
      'an approver runs: firefighter approve 42 --cluster my-pg   (firefighter requests lists what is pending)',
    ]);
  });
});

describe('firefighter requests', () => {
  it('sends the requests event, lists newest first with the commands that decide each, and says when none waits', async () => {
    const pending = { ok: true, action: 'requests', requests: [{ database: 'my-pg-db', requestId: '7', role: 'my_pg_firefighter_rw', requestedBy: 'alice', incidentId: 'INC-4713', reason: 'cancel ORD-1001',
      requestedAt: '2026-12-07T03:10:00.000Z', expiresAt: '2026-12-07T04:10:00.000Z', state: 'pending', decidedBy: null, decidedAt: null }] } as BrokerResponse;
    const out = await run(['requests', '--cluster', 'my-pg'], pending);
    expect([out.code, out.sent, out.stdout.split('\n')]).toEqual([0, [{ action: 'requests' }], [
      'request 7  my_pg_firefighter_rw  alice  INC-4713  asked 03:10 UTC (2026-12-07), pending until 04:10 UTC (2026-12-07)  "cancel ORD-1001"',
      '  firefighter approve 7 --cluster my-pg   or   firefighter deny 7 --cluster my-pg',
    ]]);
    const shown = await run(['requests', 'show', '7', '--cluster', 'my-pg'], pending);
    expect([shown.sent, shown.stdout.split('\n')]).toEqual([[{ action: 'requests', requestId: '7' }], [
      'request 7: my_pg_firefighter_rw on my-pg-db for alice, incident INC-4713',
      '  asked:   03:10 UTC (2026-12-07), "cancel ORD-1001"',
      '  state:   pending until 04:10 UTC (2026-12-07)',
      '  decide:  firefighter approve 7 --cluster my-pg   or   firefighter deny 7 --cluster my-pg',
    ]]);
    expect((await run(['requests', '--function', 'f'], { ok: true, action: 'requests', requests: [] } as BrokerResponse)).stdout).toBe('no read-write request is waiting for approval');
  });
});

describe('firefighter output from the database', () => {
  it('a reason or holder with control characters is printed escaped, on one line', async () => {
    const history = { ok: true, action: 'history', entries: [{ at: '2026-12-07T01:00:00.000Z', action: 'issue', role: 'my_pg_firefighter_ro', login: null, actor: 'bob', incidentId: 'INC-1',
      expiresAt: '2026-12-07T03:00:00.000Z', previousHolder: null, sessionsEnded: null, requestId: null, reason: 'stuck\nfirefighter: approved (fake)' }] } as unknown as BrokerResponse;
    const out = await run(['history', '--function', 'f'], history);
    expect(out.stdout).toBe('01:00 UTC (2026-12-07)  issue             my_pg_firefighter_ro  bob  INC-1  until 03:00 UTC (2026-12-07)  "stuck\\nfirefighter: approved (fake)"');
  });
});
