// A warm broker container keeps one connection: reused while healthy, replaced when the backend is gone,
// and never more than one open between invocations (the broker role's connection limit is 3).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createBrokerHandler, type BrokerHandler } from '../../lambda/broker-handler.js';
import { withClient } from '../../lib/broker/db/connection.js';
import { BrokerError } from '../../lib/broker/errors.js';
import { brokerConnector, keepOneConnection, type BrokerConnector } from '../../lib/postgres/broker-connection.js';
import type { BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { query } from '../support/catalog.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('a warm broker keeps one connection', () => {
  let server: EmbeddedServer;
  let handler: BrokerHandler;
  let token: string;
  const brokerBackends = async () => (await query<{ pid: number }>(server.superuserUrl(), `SELECT pid FROM pg_stat_activity WHERE usename = 'my_pg_password_broker' ORDER BY pid`)).map((r) => r.pid);
  const request = (incidentId: string) => handler({ action: 'request', role: 'ro', incidentId, reason: 'keep-connection test', hours: 1, takeover: true });

  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    token = await server.issueIamToken('my_pg_password_broker');
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
    // What alice holds since the test above: a revoke is for the incident the role is held for.
    expect((await handler({ action: 'revoke', role: 'ro', incidentId: 'INC-2' })).ok).toBe(true);
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

  describe('checks a kept connection only after it sat idle (as PgBouncer\'s server_check_delay)', () => {
    let clock = 0;
    let opened = 0;
    let kept: ReturnType<typeof keepOneConnection>;
    const statements: string[] = [];
    beforeAll(() => {
      const direct = brokerConnector({ port: server.port, user: 'my_pg_password_broker', password: () => token, tls: { mode: 'verify-full', ca: server.ca } });
      const counting: BrokerConnector = async (host, database) => {
        opened++;
        const client = await direct(host, database);
        const original = client.query.bind(client) as (text: string, ...rest: unknown[]) => Promise<unknown>;
        (client as unknown as { query: unknown }).query = (text: string, ...rest: unknown[]) => (statements.push(String(text)), original(text, ...rest));
        return client;
      };
      kept = keepOneConnection(counting, 300_000, () => clock);
    });
    afterAll(async () => kept?.close());
    const deps = () => ({ config: { brokerUser: 'my_pg_password_broker' } as never, connect: kept.connect, release: kept.release });
    const backend = (client: pg.Client) => client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0]!.pid);

    it('reuses a connection released seconds ago with no extra round trip, and checks one idle for 30 s', async () => {
      const first = await withClient(deps(), '127.0.0.1', 'my-pg-db', 'test', [], backend);
      statements.length = 0;
      clock += 5_000;
      expect(await withClient(deps(), '127.0.0.1', 'my-pg-db', 'test', [], backend)).toBe(first);
      expect(statements).toEqual(['SELECT pg_backend_pid() AS pid']);
      statements.length = 0;
      clock += 31_000;
      expect(await withClient(deps(), '127.0.0.1', 'my-pg-db', 'test', [], backend)).toBe(first);
      expect(statements).toEqual(['SELECT 1', 'SELECT pg_backend_pid() AS pid']);
    });

    it('retries once on a fresh connection when a kept one reused unchecked is dead', async () => {
      const client = await kept.connect('127.0.0.1', 'my-pg-db');
      const pid = await backend(client);
      // Deaf to its own end, like a container thawed before the socket's FATAL was read.
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      await kept.release(client, true);
      await query(server.superuserUrl(), 'SELECT pg_terminate_backend($1, 5000)', [pid]);
      const before = opened;
      clock += 1_000;
      const now = await withClient(deps(), '127.0.0.1', 'my-pg-db', 'test', [], backend);
      expect(now).not.toBe(pid);
      expect(opened).toBe(before + 1);
    });

    it('does not retry a refusal by the server on a reused connection', async () => {
      const before = opened;
      clock += 1_000;
      let attempts = 0;
      await expect(withClient(deps(), '127.0.0.1', 'my-pg-db', 'test', [], async (client) => {
        attempts++;
        await client.query("SELECT pg_catalog.pg_terminate_backend(0) FROM db_admin.firefighter_role");
      })).rejects.toThrow();
      expect(attempts).toBe(1);
      expect(opened).toBe(before);
    });

    it('does not retry the work\'s own error on a reused connection (only a lost connection is retried)', async () => {
      const before = opened;
      clock += 1_000;
      let attempts = 0;
      await expect(withClient(deps(), '127.0.0.1', 'my-pg-db', 'test', [], async () => {
        attempts++;
        throw new BrokerError('FAILURE', 'the db_admin call returned nothing');
      })).rejects.toThrow(/returned nothing/);
      expect([attempts, opened]).toEqual([1, before]);
    });
  });
});
