// The team is told (issue 12, item 3): the broker Lambda handler, with verified callers (a local STS stub) and
// EventBridge mocked only at the client, runs real actions on a real server and publishes one PutEvents entry
// for every issue, reissue, extension, takeover, revoke, approval request and decision, refusal, and sweep
// that ended sessions, each with caller, login, incident and expiry; no payload holds a password, a verifier,
// the broker's IAM token or a caller's credentials. A bus that fails never fails the action: the audit line says so.
import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerHandler, type BrokerHandler } from '../../lambda/broker-handler.js';
import type { AuditLogger, BrokerResponse } from '../../lib/broker/service.js';
import { signIdentityProof, stsIdentityVerifier } from '../../lib/broker/sts-identity.js';
import { parseBrokerConfig, type BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { EVENT_DETAIL_TYPES } from '../../lib/broker/protocol/broker-events.js';
import { parseBrokerInput } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding } from '../../lib/broker/protocol/proof-binding.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec } from '../support/per-person-spec.js';
import { startStsStub, type StsStub } from '../support/sts-stub.js';

const shared = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const BROKER_ID = 'events-stack-Broker-1A2B3C';
const BUS = 'incidents';
const ALICE = { accessKeyId: 'ASIAALICEEXAMPLE0001', secretAccessKey: 'alice-secret-key-000000000000000000000', sessionToken: 'alice-session-token-EXAMPLE-0001', arn: 'arn:aws:sts::123456789012:assumed-role/oncall/alice' };
const BOB = { accessKeyId: 'ASIABOBEXAMPLE000001', secretAccessKey: 'bob-secret-key-00000000000000000000000', sessionToken: 'bob-session-token-EXAMPLE-00001', arn: 'arn:aws:sts::123456789012:assumed-role/oncall/bob' };
const LEAD = { accessKeyId: 'ASIALEADEXAMPLE00001', secretAccessKey: 'lead-secret-key-0000000000000000000000', sessionToken: 'lead-session-token-EXAMPLE-0001', arn: 'arn:aws:sts::123456789012:assumed-role/lead/carol' };
type Caller = typeof ALICE;

const eventBridge = mockClient(EventBridgeClient);

describe.each(testedMajors())('broker events through EventBridge on PostgreSQL %i', (major) => {
  let sts: StsStub;
  const servers: EmbeddedServer[] = [];
  const sessions: pg.Client[] = [];
  /** Everything a payload must never contain: passwords issued, the broker's tokens, the callers' credentials. */
  const secrets: string[] = [...[ALICE, BOB, LEAD].flatMap((c) => [c.secretAccessKey, c.sessionToken])];
  const lines: string[] = [];
  const logger: AuditLogger = { info: (m, a) => lines.push(JSON.stringify([m, a])), warn: (m, a) => lines.push(JSON.stringify([m, a])), error: (m, a) => lines.push(JSON.stringify([m, a])) };

  async function brokerOn(spec: RoleModelSpec, extra: Record<string, unknown>): Promise<{ server: EmbeddedServer; handler: BrokerHandler }> {
    const server = await startEmbeddedServer({ major });
    servers.push(server);
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    const token = await server.issueIamToken('my_pg_password_broker');
    secrets.push(token);
    const config: BrokerConfig = parseBrokerConfig({
      clusterId: 'my-pg', brokerId: BROKER_ID, port: server.port, writerHost: '127.0.0.1', instanceHosts: ['127.0.0.1'],
      brokerUser: 'my_pg_password_broker', databases: [{ name: DB, firefighterRo: RO, firefighterRw: RW }],
      delivery: 'response', stsEndpoint: sts.endpoint, eventBus: BUS, ...extra,
    });
    const handler = createBrokerHandler({
      config, password: () => token, tls: { mode: 'verify-full', ca: server.ca }, logger,
      verifyIdentity: stsIdentityVerifier({ brokerId: BROKER_ID, endpoint: sts.endpoint }),
      eventBridge: new EventBridgeClient({ region: 'eu-west-1' }),
    });
    return { server, handler };
  }

  let invocations = 0;
  /** Invokes as `who` with a proof signed for this very event; remembers every password issued. */
  async function as(handler: BrokerHandler, who: Caller | undefined, event: Record<string, unknown>): Promise<BrokerResponse> {
    let identity;
    if (who) {
      const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: [DB] });
      if (input.action === 'sweep') throw new Error('sweep needs no proof');
      identity = await signIdentityProof({ credentials: who, region: 'eu-west-1', endpoint: sts.endpoint, brokerId: BROKER_ID, binding: proofBinding(input) });
    }
    const response = await handler({ ...event, ...(identity ? { identity } : {}) }, { awsRequestId: `lambda-${++invocations}` });
    if (response.ok && response.action === 'request' && response.password) secrets.push(response.password);
    return response;
  }

  async function session(server: EmbeddedServer, user: string, password: string): Promise<void> {
    const client = new pg.Client({ connectionString: server.url(user, password, DB) });
    client.on('error', () => undefined);
    await client.connect();
    sessions.push(client);
  }

  /** The passing of time, as the operator's admin role would write it (the master after SET ROLE, committed). */
  async function asAdmin(server: EmbeddedServer, sql: string, params: unknown[]): Promise<void> {
    const admin = new pg.Client({ connectionString: server.masterUrl(DB) });
    await admin.connect();
    try {
      await admin.query('SET ROLE my_pg_admin');
      await admin.query(sql, params);
    } finally {
      await admin.end();
    }
  }

  /** Each PutEvents entry sent so far, with its Detail parsed. */
  function published(): (PutEventsRequestEntry & { detail: Record<string, any> })[] {
    return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []).map((e) => ({ ...e, detail: JSON.parse(e.Detail ?? '{}') }));
  }

  function expectNoSecretIn(text: string): void {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/SCRAM-SHA-256\$|md5[0-9a-f]{32}|X-Amz-Security-Token|Signature=/i);
  }

  beforeAll(async () => {
    sts = await startStsStub([ALICE, BOB, LEAD]);
  });
  afterEach(() => {
    eventBridge.reset();
  });
  afterAll(async () => {
    await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.stop()));
    await sts?.close();
  });

  it('per-person logins: every action is one event on the bus, with caller, login, incident and expiry, and no secret', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const { server, handler } = await brokerOn(perPersonSpec, {
      firefighterLogins: 'per-person',
      // oncall binds session names to people (docs/security.md, "Who is a person"): alice and bob are two.
      allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: [{ role: 'arn:aws:iam::123456789012:role/oncall', bindsSessionNames: true }], approve: ['arn:aws:iam::123456789012:role/lead'] },
    });
    const ask = (who: Caller, event: Record<string, unknown>) => as(handler, who, event);
    const request = (access: string, incidentId: string) => ({ action: 'request', role: access, incidentId, reason: 'orders stuck' });

    const issued = await ask(ALICE, request('ro', 'INC-1')) as Extract<BrokerResponse, { action: 'request'; ok: true }>;
    expect(issued).toMatchObject({ ok: true, outcome: 'issued' });
    const reissued = await ask(ALICE, request('ro', 'INC-1')) as typeof issued;
    expect(reissued).toMatchObject({ ok: true, outcome: 'reissued', username: issued.username });
    await session(server, reissued.username, reissued.password!);
    expect(await ask(ALICE, { action: 'extend', role: 'ro', incidentId: 'INC-1', reason: 'still on it', hours: 2 })).toMatchObject({ ok: true, action: 'extend' });
    const pending = await ask(ALICE, request('rw', 'INC-1'));
    expect(pending).toMatchObject({ ok: false, code: 'APPROVAL_PENDING' });
    const requestId = String((pending as { details?: Record<string, string> }).details?.requestId);
    expect(await ask(ALICE, { action: 'approve', requestId })).toMatchObject({ ok: false, code: 'NOT_ALLOWED' });
    const bobs = await ask(BOB, request('rw', 'INC-2'));
    expect(await ask(LEAD, { action: 'deny', requestId: String((bobs as { details?: Record<string, string> }).details?.requestId), reason: 'no ticket' })).toMatchObject({ ok: true, decision: 'denied' });
    expect(await ask(LEAD, { action: 'approve', requestId, reason: 'ticket checked' })).toMatchObject({ ok: true, decision: 'approved' });
    const rw = await ask(ALICE, request('rw', 'INC-1')) as typeof issued;
    expect(rw).toMatchObject({ ok: true, outcome: 'issued', requestId });
    const bob = await ask(BOB, request('ro', 'INC-2')) as typeof issued;
    await session(server, bob.username, bob.password!);
    await asAdmin(server, 'UPDATE db_admin.firefighter_login SET expires_at = pg_catalog.clock_timestamp() - interval \'1 second\' WHERE login = $1', [bob.username]);
    expect(await as(handler, undefined, { action: 'sweep' })).toMatchObject({ ok: true, sessionsEnded: 1 });
    expect(await ask(ALICE, { action: 'revoke', role: 'ro', incidentId: 'INC-1', reason: 'done' })).toMatchObject({ ok: true, sessionsEnded: 1 });

    const events = published();
    expect(events.map((e) => [e.DetailType, e.detail.caller])).toEqual([
      ['firefighter issued', ALICE.arn], ['firefighter reissued', ALICE.arn], ['firefighter extended', ALICE.arn],
      ['firefighter pending', ALICE.arn], ['firefighter refused', ALICE.arn], ['firefighter pending', BOB.arn],
      ['firefighter denied', LEAD.arn], ['firefighter approved', LEAD.arn], ['firefighter issued', ALICE.arn],
      ['firefighter issued', BOB.arn], ['firefighter swept', 'scheduler'], ['firefighter revoked', ALICE.arn],
    ]);
    for (const e of events) {
      expect(e).toMatchObject({ EventBusName: BUS, Source: 'cdk-aurora-firefighter', detail: { broker: BROKER_ID, cluster: 'my-pg' } });
      expect(EVENT_DETAIL_TYPES).toContain(e.DetailType);
    }
    const [first, , extended, asked, refused, , denied, approved, rwIssued, , swept, revoked] = events.map((e) => e.detail);
    expect(first).toMatchObject({ login: issued.username, role: RO, incidentId: 'INC-1', reason: 'orders stuck', expiresAt: issued.expiresAt });
    expect(extended).toMatchObject({ login: issued.username, incidentId: 'INC-1', expiresAt: expect.any(String) });
    expect(asked).toMatchObject({ role: RW, incidentId: 'INC-1', requestId, code: 'APPROVAL_PENDING', pendingUntil: expect.any(String) });
    expect(refused).toMatchObject({ action: 'approve', requestId, code: 'NOT_ALLOWED' });
    expect(denied).toMatchObject({ requestedBy: BOB.arn, incidentId: 'INC-2' });
    expect(approved).toMatchObject({ requestId, requestedBy: ALICE.arn, incidentId: 'INC-1', expiresAt: expect.any(String) });
    expect(rwIssued).toMatchObject({ login: rw.username, role: RW, requestId, incidentId: 'INC-1' });
    // The invocation's id never gives way to the approval's: both are there, under their own names.
    for (const e of [asked, refused, approved, rwIssued]) expect(e).toMatchObject({ awsRequestId: expect.stringMatching(/^lambda-\d+$/), requestId });
    expect(swept).toMatchObject({ sessionsEnded: 1, logins: [{ login: bob.username, holder: BOB.arn, incidentId: 'INC-2', expiresAt: expect.any(String), sessionsEnded: 1, dropped: true }] });
    expect(revoked).toMatchObject({ incidentId: 'INC-1', sessionsEnded: 1, logins: [{ login: issued.username, holder: ALICE.arn, incidentId: 'INC-1' }] });
    const payloads = JSON.stringify(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input));
    expect(secrets.length).toBeGreaterThanOrEqual(6 + 1 + 4);
    expectNoSecretIn(payloads);
    expectNoSecretIn(lines.join('\n'));
    // Every audit line of an action that published says so.
    expect(lines.filter((l) => l.includes('"eventPublished":true'))).toHaveLength(events.length);
  });

  it('shared roles: issue, reissue, extension, takeover, sweep and revoke are events naming the holders', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    const { server, handler } = await brokerOn(shared, { allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall', 'arn:aws:iam::123456789012:role/lead'], rw: [] } });
    const request = { action: 'request', role: 'ro', incidentId: 'INC-5', reason: 'slow queries' };
    expect(await as(handler, ALICE, request)).toMatchObject({ ok: true, takeover: false });
    expect(await as(handler, ALICE, request)).toMatchObject({ ok: true });
    expect(await as(handler, ALICE, { action: 'extend', role: 'ro', incidentId: 'INC-5', reason: 'still on it', hours: 1 })).toMatchObject({ ok: true });
    const taken = await as(handler, LEAD, { ...request, incidentId: 'INC-6', takeover: true }) as Extract<BrokerResponse, { action: 'request'; ok: true }>;
    expect(taken).toMatchObject({ ok: true, takeover: true });
    await session(server, RO, taken.password!);
    await asAdmin(server, 'UPDATE db_admin.firefighter_role SET expires_at = pg_catalog.clock_timestamp() - interval \'1 second\' WHERE role = $1', [RO]);
    expect(await as(handler, undefined, { action: 'sweep' })).toMatchObject({ ok: true, sessionsEnded: 1 });
    // The sweep found the hold expired (nobody holds ro now), so ending the role's password takes --all.
    expect(await as(handler, LEAD, { action: 'revoke', role: 'ro', incidentId: 'INC-6', reason: 'done', all: true })).toMatchObject({ ok: true });
    const events = published();
    expect(events.map((e) => [e.DetailType, e.detail.caller, e.detail.incidentId])).toEqual([
      ['firefighter issued', ALICE.arn, 'INC-5'], ['firefighter reissued', ALICE.arn, 'INC-5'], ['firefighter extended', ALICE.arn, 'INC-5'],
      ['firefighter takeover', LEAD.arn, 'INC-6'], ['firefighter swept', 'scheduler', undefined], ['firefighter revoked', LEAD.arn, 'INC-6'],
    ]);
    // Holders are people: every session of the unbound roles oncall and lead counts as its role.
    expect(events[3]?.detail).toMatchObject({ role: RO, previousHolder: 'arn:aws:iam::123456789012:role/oncall', previousIncidentId: 'INC-5', expiresAt: expect.any(String) });
    expect(events[4]?.detail).toMatchObject({ sessionsEnded: 1, ended: [{ role: RO, holder: 'arn:aws:iam::123456789012:role/lead', incidentId: 'INC-6', expiresAt: expect.any(String), ended: 1 }] });
    expectNoSecretIn(JSON.stringify(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input)));
  });

  it('a bus that fails (unreachable, or an entry rejected) does not fail the action; the audit line says the team was not told', async () => {
    const { handler } = await brokerOn(shared, { allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: [] } });
    const request = { action: 'request', role: 'ro', incidentId: 'INC-7', reason: 'bus down' };
    lines.length = 0;
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('connect ETIMEDOUT 10.0.0.5:443'), { name: 'TimeoutError' }));
    const down = await as(handler, ALICE, request);
    expect(down).toMatchObject({ ok: true, password: expect.any(String) });
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    expect(await as(handler, ALICE, request)).toMatchObject({ ok: true, password: expect.any(String) });
    const audit = lines.map((l) => JSON.parse(l) as [string, Record<string, unknown>]).map(([, a]) => a);
    expect(audit.map((a) => [a.outcome, a.eventPublished, a.eventError])).toEqual([
      ['issued', false, 'TimeoutError: connect ETIMEDOUT 10.0.0.5:443'],
      ['reissued', false, `Error: event bus ${BUS} rejected the firefighter reissued event: InternalFailure try again`],
    ]);
    expectNoSecretIn(lines.join('\n'));
  });
});
