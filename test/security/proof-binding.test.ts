// Attack: an identity proof signed for one thing is used for another. Before, a proof signed for `status` was
// accepted for `request rw`, a takeover and a revoke for its whole 5 minutes, each audited as the signer. Now
// the proof signs the action, access level, incident and a digest of the request, and the broker compares them
// with the event before it calls STS. Allowlist entries naming an assumed-role session are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerHandler, type BrokerHandler } from '../../lambda/broker-handler.js';
import { parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseBrokerInput } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding } from '../../lib/broker/protocol/proof-binding.js';
import { signIdentityProof, stsIdentityVerifier } from '../../lib/broker/sts-identity.js';
import { queryAs } from '../support/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';
import { startStsStub, type StsStub } from '../support/sts-stub.js';
import { brokerPassword, brokerConfig, captureLogger, loadSpec, prepare } from './support.js';

const spec = loadSpec('reference');
const DB = 'my-pg-db';
const BROKER_ID = 'security-proof-binding';
const LEAD = { accessKeyId: 'ASIALEADEXAMPLE00001', secretAccessKey: 'lead-secret-key-0000000000000000000000', sessionToken: 'lead-session-token-EXAMPLE', arn: 'arn:aws:sts::123456789012:assumed-role/incident-lead/carol' };

describe('an identity proof authorises the one request it was signed for (PostgreSQL 17)', () => {
  let server: EmbeddedServer;
  let sts: StsStub;
  let handler: BrokerHandler;
  const logger = captureLogger();

  const proofFor = async (event: Record<string, unknown>) => {
    const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: [DB] });
    if (input.action === 'sweep') throw new Error('no proof for sweep');
    return signIdentityProof({ credentials: LEAD, region: 'eu-west-1', endpoint: sts.endpoint, brokerId: BROKER_ID, binding: proofBinding(input) });
  };
  const audit = () => queryAs<{ n: number }>(server.masterUrl(DB), 'my_pg_admin', 'SELECT count(*)::int AS n FROM db_admin.firefighter_audit');
  const holders = () => queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT role, holder, incident_id FROM db_admin.firefighter_role ORDER BY role');

  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
    sts = await startStsStub([LEAD]);
    await prepare(server, spec);
    const config = parseBrokerConfig({
      ...brokerConfig(server, spec), brokerId: BROKER_ID, stsEndpoint: sts.endpoint,
      allowlist: { ro: ['arn:aws:iam::123456789012:role/incident-lead'], rw: ['arn:aws:iam::123456789012:role/incident-lead'] },
    });
    handler = createBrokerHandler({
      config, password: () => brokerPassword(server), tls: { mode: 'verify-full', ca: server.ca }, logger,
      verifyIdentity: stsIdentityVerifier({ brokerId: BROKER_ID, endpoint: sts.endpoint }),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await sts?.close();
  });

  const REQUEST_RW = { action: 'request', role: 'rw', incidentId: 'INC-7', reason: 'cancel a duplicated order', hours: 1 };
  it.each([
    ['a status proof used for request rw', { action: 'status' }, REQUEST_RW, /signed for status, not for request rw/],
    ['a request ro proof used for request rw', { ...REQUEST_RW, role: 'ro' }, REQUEST_RW, /signed for request ro, not for request rw/],
    ['a revoke proof used for request rw', { action: 'revoke', role: 'rw', incidentId: 'INC-7' }, REQUEST_RW, /signed for revoke rw, not for request rw/],
    ['a proof for INC-6 used for INC-7', { ...REQUEST_RW, incidentId: 'INC-6' }, REQUEST_RW, /signed for another incident/],
    ['a proof without takeover used for a takeover', REQUEST_RW, { ...REQUEST_RW, takeover: true }, /signed for another request/],
    ['a proof for 1 hour used for 2', REQUEST_RW, { ...REQUEST_RW, hours: 2 }, /signed for another request/],
    ['a proof with another reason', REQUEST_RW, { ...REQUEST_RW, reason: 'something else' }, /signed for another request/],
    ['a request proof used for status', REQUEST_RW, { action: 'status' }, /signed for request rw, not for status/],
  ])('%s is refused, audited, and changes nothing', async (_name, signedFor, used, message) => {
    const before = { audit: await audit(), holders: await holders() };
    const response = await handler({ ...used, identity: await proofFor(signedFor) });
    expect(response).toMatchObject({ ok: false, code: 'IDENTITY_REFUSED', refusal: true, message: expect.stringMatching(message) });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', attributes: { outcome: 'refused', code: 'IDENTITY_REFUSED' } });
    expect({ audit: await audit(), holders: await holders() }).toEqual(before);
  });

  it('the proof signed for exactly this request works, and the holder is the person: the role, whose trust policy binds no session name', async () => {
    expect(await handler({ ...REQUEST_RW, identity: await proofFor(REQUEST_RW) })).toMatchObject({ ok: true, role: 'my_pg_firefighter_rw' });
    expect(await holders()).toContainEqual({ role: 'my_pg_firefighter_rw', holder: 'arn:aws:iam::123456789012:role/incident-lead', incident_id: 'INC-7' });
  });

  it('an allowlist entry naming an assumed-role session is refused at cold start, with the reason', () => {
    expect(() => parseBrokerConfig({ ...brokerConfig(server, spec), allowlist: { ro: [], rw: ['arn:aws:sts::123456789012:assumed-role/incident-lead/carol'] } }))
      .toThrow('allowlist.rw[0]: "arn:aws:sts::123456789012:assumed-role/incident-lead/carol" names an assumed-role session, whose name the caller picks when assuming the role, so it identifies nobody; list the role instead: arn:aws:iam::123456789012:role/incident-lead');
  });
});
