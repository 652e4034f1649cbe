// The broker Lambda handler on a real server (PostgreSQL 17, TLS verified against a local CA, every statement
// logged), with injected adapters: a token provider, a local STS stub that checks signatures, powertools'
// logger writing to a captured stdout, and a mocked Secrets Manager. The CLI reaches it through a mocked
// Lambda client. Proves: the verified caller and the allowlists, 200+ hostile inputs refused and audited with
// the catalog unchanged, secret delivery, and that no password, verifier or token leaks anywhere.
import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBrokerHandler, type BrokerHandler } from '../../lambda/broker-handler.js';
import { runFirefighter } from '../../bin/firefighter.js';
import { parseBrokerConfig, type BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { once } from '../../lambda/lazy-client.js';
import { parseBrokerInput } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding } from '../../lib/broker/protocol/proof-binding.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { signIdentityProof, stsIdentityVerifier } from '../../lib/broker/sts-identity.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { catalogSnapshot, queryAs } from '../support/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';
import { hostileIdentities, hostileInputs } from '../support/hostile-broker-inputs.js';
import { startStsStub, type StsStub } from '../support/sts-stub.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const BROKER_ID = 'test-stack-PasswordBroker-1A2B3C';
// An emulated RDS IAM auth token (the test server's IAM line accepts it), so a leak would be a real one.
let TOKEN = '';
const ONCALL = { accessKeyId: 'ASIAONCALLEXAMPLE001', secretAccessKey: 'oncall-secret-key-000000000000000000000', sessionToken: 'oncall-session-token-EXAMPLE', arn: 'arn:aws:sts::123456789012:assumed-role/oncall/alice' };
const LEAD = { accessKeyId: 'ASIALEADEXAMPLE00001', secretAccessKey: 'lead-secret-key-0000000000000000000000', sessionToken: 'lead-session-token-EXAMPLE', arn: 'arn:aws:sts::123456789012:assumed-role/incident-lead/carol' };
// The person ONCALL counts as (lib/broker/protocol/person.ts): every session of the unbound role oncall.
const ONCALL_PERSON = 'arn:aws:iam::123456789012:role/oncall';
const STRANGER = { accessKeyId: 'ASIASTRANGEREXAMPLE1', secretAccessKey: 'stranger-secret-key-000000000000000000', arn: 'arn:aws:iam::123456789012:user/mallory' };

describe('broker Lambda handler on PostgreSQL 17', () => {
  let server: EmbeddedServer;
  let sts: StsStub;
  let ca: string;
  let config: BrokerConfig;
  let handler: BrokerHandler;
  const output: string[] = [];
  const issued: string[] = [];
  const responses: unknown[] = [];

  // A proof signed for `event` (the CLI does the same): a proof signed for one request is refused for another.
  const sign = (who: typeof ONCALL | typeof STRANGER, over: { brokerId?: string; now?: Date; event?: Record<string, unknown> } = {}) => {
    const event = over.event ?? { action: 'status' };
    const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: [DB] });
    if (input.action === 'sweep') throw new Error('sweep needs no proof');
    return signIdentityProof({ credentials: who, region: 'eu-west-1', endpoint: sts.endpoint, brokerId: over.brokerId ?? BROKER_ID, binding: proofBinding(input), ...(over.now ? { now: over.now } : {}) });
  };
  const signed = async (who: typeof ONCALL | typeof STRANGER, event: Record<string, unknown>) => ({ ...event, identity: await sign(who, { event }) });
  const auditLines = () => output.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

  function makeHandler(overrides: Partial<Parameters<typeof createBrokerHandler>[0]> = {}): BrokerHandler {
    const h = createBrokerHandler({
      config,
      password: () => TOKEN,
      tls: { mode: 'verify-full', ca },
      verifyIdentity: stsIdentityVerifier({ brokerId: BROKER_ID, endpoint: sts.endpoint }),
      logger: new Logger({ serviceName: 'firefighter-broker' }),
      ...overrides,
    });
    return async (event, context) => {
      const response = await h(event, context);
      responses.push(response);
      if (response.ok && response.action === 'request' && response.password) issued.push(response.password);
      return response;
    };
  }

  beforeAll(async () => {
    // Powertools writes through a Console bound to process.stdout/stderr when it is constructed.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
        output.push(String(chunk));
        // Captured, not printed: 400 audit lines would drown the test report. Vitest's own output passes.
        return String(chunk).startsWith('{"level"') ? true : (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
    sts = await startStsStub([ONCALL, LEAD, STRANGER]);
    server = await startEmbeddedServer({ major: 17, settings: { log_statement: 'all', log_min_error_statement: 'debug5' } });
    ca = server.ca;
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    TOKEN = await server.issueIamToken('my_pg_password_broker');
    config = parseBrokerConfig({
      clusterId: 'my-pg', brokerId: BROKER_ID, port: server.port, writerHost: '127.0.0.1', instanceHosts: ['127.0.0.1'],
      brokerUser: 'my_pg_password_broker', databases: [{ name: DB, firefighterRo: RO, firefighterRw: RW }],
      allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall', 'arn:aws:iam::123456789012:role/incident-lead'], rw: ['arn:aws:iam::123456789012:role/team/incident-lead'] },
      incidentIdPattern: 'INC-[0-9]+', delivery: 'response', stsEndpoint: sts.endpoint,
    });
    handler = makeHandler();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.stop();
    await sts?.close();
  });

  it('request with a verified caller: the ARN from STS is the holder, one audit line records it', async () => {
    const response = await handler(await signed(ONCALL, { action: 'request', role: 'ro', incidentId: 'INC-10', reason: 'orders stuck', hours: 2 }), { awsRequestId: 'req-1' });
    expect(response, JSON.stringify(response)).toMatchObject({ ok: true, role: RO, takeover: false });
    const holders = await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT holder FROM db_admin.firefighter_role WHERE role = $1', [RO]);
    expect(holders).toEqual([{ holder: ONCALL_PERSON }]);
    expect(auditLines().at(-1)).toMatchObject({ level: 'INFO', service: 'firefighter-broker', message: 'firefighter request', outcome: 'issued', caller: ONCALL.arn, person: ONCALL_PERSON, incidentId: 'INC-10', reason: 'orders stuck', role: RO, awsRequestId: 'req-1', expiresAt: expect.any(String) });
  });

  it('the on-call role may not have rw; the lead may, and may take over ro (audited)', async () => {
    const refused = await handler(await signed(ONCALL, { action: 'request', role: 'rw', incidentId: 'INC-10', reason: 'write' }));
    expect(refused).toMatchObject({ ok: false, code: 'NOT_ALLOWED', refusal: true, message: `${ONCALL.arn} is not on the rw allowlist of broker ${BROKER_ID}: you are role oncall in account 123456789012; ask the owner of the PasswordBroker construct to add your role` });
    expect(auditLines().at(-1)).toMatchObject({ level: 'WARN', outcome: 'refused', code: 'NOT_ALLOWED', caller: ONCALL.arn });
    expect(await handler(await signed(LEAD, { action: 'request', role: 'rw', incidentId: 'INC-10', reason: 'write' }))).toMatchObject({ ok: true, role: RW });
    const held = await handler(await signed(LEAD, { action: 'request', role: 'ro', incidentId: 'INC-11', reason: 'read' }));
    expect(held).toMatchObject({ ok: false, code: 'ROLE_HELD', details: { holder: ONCALL_PERSON, holderIncidentId: 'INC-10' } });
    expect(await handler(await signed(LEAD, { action: 'request', role: 'ro', incidentId: 'INC-11', reason: 'read', takeover: true }))).toMatchObject({ ok: true, takeover: true, previousHolder: ONCALL_PERSON });
    expect(auditLines().at(-1)).toMatchObject({ outcome: 'takeover', previousHolder: ONCALL_PERSON, caller: LEAD.arn });
  });

  it('the CLI reaches the handler through the Lambda client, signing the proof with the SDK credential chain', async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).callsFake(async (input: { Payload: Uint8Array; FunctionName: string }) => {
      expect(input.FunctionName).toBe('firefighter-broker-fn');
      const result = await handler(JSON.parse(Buffer.from(input.Payload).toString('utf8')));
      return { StatusCode: 200, Payload: Buffer.from(JSON.stringify(result)) };
    });
    const env = { AWS_ACCESS_KEY_ID: ONCALL.accessKeyId, AWS_SECRET_ACCESS_KEY: ONCALL.secretAccessKey, AWS_SESSION_TOKEN: ONCALL.sessionToken, AWS_REGION: 'eu-west-1' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const io = { stdout: (t: string) => stdout.push(t), stderr: (t: string) => stderr.push(t), env: {} };
      const args = ['--function', 'firefighter-broker-fn', '--broker-id', BROKER_ID, '--sts-endpoint', sts.endpoint];
      // The lead holds ro (the test above): a revoke of what someone else holds takes --all.
      expect(await runFirefighter(['revoke', 'ro', '--incident', 'INC-11', '--all', ...args], io)).toBe(0);
      expect(await runFirefighter(['request', 'ro', '--incident', 'INC-12', '--reason', 'via the cli', ...args], io)).toBe(0);
      expect(stdout.join('\n')).toMatch(new RegExp(`^${RO} expired at \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\); 0 session\\(s\\) ended\n${RO} on 127.0.0.1:\\d+/${DB} until \\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\)\npassword: [A-Za-z0-9]{40} .*\n(.*\n)*end it: +firefighter revoke ro --incident "INC-12" --function firefighter-broker-fn --broker-id ${BROKER_ID}$`));
      expect(await runFirefighter(['request', 'rw', '--incident', 'INC-12', '--reason', 'not mine', ...args], io)).toBe(2);
      expect(await runFirefighter(['request', 'ro', '--incident', 'INC-12', '--reason', 'wrong broker', ...args.slice(0, 2), '--broker-id', 'other', '--sts-endpoint', sts.endpoint], io)).toBe(2);
      expect(stderr.join('\n')).toMatch(/refused \(NOT_ALLOWED\)[\s\S]*refused \(IDENTITY_REFUSED\): the identity proof is bound to another broker/);
      const password = /password: (\S+)/.exec(stdout.join('\n'))?.[1] ?? '';
      const ff = new pg.Client({ host: '127.0.0.1', port: server.port, user: RO, password, database: DB, ssl: { ca } });
      await ff.connect();
      await ff.end();
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      lambda.restore();
    }
  });

  it('refuses 200+ generated hostile inputs and forged proofs, audits each, and changes nothing in the catalog', async () => {
    const base = { action: 'request', role: 'ro', incidentId: 'INC-20', reason: 'hostile' };
    const proof = await sign(ONCALL, { event: base });
    const request = () => ({ action: 'request', role: 'ro', incidentId: 'INC-20', reason: 'hostile', identity: proof } as Record<string, unknown>);
    const revoke = () => ({ action: 'revoke', role: 'ro', incidentId: 'INC-20', identity: proof } as Record<string, unknown>);
    const forged = [
      await sign(ONCALL, { brokerId: 'another-broker', event: base }),
      await sign(ONCALL, { now: new Date(Date.now() - 20 * 60_000), event: base }),
      await sign({ ...ONCALL, secretAccessKey: 'guessed-secret-key-00000000000000000000' }, { event: base }),
      { ...proof, headers: { ...proof.headers, authorization: (proof.headers.authorization ?? '').replace(/Signature=\w+/, `Signature=${'f'.repeat(64)}`) } },
      { ...proof, headers: { ...proof.headers, 'x-amz-security-token': 'forged-session-token' } },
      await sign(STRANGER, { event: base }),
    ];
    const inputs = [...hostileInputs(request), ...hostileInputs(revoke, ['action', 'role', 'incidentId']), ...hostileIdentities(request, forged)];
    expect(inputs.length).toBeGreaterThanOrEqual(200);
    const databases = spec.databases.map((d) => d.name);
    const before = { catalog: await catalogSnapshot(server, databases), audit: await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT count(*)::int AS n, max(id) AS last FROM db_admin.firefighter_audit') };
    const linesBefore = auditLines().length;
    for (const { name, event } of inputs) {
      const response = await handler(event, { awsRequestId: name });
      expect(response, name).toMatchObject({ ok: false, refusal: true, code: expect.stringMatching(/^(INVALID_INPUT|IDENTITY_REFUSED|NOT_ALLOWED)$/) });
    }
    const refusals = auditLines().slice(linesBefore);
    expect(refusals).toHaveLength(inputs.length);
    expect(refusals.every((l) => l.level === 'WARN' && l.outcome === 'refused')).toBe(true);
    expect(refusals.map((l) => l.awsRequestId)).toEqual(inputs.map((i) => i.name));
    expect({ catalog: await catalogSnapshot(server, databases), audit: await queryAs(server.masterUrl(DB), 'my_pg_admin', 'SELECT count(*)::int AS n, max(id) AS last FROM db_admin.firefighter_audit') }).toEqual(before);
  });

  it('delivery "secret" writes host, port, database, user, password and expiry to the role\'s secret and returns only its ARN', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(PutSecretValueCommand).resolves({});
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:firefighter-rw-AbCdEf';
    const secretConfig = parseBrokerConfig({ ...config, delivery: 'secret', secretArns: { [RO]: arn.replace('rw', 'ro'), [RW]: arn } });
    try {
      const h = makeHandler({ config: secretConfig, secrets: new SecretsManagerClient({ region: 'eu-west-1' }) });
      const response = await h(await signed(LEAD, { action: 'request', role: 'rw', incidentId: 'INC-30', reason: 'secret', takeover: true }));
      expect(response).toMatchObject({ ok: true, secretArn: arn });
      expect(JSON.stringify(response)).not.toMatch(/"password"/);
      const put = secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
      expect(put?.SecretId).toBe(arn);
      const secret = JSON.parse(put?.SecretString ?? '{}') as Record<string, unknown>;
      expect(secret).toMatchObject({ host: '127.0.0.1', port: server.port, database: DB, username: RW, sslmode: 'verify-full', expiresAt: expect.any(String) });
      issued.push(String(secret.password));
      const ff = new pg.Client({ host: '127.0.0.1', port: server.port, user: RW, password: String(secret.password), database: DB, ssl: { ca } });
      await ff.connect();
      await ff.end();
    } finally {
      secrets.restore();
    }
  });

  it('a failed delivery expires the password again and reports a failure', async () => {
    const secrets = mockClient(SecretsManagerClient);
    secrets.on(PutSecretValueCommand).rejects(new Error('AccessDeniedException: not allowed'));
    try {
      const h = makeHandler({ config: parseBrokerConfig({ ...config, delivery: 'secret', secretArns: { [RO]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:a', [RW]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:b' } }),
        // As the Lambda passes it: a function that makes the client on first use.
        secrets: once(async () => new SecretsManagerClient({ region: 'eu-west-1' })) });
      const response = await h(await signed(LEAD, { action: 'request', role: 'rw', incidentId: 'INC-31', reason: 'x', takeover: true }));
      expect(response).toMatchObject({ ok: false, code: 'FAILURE', refusal: false, message: expect.stringMatching(/could not be delivered .*; it was expired again, try later$/) });
      const status = await handler(await signed(LEAD, { action: 'status' }));
      expect(status).toMatchObject({ ok: true, roles: expect.arrayContaining([expect.objectContaining({ role: RW, active: false })]) });
    } finally {
      secrets.restore();
    }
  });

  it('a database it cannot log in to is a failure (exit 1 class), and a failed sweep throws for the schedule to retry', async () => {
    const h = makeHandler({ password: () => `${TOKEN}-stale` });
    expect(await h(await signed(LEAD, { action: 'status' }))).toMatchObject({ ok: false, code: 'UNAVAILABLE', refusal: false, message: expect.stringMatching(/password authentication failed/) });
    await expect(h({ action: 'sweep' })).rejects.toThrow(/the sweep did not reach every instance/);
  });

  it('secrecy: no password, verifier or token in any log line, response field or error, nor the plaintext in the server log', async () => {
    // One more refusal after the role is held, on a logged server, to cover that path as well.
    await handler(await signed(LEAD, { action: 'request', role: 'ro', incidentId: 'INC-40', reason: 'x' }));
    expect(issued.length).toBeGreaterThanOrEqual(4);
    const text = output.join('');
    expect(text).toContain('"outcome":"issued"'); // the capture really saw the audit lines
    const withoutPasswords = JSON.stringify(responses.map((r) => ({ ...(r as object), password: undefined })));
    for (const haystack of [text, withoutPasswords]) {
      for (const password of issued) expect(haystack).not.toContain(password);
      expect(haystack).not.toContain('SCRAM-SHA-256$');
      expect(haystack).not.toContain(TOKEN);
      expect(haystack).not.toContain(TOKEN.slice(-64)); // the signature alone
      for (const key of [ONCALL.secretAccessKey, ONCALL.sessionToken, LEAD.secretAccessKey]) expect(haystack).not.toContain(key);
    }
    const log = server.readLog();
    expect(log).toContain('db_admin.set_firefighter_password');
    for (const password of issued) expect(log).not.toContain(password);
  });
});
