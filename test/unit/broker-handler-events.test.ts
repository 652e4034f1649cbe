// The deployed wiring (issue 12, item 3): the configuration the construct writes, read by depsFromEnv at cold
// start, gives the handler an EventBridge client for `eventBus`, and a refused request (no database needed)
// reaches PutEvents on that bus; without `eventBus` nothing is published. EventBridge mocked at the client.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createBrokerHandler, depsFromEnv } from '../../lambda/broker-handler.js';
import { createBrokerService } from '../../lib/broker/service.js';
import { parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';

const eventBridge = mockClient(EventBridgeClient);
const config = {
  clusterId: 'my-pg', brokerId: 'Prod-MyPg-Broker-1A2B3C', port: 5432, writerHost: 'my-pg.cluster-x.eu-west-1.rds.amazonaws.com',
  instanceHosts: ['my-pg-writer.x.eu-west-1.rds.amazonaws.com'], brokerUser: 'my_pg_password_broker',
  databases: [{ name: 'my-pg-db', firefighterRo: 'my_pg_firefighter_ro', firefighterRw: 'my_pg_firefighter_rw' }],
  allowlist: { ro: [], rw: [], approve: [] }, firefighterLogins: 'per-person', delivery: 'response',
};
const env = (extra: Record<string, unknown>) => ({ AWS_REGION: 'eu-west-1', FIREFIGHTER_BROKER_CONFIG: JSON.stringify({ ...config, ...extra }) });

afterEach(() => {
  eventBridge.reset();
});

describe('the broker Lambda and its event bus', () => {
  it('with eventBus, a refusal is published to that bus, with the refusal code and no identity', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const deps = depsFromEnv(env({ eventBus: 'default' }));
    expect(deps.eventBridge).toBeInstanceOf(EventBridgeClient);
    const handler = createBrokerHandler(deps);
    const response = await handler({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'x', identity: { token: 'forged-session-token-0000' } }, { awsRequestId: 'req-9' });
    expect(response).toMatchObject({ ok: false, refusal: true });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries).toEqual([expect.objectContaining({ EventBusName: 'default', Source: 'cdk-aurora-firefighter', DetailType: 'firefighter refused' })]);
    expect(JSON.parse(entries[0]!.Detail!)).toMatchObject({ awsRequestId: 'req-9', broker: config.brokerId, cluster: 'my-pg', caller: 'unverified', action: 'request', code: expect.any(String) });
    expect(entries[0]!.Detail).not.toContain('forged-session-token-0000');
  });

  it('without eventBus, no client and nothing published', async () => {
    const deps = depsFromEnv(env({}));
    expect(deps.eventBridge).toBeUndefined();
    await createBrokerHandler(deps)({ action: 'status' });
    expect(eventBridge.commandCalls(PutEventsCommand)).toEqual([]);
  });

  it('a bus that does not answer holds the audit line back for publishTimeoutMs at most, and the line says so', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = (_m: string, a: Record<string, unknown>) => void lines.push(a);
    const service = createBrokerService({
      config: parseBrokerConfig(config), connect: () => Promise.reject(new Error('no database in this test')), identity: { trusted: 'arn:aws:iam::123456789012:user/alice' },
      logger: { info: log, warn: log, error: log }, publish: () => new Promise<void>(() => undefined), publishTimeoutMs: 100,
    });
    const started = Date.now();
    const response = await service({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'x', hours: 9 }, 'req-10');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(response).toMatchObject({ ok: false, refusal: true });
    expect(lines).toEqual([expect.objectContaining({ awsRequestId: 'req-10', eventPublished: false, eventError: 'no answer from the event bus within 100 ms; the event may still arrive' })]);
  }, 10_000);

  it('a publish that throws at once still leaves an audit line that says so', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = (_m: string, a: Record<string, unknown>) => void lines.push(a);
    const service = createBrokerService({
      config: parseBrokerConfig(config), connect: () => Promise.reject(new Error('no database in this test')), identity: { trusted: 'arn:aws:iam::123456789012:user/alice' },
      logger: { info: log, warn: log, error: log }, publish: () => {
        throw new TypeError('bus not configured');
      },
    });
    const response = await service({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'x', hours: 9 }, 'req-11');
    expect(response).toMatchObject({ ok: false, refusal: true });
    expect(lines).toEqual([expect.objectContaining({ awsRequestId: 'req-11', eventPublished: false, eventError: 'TypeError: bus not configured' })]);
  });
});
