// Attack: a proof is used twice. Before, one signed request stood for any number of requests, revokes and
// takeovers for 5 minutes. Now db_admin.identity_proof records each proof's digest in the same statement as the
// change it authorised: a second use is refused, a refused change leaves the proof unused, and concurrent
// uses end with exactly one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerHandler, type BrokerHandler } from '../../lambda/broker-handler.js';
import { parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseBrokerInput } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding } from '../../lib/broker/protocol/proof-binding.js';
import { signIdentityProof, stsIdentityVerifier } from '../../lib/broker/sts-identity.js';
import { query, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { startStsStub, type StsStub } from '../support/sts-stub.js';
import { brokerPassword, brokerConfig, captureLogger, loadSpec, prepare } from './support.js';

const spec = loadSpec('reference');
const DB = 'my-pg-db';
const BROKER_ID = 'security-replay';
const ALICE = { accessKeyId: 'ASIAALICEEXAMPLE0001', secretAccessKey: 'alice-secret-key-0000000000000000000000', sessionToken: 'alice-session-token-EXAMPLE', arn: 'arn:aws:sts::123456789012:assumed-role/oncall/alice' };
const BOB = { accessKeyId: 'ASIABOBEXAMPLE000001', secretAccessKey: 'bob-secret-key-000000000000000000000000', sessionToken: 'bob-session-token-EXAMPLE', arn: 'arn:aws:sts::123456789012:assumed-role/oncall/bob' };

describe.each(testedMajors())('an identity proof is accepted once on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let sts: StsStub;
  let handler: BrokerHandler;

  const proofFor = async (who: typeof ALICE, event: Record<string, unknown>) => {
    const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: [DB] });
    if (input.action === 'sweep') throw new Error('no proof for sweep');
    return signIdentityProof({ credentials: who, region: 'eu-west-1', endpoint: sts.endpoint, brokerId: BROKER_ID, binding: proofBinding(input) });
  };
  const signed = async (who: typeof ALICE, event: Record<string, unknown>) => ({ ...event, identity: await proofFor(who, event) });
  const audit = async () => (await queryAs<{ n: number }>(server.masterUrl(DB), 'my_pg_admin', 'SELECT count(*)::int AS n FROM db_admin.firefighter_audit'))[0]?.n;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    sts = await startStsStub([ALICE, BOB]);
    await prepare(server, spec);
    handler = createBrokerHandler({
      config: parseBrokerConfig({ ...brokerConfig(server, spec), brokerId: BROKER_ID, stsEndpoint: sts.endpoint, allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: [] } }),
      password: () => brokerPassword(server), tls: { mode: 'verify-full', ca: server.ca }, logger: captureLogger(), keepConnection: true,
      verifyIdentity: stsIdentityVerifier({ brokerId: BROKER_ID, endpoint: sts.endpoint }),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await sts?.close();
  });

  it('the same request with the same proof twice: the second is refused and changes nothing', async () => {
    const event = await signed(ALICE, { action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'first use', hours: 1 });
    expect(await handler(event)).toMatchObject({ ok: true });
    const before = await audit();
    expect(await handler(event)).toMatchObject({ ok: false, code: 'IDENTITY_REFUSED', refusal: true, message: expect.stringMatching(/this identity proof was already used; each request needs a fresh one/) });
    expect(await audit()).toBe(before);
    const revoke = await signed(ALICE, { action: 'revoke', role: 'ro', incidentId: 'INC-1' });
    expect(await handler(revoke)).toMatchObject({ ok: true });
    expect(await handler(revoke)).toMatchObject({ ok: false, code: 'IDENTITY_REFUSED' });
    const status = await signed(ALICE, { action: 'status' });
    expect(await handler(status)).toMatchObject({ ok: true });
    expect(await handler(status)).toMatchObject({ ok: false, code: 'IDENTITY_REFUSED' });
  });

  it('a refused change leaves the proof unused: the role was held, and the same proof works once it is free', async () => {
    expect(await handler(await signed(ALICE, { action: 'request', role: 'ro', incidentId: 'INC-2', reason: 'alice holds it', hours: 1 }))).toMatchObject({ ok: true });
    const bobs = await signed(BOB, { action: 'request', role: 'ro', incidentId: 'INC-3', reason: 'bob waits', hours: 1 });
    expect(await handler(bobs)).toMatchObject({ ok: false, code: 'ROLE_HELD' });
    expect(await handler(await signed(ALICE, { action: 'revoke', role: 'ro', incidentId: 'INC-2' }))).toMatchObject({ ok: true });
    expect(await handler(bobs)).toMatchObject({ ok: true, role: 'my_pg_firefighter_ro' });
    expect(await handler(bobs)).toMatchObject({ ok: false, code: 'IDENTITY_REFUSED' });
  });

  it('six uses of one proof, three at a time through three warm containers: exactly one is accepted', async () => {
    const handlers = [handler, ...[1, 2].map(() => createBrokerHandler({
      config: parseBrokerConfig({ ...brokerConfig(server, spec), brokerId: BROKER_ID, stsEndpoint: sts.endpoint, allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: [] } }),
      password: () => brokerPassword(server), tls: { mode: 'verify-full', ca: server.ca }, logger: captureLogger(),
      verifyIdentity: stsIdentityVerifier({ brokerId: BROKER_ID, endpoint: sts.endpoint }),
    }))];
    // Bob holds ro (the test above), so alice's revoke is one with --all: each use would succeed but for the proof.
    const event = await signed(ALICE, { action: 'revoke', role: 'ro', incidentId: 'INC-4', all: true });
    // A container runs one invocation at a time; the three run at once (reserved concurrency 3).
    const results = (await Promise.all(handlers.map(async (h) => [await h(event), await h(event)]))).flat();
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((x) => !x.ok)) expect(r, JSON.stringify(r)).toMatchObject({ code: 'IDENTITY_REFUSED' });
  });

  it('the cache keeps a digest, never the proof, and forgets proofs STS would refuse anyway', async () => {
    const rows = await queryAs<{ proof_sha256: string; caller: string; action: string; lifetime: number }>(server.masterUrl(DB), 'my_pg_admin',
      `SELECT proof_sha256, caller, action, extract(epoch FROM valid_until - used_at)::int AS lifetime FROM db_admin.identity_proof ORDER BY used_at`);
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const r of rows) {
      expect(r.proof_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.lifetime).toBeLessThanOrEqual(300);
    }
    await query(server.superuserUrl(DB), `INSERT INTO db_admin.identity_proof (proof_sha256, caller, action, valid_until) VALUES (repeat('a', 64), 'old', 'status', now() - interval '1 hour')`);
    const fresh = await handler(await signed(ALICE, { action: 'status' }));
    expect(fresh, JSON.stringify(fresh)).toMatchObject({ ok: true });
    expect(await query(server.superuserUrl(DB), `SELECT 1 FROM db_admin.identity_proof WHERE proof_sha256 = repeat('a', 64)`)).toEqual([]);
  });
});
