// Caller identity for the broker, the way HashiCorp Vault's AWS IAM auth method does it: the caller signs an
// `sts:GetCallerIdentity` request with its own credentials, including a header that names this broker, and
// sends it unsent; the broker sends it to STS itself and trusts only the ARN STS answers with. The broker
// never sees the caller's secret key, a proof made for another broker is refused, and a proof is only good for
// a few minutes. The proof also signs what it is for (action, access, incident, a digest of the request: see
// proofBinding), and the broker accepts each proof once (db_admin.accept_identity_proof, keyed by the digest
// returned here). Only AWS-specific by the request it signs; the rest of the broker does not depend on it.
import { createHash, randomBytes } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { IdentityProof } from './protocol/broker-input.js';
import { PROOF_BINDING_HEADERS, proofBindingHeaders, type ProofBinding } from './protocol/proof-binding.js';
import { BROKER_ERROR_CODES, BrokerError } from './errors.js';

export const BROKER_ID_HEADER = 'x-firefighter-broker-id';
/** A random value in every proof: SigV4 dates have one-second resolution, so two identical requests signed in the
 *  same second would otherwise be the same proof, and the one-use cache would refuse the second. */
export const NONCE_HEADER = 'x-firefighter-nonce';
export const GET_CALLER_IDENTITY_BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
/** The regional endpoint the SDK would use; the Lambda and the CLI must agree on it (the host is signed). */
export const defaultStsEndpoint = (region: string): string => `https://sts.${region}.amazonaws.com`;

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Signs, but does not send, a GetCallerIdentity request bound to `brokerId` and to one request. Used by the CLI. */
export async function signIdentityProof(options: { credentials: SigningCredentials; region: string; endpoint: string; brokerId: string; binding: ProofBinding; now?: Date }): Promise<IdentityProof> {
  const url = new URL(options.endpoint);
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: '/',
    headers: {
      host: url.host,
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      [BROKER_ID_HEADER]: options.brokerId,
      [NONCE_HEADER]: randomBytes(16).toString('hex'),
      ...proofBindingHeaders(options.binding),
    },
    body: GET_CALLER_IDENTITY_BODY,
  });
  const signer = new SignatureV4({ service: 'sts', region: options.region, credentials: options.credentials, sha256: Sha256 });
  const signed = await signer.sign(request, options.now ? { signingDate: options.now } : {});
  return { method: 'POST', headers: { ...(signed.headers as Record<string, string>) }, body: GET_CALLER_IDENTITY_BODY };
}

export interface StsVerifierOptions {
  /** The value the proof's broker-id header must carry. */
  readonly brokerId: string;
  /** Where the broker sends the proof, e.g. https://sts.eu-west-1.amazonaws.com. The proof's signed host must match. */
  readonly endpoint: string;
  /** Oldest proof accepted. @default 300_000 (5 minutes; STS itself would accept 15) */
  readonly maxAgeMs?: number;
  /** @default 5_000 */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A caller STS vouched for, and what identifies the proof so that it is accepted once. */
export interface VerifiedCaller {
  readonly arn: string;
  /** sha256 (hex) of the proof's SigV4 signature: the replay cache's key. */
  readonly proofSha256: string;
  /** When this broker stops accepting the proof by its age. */
  readonly validUntil: Date;
}

/**
 * Verifies a proof signed for `binding` and returns the caller, or throws BrokerError IDENTITY_REFUSED /
 * UNAVAILABLE. A plain ARN (a verifier for tests or the demo) is accepted by the service without a replay record.
 */
export type IdentityVerifier = (proof: IdentityProof | undefined, binding: ProofBinding) => Promise<VerifiedCaller | string>;

// Only these headers are forwarded; anything else in a proof is refused rather than silently dropped.
const FORWARDED = new Set(['authorization', 'content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', BROKER_ID_HEADER, NONCE_HEADER, ...Object.values(PROOF_BINDING_HEADERS)]);
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=[A-Z0-9]{16,128}\/(\d{8})\/([a-z0-9-]{1,32})\/sts\/aws4_request, ?SignedHeaders=([a-z0-9;-]{1,512}), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/;
export const CALLER_ARN = /^arn:aws[a-z-]*:(iam::\d{12}:(user\/[\w+=,.@/-]+|root)|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;

const refuse = (message: string) => new BrokerError(BROKER_ERROR_CODES.identityRefused, message);

const describeBinding = (action: string | undefined, access: string | undefined) => (action === 'status' || !access || access === '-' ? String(action ?? 'nothing') : `${action} ${access}`);

export function stsIdentityVerifier(options: StsVerifierOptions): (proof: IdentityProof | undefined, binding: ProofBinding) => Promise<VerifiedCaller> {
  const endpoint = new URL(options.endpoint);
  const maxAgeMs = options.maxAgeMs ?? 300_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;

  return async (proof, binding) => {
    if (!proof) throw refuse('no identity proof; request through the firefighter CLI, which signs one with your AWS credentials');
    const headers = new Map(Object.entries(proof.headers).map(([k, v]) => [k.toLowerCase(), v]));
    for (const name of headers.keys()) if (!FORWARDED.has(name)) throw refuse(`the identity proof carries an unexpected header ${JSON.stringify(name)}; sign a plain GetCallerIdentity request`);
    if (proof.body !== GET_CALLER_IDENTITY_BODY) throw refuse('the identity proof is not a GetCallerIdentity request; sign exactly that request');
    if (headers.get(BROKER_ID_HEADER) !== options.brokerId) throw refuse(`the identity proof is bound to another broker (header ${BROKER_ID_HEADER}); sign it for this broker`);
    if (headers.get('host') !== endpoint.host) throw refuse(`the identity proof is signed for another STS host; this broker verifies at ${endpoint.host}`);
    const auth = AUTHORIZATION.exec(headers.get('authorization') ?? '');
    if (!auth) throw refuse('the identity proof has no valid SigV4 Authorization header for sts');
    const signed = (auth[3] ?? '').split(';');
    if (!/^[0-9a-f]{32}$/.test(headers.get(NONCE_HEADER) ?? '')) throw refuse(`the identity proof has no ${NONCE_HEADER} header of 32 hex digits; sign it with this version of the firefighter CLI`);
    for (const required of ['host', 'x-amz-date', BROKER_ID_HEADER, NONCE_HEADER, ...Object.values(PROOF_BINDING_HEADERS)]) {
      if (!signed.includes(required)) throw refuse(`the identity proof does not sign the ${required} header; it could be replayed elsewhere or for something else`);
    }
    // What the proof was signed for must be what is asked: a proof for `status` is not one for `request rw`.
    const signedFor = describeBinding(headers.get(PROOF_BINDING_HEADERS.action), headers.get(PROOF_BINDING_HEADERS.access));
    const askedFor = describeBinding(binding.action, binding.access);
    if (signedFor !== askedFor) throw refuse(`the identity proof was signed for ${signedFor}, not for ${askedFor}; sign a proof for this request`);
    if (headers.get(PROOF_BINDING_HEADERS.incident) !== binding.incident) throw refuse('the identity proof was signed for another incident; sign a proof for this request');
    if (headers.get(PROOF_BINDING_HEADERS.requestSha256) !== binding.requestSha256) throw refuse('the identity proof was signed for another request (its reason, hours, takeover or database differ); sign a proof for this request');
    const date = AMZ_DATE.exec(headers.get('x-amz-date') ?? '');
    if (!date) throw refuse('the identity proof has no valid X-Amz-Date header');
    const signedAt = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]), Number(date[4]), Number(date[5]), Number(date[6]));
    const age = now() - signedAt;
    if (age > maxAgeMs) throw refuse(`the identity proof is ${Math.round(age / 1000)} s old; the limit is ${maxAgeMs / 1000} s, sign a fresh one`);
    if (age < -60_000) throw refuse('the identity proof is dated in the future; check your clock');

    const forwarded: Record<string, string> = {};
    for (const [name, value] of headers) if (name !== 'host') forwarded[name] = value;
    let response: Response;
    try {
      response = await doFetch(new URL('/', endpoint), { method: 'POST', headers: forwarded, body: proof.body, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new BrokerError(BROKER_ERROR_CODES.unavailable, `cannot reach STS at ${endpoint.host} to verify the caller: ${(error as Error).name}; check the broker's route to STS`);
    }
    const text = (await response.text().catch(() => '')).slice(0, 65_536);
    if (response.status === 403 || response.status === 400) throw refuse(`STS rejected the identity proof (HTTP ${response.status}): the signature is invalid or expired, or the credentials are not valid`);
    if (response.status !== 200) throw new BrokerError(BROKER_ERROR_CODES.unavailable, `STS at ${endpoint.host} answered HTTP ${response.status}; try again`);
    const arn = /<GetCallerIdentityResult>[\s\S]*?<Arn>([^<]{1,2048})<\/Arn>[\s\S]*?<\/GetCallerIdentityResult>/.exec(text)?.[1];
    if (!arn || !CALLER_ARN.test(arn)) throw new BrokerError(BROKER_ERROR_CODES.unavailable, `STS at ${endpoint.host} answered without a caller ARN the broker understands`);
    return { arn, proofSha256: createHash('sha256').update(auth[4] ?? '').digest('hex'), validUntil: new Date(signedAt + maxAgeMs) };
  };
}
