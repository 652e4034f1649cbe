// The caller's identity proof: signed by the CLI, checked by the broker, verified by a local STS that really
// checks signatures. Every way a proof can be wrong is refused before or by STS, and no message leaks a secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProof } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding, type ProofBinding } from '../../lib/broker/protocol/proof-binding.js';
import { BrokerError } from '../../lib/broker/errors.js';
import { signIdentityProof, stsIdentityVerifier } from '../../lib/broker/sts-identity.js';
import { startStsStub, type StsStub } from '../support/sts-stub.js';

const ALICE = { accessKeyId: 'ASIAALICEEXAMPLE0001', secretAccessKey: 'alice-secret-key-0000000000000000000000', sessionToken: 'alice-session-token-FwoGZXIvYXdzEXAMPLE', arn: 'arn:aws:sts::123456789012:assumed-role/oncall/alice' };
const BROKER = 'my-stack-PasswordBroker-ABC123';

let sts: StsStub;
beforeAll(async () => {
  sts = await startStsStub([ALICE]);
});
afterAll(async () => sts?.close());

const STATUS = proofBinding({ action: 'status' });
const REQUEST_RW = proofBinding({ action: 'request', access: 'rw', incidentId: 'INC-1', reason: 'orders stuck', hours: 2, takeover: false });
const sign = (over: Partial<{ brokerId: string; now: Date; endpoint: string; credentials: typeof ALICE; binding: ProofBinding }> = {}) =>
  signIdentityProof({ credentials: over.credentials ?? ALICE, region: 'eu-west-1', endpoint: over.endpoint ?? sts.endpoint, brokerId: over.brokerId ?? BROKER, binding: over.binding ?? STATUS, ...(over.now ? { now: over.now } : {}) });
const verifierFor = (over: Partial<Parameters<typeof stsIdentityVerifier>[0]> = {}) => stsIdentityVerifier({ brokerId: BROKER, endpoint: sts.endpoint, ...over });
const verifier = (over: Partial<Parameters<typeof stsIdentityVerifier>[0]> = {}) => (proof: IdentityProof | undefined, binding: ProofBinding = STATUS) => verifierFor(over)(proof, binding);

async function refusal(promise: Promise<unknown>): Promise<BrokerError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BrokerError);
  const text = JSON.stringify({ ...(error as object), message: (error as Error).message });
  for (const secret of [ALICE.secretAccessKey, ALICE.sessionToken]) expect(text).not.toContain(secret);
  expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
  return error as BrokerError;
}

const withHeader = (proof: IdentityProof, name: string, value: string | undefined): IdentityProof => {
  const headers = Object.fromEntries(Object.entries(proof.headers).filter(([k]) => k.toLowerCase() !== name));
  return { ...proof, headers: value === undefined ? headers : { ...headers, [name]: value } };
};

describe('identity proof', () => {
  it('two identical requests signed in the same second are two proofs (the one-use cache would refuse the second)', async () => {
    const now = new Date();
    const [a, b] = [await sign({ now }), await sign({ now })];
    expect(a.headers['x-amz-date']).toBe(b.headers['x-amz-date']);
    expect(a.headers.authorization).not.toBe(b.headers.authorization);
    const [va, vb] = [await verifier()(a), await verifier()(b)];
    expect(va.proofSha256).not.toBe(vb.proofSha256);
  });

  it('a fresh proof bound to this broker yields the ARN STS answers with', async () => {
    const proof = await sign();
    expect(proof.headers).toMatchObject({ 'x-firefighter-broker-id': BROKER, 'x-amz-security-token': ALICE.sessionToken });
    expect(proof.headers.authorization).toMatch(/SignedHeaders=.*x-firefighter-broker-id/);
    await expect(verifier()(proof)).resolves.toMatchObject({ arn: ALICE.arn, proofSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it.each([
    ['is missing', async () => undefined, /no identity proof/],
    ['is bound to another broker', () => sign({ brokerId: 'someone-elses-broker' }), /bound to another broker/],
    ['is ten minutes old', () => sign({ now: new Date(Date.now() - 10 * 60_000) }), /is 60[0-2] s old; the limit is 300 s/],
    ['is dated in the future', () => sign({ now: new Date(Date.now() + 5 * 60_000) }), /dated in the future/],
    ['is signed for another STS host', () => sign({ endpoint: 'https://sts.us-east-1.amazonaws.com' }), /signed for another STS host/],
    ['has its broker header changed after signing', async () => withHeader(await sign({ brokerId: 'other' }), 'x-firefighter-broker-id', BROKER), /STS rejected the identity proof \(HTTP 403\)/],
    ['has a forged signature', async () => { const p = await sign(); return withHeader(p, 'authorization', (p.headers.authorization ?? '').replace(/Signature=\w+/, `Signature=${'0'.repeat(64)}`)); }, /STS rejected/],
    ['has an unknown access key', () => sign({ credentials: { ...ALICE, accessKeyId: 'ASIAMALLORYEXAMPLE01' } }), /STS rejected/],
    ['was signed with the wrong secret key', () => sign({ credentials: { ...ALICE, secretAccessKey: 'not-alices-secret-key-00000000000000000' } }), /STS rejected/],
    ['has no broker header signed', async () => { const p = await sign(); return withHeader(p, 'authorization', (p.headers.authorization ?? '').replace(';x-firefighter-broker-id', '')); }, /does not sign the x-firefighter-broker-id header/],
    ['carries an extra header', async () => withHeader(await sign(), 'x-forwarded-host', 'evil.example'), /unexpected header "x-forwarded-host"/],
    ['asks for another action', async () => ({ ...(await sign()), body: 'Action=AssumeRole&Version=2011-06-15' }), /not a GetCallerIdentity request/],
    ['has no date', async () => withHeader(await sign(), 'x-amz-date', undefined), /no valid X-Amz-Date/],
    ['has no nonce', async () => withHeader(await sign(), 'x-firefighter-nonce', undefined), /no x-firefighter-nonce header of 32 hex digits/],
    ['has its nonce unsigned', async () => { const p = await sign(); return withHeader(p, 'authorization', (p.headers.authorization ?? '').replace(';x-firefighter-nonce', '')); }, /does not sign the x-firefighter-nonce header/],
    ['has no authorization', async () => withHeader(await sign(), 'authorization', undefined), /no valid SigV4 Authorization/],
  ])('is refused when the proof %s', async (_name, make, message) => {
    const error = await refusal(verifier()(await make()));
    expect(error.code).toBe('IDENTITY_REFUSED');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['a status proof used for request rw', STATUS, REQUEST_RW, /signed for status, not for request rw/],
    ['a request ro proof used for request rw', proofBinding({ action: 'request', access: 'ro', incidentId: 'INC-1', reason: 'orders stuck', hours: 2, takeover: false }), REQUEST_RW, /signed for request ro, not for request rw/],
    ['a request proof used for revoke', REQUEST_RW, proofBinding({ action: 'revoke', access: 'rw', incidentId: 'INC-1', reason: 'orders stuck' }), /signed for request rw, not for revoke rw/],
    ['a proof for INC-1 used for INC-2', REQUEST_RW, proofBinding({ action: 'request', access: 'rw', incidentId: 'INC-2', reason: 'orders stuck', hours: 2, takeover: false }), /signed for another incident/],
    ['a proof used with takeover added', REQUEST_RW, proofBinding({ action: 'request', access: 'rw', incidentId: 'INC-1', reason: 'orders stuck', hours: 2, takeover: true }), /signed for another request/],
    ['a proof used with another reason', REQUEST_RW, proofBinding({ action: 'request', access: 'rw', incidentId: 'INC-1', reason: 'something else', hours: 2, takeover: false }), /signed for another request/],
  ])('binds the proof to one request: %s is refused before STS is called', async (_name, signedFor, usedFor, message) => {
    const before = sts.calls();
    const error = await refusal(verifier()(await sign({ binding: signedFor }), usedFor));
    expect(error).toMatchObject({ code: 'IDENTITY_REFUSED', message: expect.stringMatching(message) });
    expect(sts.calls()).toBe(before);
  });

  it('refuses a proof whose binding headers are not signed, or were changed after signing', async () => {
    const proof = await sign({ binding: REQUEST_RW });
    const unsigned = withHeader(proof, 'authorization', (proof.headers.authorization ?? '').replace(';x-firefighter-request-sha256', ''));
    expect((await refusal(verifier()(unsigned, REQUEST_RW))).message).toMatch(/does not sign the x-firefighter-request-sha256 header/);
    // Headers rewritten to match another request: the signature no longer matches them, and STS says so.
    const other = proofBinding({ action: 'request', access: 'rw', incidentId: 'INC-1', reason: 'other', hours: 2, takeover: false });
    const rewritten = withHeader(proof, 'x-firefighter-request-sha256', other.requestSha256);
    expect((await refusal(verifier()(rewritten, other))).message).toMatch(/STS rejected the identity proof \(HTTP 403\)/);
  });

  it('each proof has its own digest for the replay cache, valid for the proof\'s lifetime', async () => {
    const now = Date.now();
    const a = await verifierFor({ now: () => now })(await sign({ binding: REQUEST_RW, now: new Date(now) }), REQUEST_RW);
    const b = await verifierFor({ now: () => now })(await sign({ binding: STATUS, now: new Date(now) }), STATUS);
    expect(a.proofSha256).not.toBe(b.proofSha256);
    expect(a.validUntil.getTime() - Math.floor(now / 1000) * 1000).toBe(300_000);
  });

  it('checks the broker binding and age before it calls STS at all', async () => {
    const before = sts.calls();
    await refusal(verifier()(await sign({ brokerId: 'other' })));
    await refusal(verifier()(await sign({ now: new Date(Date.now() - 3_600_000) })));
    expect(sts.calls()).toBe(before);
  });

  it('an unreachable STS is a failure of the broker, not a refusal', async () => {
    const error = await refusal(verifier({ endpoint: 'http://127.0.0.1:1', timeoutMs: 2_000 })(await sign({ endpoint: 'http://127.0.0.1:1' })));
    expect(error.code).toBe('UNAVAILABLE');
  });
});
