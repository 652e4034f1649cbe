// Per-person logins through the broker service (two responders, an approver, events) and the firefighter CLI's
// --direct mode (request, reissue, extend, status, history, revoke, sweep, pending approval with exit 3), on
// a real server with the engine applying as the Aurora-like master.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { directConfig, directConnector, parseDirectUrl } from '../../lib/broker/direct.js';
import type { BrokerEvent } from '../../lib/broker/events.js';
import { createBrokerService, type AuditLogger, type BrokerResponse } from '../../lib/broker/service.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { connectWith } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
// IAM users: each a person (lib/broker/protocol/person.ts); two sessions of one role would be one.
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';
const LEAD = 'arn:aws:sts::123456789012:assumed-role/lead/carol';

describe.each(testedMajors())('per-person logins through the broker on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let url: string;
  const open: pg.Client[] = [];
  const events: BrokerEvent[] = [];
  const lines: string[] = [];
  const logger: AuditLogger = { info: (m, a) => lines.push(JSON.stringify([m, a])), warn: (m, a) => lines.push(JSON.stringify([m, a])), error: (m, a) => lines.push(JSON.stringify([m, a])) };

  async function serviceAs(who: string) {
    const target = await parseDirectUrl(url, {});
    const connect = directConnector(target);
    const config = await directConfig(target, connect);
    return createBrokerService({ config, connect, sslmode: target.tls.mode, logger, identity: { trusted: who }, publish: async (e) => void events.push(e) });
  }
  async function cli(...args: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runFirefighter([...args, '--direct', '--database-url', url], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: { TZ: 'Europe/Berlin' } });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), json: () => JSON.parse(stdout.join('\n')) as Record<string, any> };
  }
  async function login(user: string, password: string): Promise<pg.Client> {
    const c = await connectWith(server, user, password, DB);
    open.push(c);
    return c;
  }

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(perPersonSpec, { connectionString: server.masterUrl() });
    // The broker is in rds_iam: an (emulated) IAM token, over verified TLS (server.url).
    url = server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  it('two responders get logins of their own at once; the team is told, and no event or log line holds a password', async () => {
    const alice = await serviceAs(ALICE);
    const bob = await serviceAs(BOB);
    const [a, b] = await Promise.all([
      alice({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'orders stuck' }),
      bob({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'orders stuck' }),
    ]) as Extract<BrokerResponse, { action: 'request'; ok: true }>[];
    expect(a).toMatchObject({ ok: true, outcome: 'issued', role: 'my_pg_firefighter_ro', username: expect.stringMatching(/^my_pg_firefighter_ro_[0-9a-f]{6}$/) });
    expect(b?.username).not.toBe(a?.username);
    await login(a!.username, a!.password!);
    await login(b!.username, b!.password!);
    const status = await alice({ action: 'status' });
    expect(status).toMatchObject({ ok: true, logins: [{ holder: expect.any(String), sessions: 1 }, { sessions: 1 }] });
    expect(events.map((e) => [e.detailType, e.detail.caller, e.detail.login])).toEqual([
      ['firefighter issued', expect.any(String), expect.any(String)], ['firefighter issued', expect.any(String), expect.any(String)],
    ]);
    expect(events[0]).toMatchObject({ source: 'cdk-aurora-firefighter', detail: { incidentId: 'INC-1', role: 'my_pg_firefighter_ro', expiresAt: expect.any(String) } });
    const everything = JSON.stringify([events, lines]);
    for (const secret of [a!.password!, b!.password!]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/SCRAM-SHA-256/);
  });

  it('read-write waits for an approver other than the requester; every step is an event', async () => {
    const alice = await serviceAs(ALICE);
    const lead = await serviceAs(LEAD);
    events.length = 0;
    const pending = await alice({ action: 'request', role: 'rw', incidentId: 'INC-1', reason: 'fix one order' });
    expect(pending).toMatchObject({ ok: false, code: 'APPROVAL_PENDING', refusal: true, details: { requestId: expect.stringMatching(/^\d+$/) } });
    const requestId = String((pending as { details?: Record<string, string> }).details?.requestId);
    expect(await alice({ action: 'approve', requestId })).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
    expect(await lead({ action: 'approve', requestId, reason: 'ticket checked' })).toMatchObject({ ok: true, action: 'approve', decision: 'approved', requestedBy: ALICE });
    const issued = await alice({ action: 'request', role: 'rw', incidentId: 'INC-1', reason: 'fix one order' });
    expect(issued).toMatchObject({ ok: true, outcome: 'issued', requestId });
    expect(events.map((e) => e.detailType)).toEqual(['firefighter pending', 'firefighter refused', 'firefighter approved', 'firefighter issued']);
    expect(events[1]?.detail).toMatchObject({ code: 'SELF_APPROVAL', caller: ALICE });
  });

  it('the CLI in --direct mode: reissue, extend, times in UTC (HH:MM UTC (date)) whatever TZ says, revoke, sweep, pending exits 3', async () => {
    const first = await cli('request', 'ro', '--incident', 'INC-9', '--reason', 'look', '--hours', '1', '--json');
    expect(first.code).toBe(0);
    const again = await cli('request', 'ro', '--incident', 'INC-9', '--reason', 'lost it');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${first.json().username} \\(login of my_pg_firefighter_ro\\) on 127\\.0\\.0\\.1:\\d+/my-pg-db until \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\) \\(a new password on the login you hold for this incident\\)\\npassword: \\S{40} {3}\\(secret: .*\\)\\nuri: {6}postgresql://${first.json().username}@127\\.0\\.0\\.1:\\d+/my-pg-db\\?sslmode=verify-full&sslrootcert=\\S+\\npsql: {5}PGPASSWORD=\\S{40} psql .*\\(secret: .*\\)\\npgpass: .*\\nend it: {3}firefighter revoke ro --incident "INC-9" --direct --database-url \\S+$`));
    const extended = await cli('extend', 'ro', '--incident', 'INC-9', '--hours', '2');
    expect([extended.code, extended.stdout]).toEqual([0, expect.stringMatching(new RegExp(`^${first.json().username} \\(my_pg_firefighter_ro\\) now valid until \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\)$`))]);
    const history = await cli('history', '--incident', 'INC-9');
    expect(history.code).toBe(0);
    const [rows = '', where = ''] = history.stdout.split('\n\n');
    expect(rows.split('\n').map((l) => l.split(/\s{2,}/)[1])).toEqual(['issue', 'reissue', 'extend']);
    // Then where the login's statements are: --direct has no log group, so the server's own log.
    expect(where).toMatch(new RegExp(`^statements: in the PostgreSQL server log of 127\\.0\\.0\\.1 .* is ${first.json().username}, from [^\\n]*$`));
    expect(history.stdout).not.toMatch(/SCRAM|password/i);
    const revoked = await cli('revoke', 'ro', '--incident', 'INC-9', '--json');
    expect(revoked.json()).toMatchObject({ ok: true, action: 'revoke', logins: [{ login: first.json().username, dropped: true }] });
    const swept = await cli('sweep', '--json');
    expect(swept).toMatchObject({ code: 0 });
    expect(swept.json()).toMatchObject({ ok: true, action: 'sweep', logins: [] });
    const pending = await cli('request', 'rw', '--incident', 'INC-10', '--reason', 'fix', '--json');
    expect(pending.code).toBe(3);
    expect(pending.json()).toMatchObject({ ok: false, code: 'APPROVAL_PENDING', exitCode: 3, details: { requestId: expect.any(String) } });
    // The approver finds it without the id being passed along by hand (old: no way to list or show requests).
    const id = pending.json().details.requestId as string;
    const listed = await cli('requests');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^request ${id}  my_pg_firefighter_rw  \\S+ \\(direct\\)  INC-10  asked \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\), pending until \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\)  "fix"$`)),
      expect.stringMatching(new RegExp(`^  firefighter approve ${id} --direct --database-url \\S+   or   firefighter deny ${id} --direct --database-url \\S+$`)),
    ]);
    expect(listed.stdout).not.toContain(url.split('@')[0]?.split(':')[2] ?? 'no password in the URL');
    const shown = await cli('requests', 'show', id, '--json');
    expect(shown.json()).toMatchObject({ ok: true, action: 'requests', requests: [{ requestId: id, role: 'my_pg_firefighter_rw', incidentId: 'INC-10', reason: 'fix', state: 'pending' }] });
    const missing = await cli('requests', 'show', '999999');
    expect([missing.code, missing.stderr]).toEqual([2, 'firefighter: refused (INVALID_INPUT): there is no read-write request 999999; `firefighter requests` lists the pending ones']);
    const self = await cli('approve', pending.json().details.requestId, '--json');
    expect([self.code, self.json().code]).toEqual([2, 'SELF_APPROVAL']);
    const usage = await cli('approve', 'abc', '--json');
    expect([usage.code, usage.json()]).toEqual([2, { ok: false, code: 'USAGE', message: expect.stringMatching(/^approve needs the request id/), refusal: true, exitCode: 2 }]);
  });
});
