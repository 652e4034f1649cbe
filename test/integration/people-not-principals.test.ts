// People, not principals (issue 17, items 1 and 2), through the broker service with callers verified by a local
// STS that checks signatures, on a real server: the attacks of someone inside the on-call team who picks their
// own session name, and IAM Identity Center users as people.
//   * one role, session names `alice` and `alice-approver`: the second may not approve the first's read-write;
//   * a second responder who names their session like the first's gets no new password on the first's login;
//   * 25 session names of one role do not take all of maxLogins (25 for ro in the per-person spec);
//   * Identity Center users are people: a login each, their own reissue, self-approval refused across permission
//     sets, and a refusal that says which permission set the allowlist has.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { directConfig, directConnector, parseDirectUrl } from '../../lib/broker/direct.js';
import type { BrokerEvent } from '../../lib/broker/events.js';
import type { Allowlist } from '../../lib/broker/protocol/allowlist.js';
import type { BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseBrokerInput } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding } from '../../lib/broker/protocol/proof-binding.js';
import { createBrokerService, type AuditLogger, type BrokerResponse } from '../../lib/broker/service.js';
import { signIdentityProof, stsIdentityVerifier } from '../../lib/broker/sts-identity.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { connectWith } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec } from '../support/per-person-spec.js';
import { startSsoPortal } from '../support/sso-portal-stub.js';
import { startStsStub, type StsStub, type StubPrincipal } from '../support/sts-stub.js';

const DB = 'my-pg-db';
const BROKER_ID = 'people-test-broker';
const ACCT = '123456789012';
const ONCALL = `arn:aws:iam::${ACCT}:role/oncall`;
const LEAD = `arn:aws:iam::${ACCT}:role/lead`;
let keys = 0;
const principal = (arn: string): StubPrincipal => {
  const n = String(++keys).padStart(4, '0');
  return { accessKeyId: `ASIAPEOPLE${n}EXAMPLE`, secretAccessKey: `people-secret-key-${n}-000000000000000000`, sessionToken: `people-session-${n}`, arn };
};
const session = (role: string, name: string) => principal(`arn:aws:sts::${ACCT}:assumed-role/${role}/${name}`);
const ALICE = session('oncall', 'alice');
const ALICE_APPROVER = session('oncall', 'alice-approver');
// Bob, in the same role, names his session like Alice's: a different key pair, the same ARN.
const BOB_AS_ALICE = session('oncall', 'alice');
const NAMES = Array.from({ length: 25 }, (_, i) => session('oncall', `s${i + 1}`));
const DAN = principal(`arn:aws:iam::${ACCT}:user/dan`);
const SSO_ALICE = session('AWSReservedSSO_OnCall_0123456789abcdef', 'alice@example.com');
const SSO_ALICE_REASSIGNED = session('AWSReservedSSO_OnCall_fedcba9876543210', 'alice@example.com');
const SSO_ALICE_LEAD = session('AWSReservedSSO_Lead_aaaaaaaaaaaaaaaa', 'alice@example.com');
const SSO_BOB = session('AWSReservedSSO_OnCall_0123456789abcdef', 'bob@example.com');
const SSO_MALLORY = session('AWSReservedSSO_ReadOnly_0123456789abcdef', 'mallory@example.com');

type Ok<A extends string> = Extract<BrokerResponse, { ok: true; action: A }>;

describe.each(testedMajors())('people, not principals, on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let sts: StsStub;
  let base: BrokerConfig;
  const open: pg.Client[] = [];
  const events: BrokerEvent[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger: AuditLogger = { info: (_m, a) => void lines.push(a), warn: (_m, a) => void lines.push(a), error: (_m, a) => void lines.push(a) };

  function serviceWith(allowlist: Allowlist) {
    const config = { ...base, brokerId: BROKER_ID, allowlist };
    return async () => {
      const target = await parseDirectUrl(server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB), {});
      return createBrokerService({ config, connect: directConnector(target), sslmode: target.tls.mode, logger, publish: async (e) => void events.push(e),
        identity: { verify: stsIdentityVerifier({ brokerId: BROKER_ID, endpoint: sts.endpoint }) } });
    };
  }

  // A broker with `allowlist` (unchecked: a hand-written configuration, or one from before the check), asked by `who`.
  async function as(who: StubPrincipal, allowlist: Allowlist, event: Record<string, unknown>): Promise<BrokerResponse> {
    const service = await serviceWith(allowlist)();
    const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: [DB] });
    if (input.action === 'sweep') throw new Error('no proof for a sweep');
    const identity = await signIdentityProof({ credentials: who, region: 'eu-west-1', endpoint: sts.endpoint, brokerId: BROKER_ID, binding: proofBinding(input) });
    return service({ ...event, identity });
  }
  async function login(user: string, password: string): Promise<pg.Client> {
    const c = await connectWith(server, user, password, DB);
    open.push(c);
    return c;
  }

  beforeAll(async () => {
    sts = await startStsStub([ALICE, ALICE_APPROVER, BOB_AS_ALICE, ...NAMES, DAN, SSO_ALICE, SSO_ALICE_REASSIGNED, SSO_ALICE_LEAD, SSO_BOB, SSO_MALLORY]);
    server = await startEmbeddedServer({ major });
    await applyRoleModel(perPersonSpec, { connectionString: server.masterUrl() });
    const target = await parseDirectUrl(server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB), {});
    base = { ...await directConfig(target, directConnector(target)), stsEndpoint: sts.endpoint };
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
    await sts?.close();
  });

  it('one role with session names alice and alice-approver cannot approve its own read-write', async () => {
    // The demo's old allowlists; the configuration parser and synth now refuse them, and db_admin still decides.
    const allowlist = { ro: [ONCALL], rw: [ONCALL], approve: [ONCALL, LEAD] };
    const pending = await as(ALICE, allowlist, { action: 'request', role: 'rw', incidentId: 'INC-1', reason: 'fix one order' });
    expect(pending).toMatchObject({ ok: false, code: 'APPROVAL_PENDING' });
    const requestId = String((pending as { details?: Record<string, string> }).details?.requestId);
    const self = await as(ALICE_APPROVER, allowlist, { action: 'approve', requestId, reason: 'looks fine' });
    // old: { ok: true, decision: 'approved' }, and alice's next request got my_pg_firefighter_rw_...
    expect(self).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
    expect(await as(ALICE, allowlist, { action: 'request', role: 'rw', incidentId: 'INC-1', reason: 'fix one order' })).toMatchObject({ ok: false, code: 'APPROVAL_PENDING' });
    // The audit keeps the full ARN beside the person it counts as.
    expect(lines.at(-2)).toMatchObject({ caller: ALICE_APPROVER.arn, person: ONCALL, code: 'SELF_APPROVAL' });
  });

  it('a second responder naming their session like the first gets no new password on the first\'s login', async () => {
    const allowlist = { ro: [ONCALL], rw: [] };
    const first = await as(ALICE, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-2', reason: 'orders stuck' }) as Ok<'request'>;
    expect(first).toMatchObject({ ok: true, outcome: 'issued' });
    const second = await as(BOB_AS_ALICE, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-2', reason: 'me too' });
    // old: { ok: true, outcome: 'reissued', username: <the first's login> }, and the first's password stopped working
    expect(second).toMatchObject({ ok: false, code: 'ROLE_HELD', refusal: true,
      message: expect.stringContaining(`${ONCALL} holds login ${first.username} for incident INC-2 until`) });
    expect((second as { message: string }).message).toContain('the broker cannot tell the sessions of that role apart');
    await login(first.username, first.password!);
  });

  it('25 session names of one role do not take all of maxLogins', async () => {
    const allowlist = { ro: [ONCALL, DAN.arn], rw: [] };
    const outcomes: string[] = [];
    for (const who of NAMES) {
      const r = await as(who, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-3', reason: 'look' });
      outcomes.push(r.ok ? String((r as Ok<'request'>).outcome) : r.code);
    }
    // old: 24 x issued (with INC-2's login, 25 = maxLogins), then LIMIT_REACHED; and dan was refused
    expect(outcomes).toEqual(['issued', ...Array(24).fill('ROLE_HELD')]);
    expect(await as(DAN, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-3', reason: 'look' })).toMatchObject({ ok: true, outcome: 'issued' });
  });

  it('Identity Center users are people: a login each, their own reissue, across re-assignment', async () => {
    const allowlist = { ro: [{ permissionSet: 'OnCall', account: ACCT }], rw: [] };
    const a = await as(SSO_ALICE, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'look' }) as Ok<'request'>;
    const b = await as(SSO_BOB, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'look' }) as Ok<'request'>;
    expect([a.outcome, b.outcome]).toEqual(['issued', 'issued']);
    expect(b.username).not.toBe(a.username);
    // The permission set was assigned again: a new role suffix, the same person and login.
    const again = await as(SSO_ALICE_REASSIGNED, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'lost it' }) as Ok<'request'>;
    expect(again).toMatchObject({ ok: true, outcome: 'reissued', username: a.username });
    expect(lines.at(-1)).toMatchObject({ caller: SSO_ALICE_REASSIGNED.arn, person: 'identity-center:alice@example.com', outcome: 'reissued' });
    expect(events.at(-1)?.detail).toMatchObject({ caller: SSO_ALICE_REASSIGNED.arn, person: 'identity-center:alice@example.com' });
    await login(b.username, b.password!);
  });

  it('an Identity Center user cannot approve their own read-write through another permission set', async () => {
    const allowlist = { ro: [], rw: [{ permissionSet: 'OnCall', account: ACCT }], approve: [{ permissionSet: 'Lead', account: ACCT }] };
    const pending = await as(SSO_ALICE, allowlist, { action: 'request', role: 'rw', incidentId: 'INC-5', reason: 'fix' });
    const requestId = String((pending as { details?: Record<string, string> }).details?.requestId);
    expect(await as(SSO_ALICE_LEAD, allowlist, { action: 'approve', requestId })).toMatchObject({ ok: false, code: 'SELF_APPROVAL' });
  });

  it('a caller not on the list is told which permission set the allowlist has', async () => {
    const allowlist = { ro: [{ permissionSet: 'OnCall', account: ACCT }], rw: [] };
    expect(await as(SSO_MALLORY, allowlist, { action: 'request', role: 'ro', incidentId: 'INC-6', reason: 'look' })).toMatchObject({ ok: false, code: 'NOT_ALLOWED',
      message: `${SSO_MALLORY.arn} is not on the ro allowlist of broker ${BROKER_ID}: the allowlist has permission set OnCall in account ${ACCT}; you are mallory@example.com with permission set ReadOnly in account ${ACCT}; ask the owner of the PasswordBroker construct to add your role` });
  });

  it('the CLI with an `aws sso login` profile works unchanged: the Identity Center user is the person', async () => {
    const portal = await startSsoPortal({ account: ACCT, permissionSet: 'OnCall', credentials: { accessKeyId: SSO_BOB.accessKeyId, secretAccessKey: SSO_BOB.secretAccessKey, sessionToken: SSO_BOB.sessionToken ?? '' } });
    const service = await serviceWith({ ro: [{ permissionSet: 'OnCall', account: ACCT }], rw: [] })();
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array }) => ({ StatusCode: 200, Payload: Buffer.from(JSON.stringify(await service(JSON.parse(Buffer.from(input.Payload).toString('utf8'))))) }));
    const names = [...Object.keys(portal.env), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION'];
    const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
    for (const k of names) delete process.env[k];
    Object.assign(process.env, portal.env);
    try {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await runFirefighter(['request', 'ro', '--incident', 'INC-7', '--reason', 'via sso', '--json', '--profile', portal.profile, '--function', 'fn', '--broker-id', BROKER_ID, '--sts-endpoint', sts.endpoint],
        { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {} });
      expect([code, stderr.join('\n')]).toEqual([0, '']);
      expect(JSON.parse(stdout.join('\n'))).toMatchObject({ ok: true, outcome: 'issued' });
      expect(portal.calls).toEqual([`${ACCT}/OnCall`]);
      expect(lines.at(-1)).toMatchObject({ caller: SSO_BOB.arn, person: 'identity-center:bob@example.com', incidentId: 'INC-7' });
    } finally {
      lambda.restore();
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      await portal.close();
    }
  });
});
