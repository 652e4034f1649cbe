// A warm broker container keeps one connection: reused while healthy, replaced when the backend is gone,
// and never more than one open between invocations (the broker role's connection limit is 3).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerHandler, type BrokerHandler } from '../../lambda/broker-handler.js';
import type { BrokerConfig } from '../../lib/core/broker-config.js';
import { parseSpec } from '../../lib/core/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { query } from '../support/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('a warm broker keeps one connection', () => {
  let server: EmbeddedServer;
  let handler: BrokerHandler;
  const brokerBackends = async () => (await query<{ pid: number }>(server.superuserUrl(), `SELECT pid FROM pg_stat_activity WHERE usename = 'my_pg_password_broker' ORDER BY pid`)).map((r) => r.pid);
  const request = (incidentId: string) => handler({ action: 'request', role: 'ro', incidentId, reason: 'keep-connection test', hours: 1, takeover: true });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    const token = await server.issueIamToken('my_pg_password_broker');
    const config: BrokerConfig = {
      clusterId: 'my-pg', brokerId: 'test', port: server.port, writerHost: '127.0.0.1', instanceHosts: ['127.0.0.1', 'localhost'],
      brokerUser: 'my_pg_password_broker', databases: [{ name: 'my-pg-db', firefighterRo: 'my_pg_firefighter_ro', firefighterRw: 'my_pg_firefighter_rw' }],
      allowlist: { ro: ['arn:aws:iam::123456789012:role/oncall'], rw: [] }, delivery: 'response',
    };
    handler = createBrokerHandler({
      config, password: () => token, tls: { mode: 'verify-full', ca: server.ca }, logger: quiet, keepConnection: true,
      verifyIdentity: async () => 'arn:aws:sts::123456789012:assumed-role/oncall/alice',
    });
  });
  afterAll(async () => server?.stop());

  it('reuses the same backend for the next request', async () => {
    expect((await request('INC-1')).ok).toBe(true);
    const first = await brokerBackends();
    expect(first).toHaveLength(1);
    expect((await request('INC-2')).ok).toBe(true);
    expect(await brokerBackends()).toEqual(first);
  });

  it('keeps at most one connection after touching every instance, and a refusal keeps it usable', async () => {
    expect((await handler({ action: 'revoke', role: 'ro', incidentId: 'INC-3' })).ok).toBe(true);
    expect(await brokerBackends()).toHaveLength(1);
    const refused = await handler({ action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'x', hours: 1 });
    expect((await handler({ action: 'request', role: 'ro', incidentId: 'INC-5', reason: 'y', hours: 1 })).ok).toBe(false);
    expect(refused.ok).toBe(true);
    expect(await brokerBackends()).toHaveLength(1);
  });

  it('connects afresh when the kept backend was terminated', async () => {
    const [pid] = await brokerBackends();
    await query(server.superuserUrl(), 'SELECT pg_terminate_backend($1)', [pid]);
    const response = await request('INC-6');
    expect(response.ok).toBe(true);
    const now = await brokerBackends();
    expect(now).toHaveLength(1);
    expect(now).not.toContain(pid);
  });
});
