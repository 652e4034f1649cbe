// Aurora Serverless v2 at 0 ACU pauses, and resuming takes tens of seconds, more than one connect timeout. The
// broker and the role-model custom resource keep retrying a cluster that refuses connections, for a bounded
// time, and then say that it may be resuming. Shown against an instance whose port opens only after they began
// (a TCP relay to a ready server, so the wait, not the server's own start-up, is what is measured).
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForServer } from '../../lambda/rolemodel-handler.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { brokerConnector } from '../../lib/postgres/broker-connection.js';
import { freePort, MASTER_PASSWORD, MASTER_USER, startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';
import { makeTls } from '../support/tls.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const embedded = (process.env.PG_TEST_DRIVER ?? (process.env.PG_TEST_URL ? 'url' : 'embedded')) === 'embedded';
const tls = makeTls();

/** The instance "resumes": from now on `port` accepts connections and passes them (TLS untouched) to the server. */
async function forward(port: number, target: number): Promise<Server> {
  const proxy = createServer((socket) => {
    const upstream = tcpConnect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return proxy;
}

describe.runIf(embedded)('a cluster resuming from auto-pause (PostgreSQL 17)', () => {
  const servers: EmbeddedServer[] = [];
  const proxies: Server[] = [];
  afterEach(async () => {
    for (const proxy of proxies.splice(0)) proxy.close();
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('the broker waits for an instance that accepts connections only later, then works', async () => {
    const server = await startEmbeddedServer({ major: 17, tls });
    servers.push(server);
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    const token = await server.issueIamToken('my_pg_password_broker');
    const port = await freePort();
    const connect = brokerConnector({ port, user: 'my_pg_password_broker', password: () => token, tls: { mode: 'verify-full', ca: tls.ca }, connectTimeoutMs: 3_000, resumeWaitMs: 60_000 });
    const started = Date.now();
    const pending = connect('127.0.0.1', 'my-pg-db');
    // The instance "resumes" ~3 s later: until then its port refuses connections.
    await new Promise((r) => setTimeout(r, 3_000));
    proxies.push(await forward(port, server.port));
    const client = await pending;
    try {
      expect((await client.query<{ u: string }>('SELECT current_user AS u')).rows).toEqual([{ u: 'my_pg_password_broker' }]);
    } finally {
      await client.end();
    }
    expect(Date.now() - started).toBeGreaterThan(3_000);
  });

  it('the broker gives up after its bound, saying the cluster may be resuming', async () => {
    const port = await freePort();
    const started = Date.now();
    const connect = brokerConnector({ port, user: 'my_pg_password_broker', password: () => 'x', tls: { mode: 'verify-full', ca: tls.ca }, resumeWaitMs: 3_000 });
    await expect(connect('127.0.0.1', 'my-pg-db')).rejects.toThrow(
      /^instance 127\.0\.0\.1 did not accept a connection within 3 s \(\d attempts; last error: .*ECONNREFUSED.*\); a cluster that scales to 0 ACU may still be resuming from auto-pause, so try again in a minute$/);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('the broker does not retry a refused password', async () => {
    const server = await startEmbeddedServer({ major: 17, tls });
    servers.push(server);
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
    const started = Date.now();
    const connect = brokerConnector({ port: server.port, user: 'my_pg_password_broker', password: () => 'not-the-token', tls: { mode: 'verify-full', ca: tls.ca }, resumeWaitMs: 60_000 });
    await expect(connect('127.0.0.1', 'my-pg-db')).rejects.toThrow(/password authentication failed for user "my_pg_password_broker"/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the role-model custom resource waits for an instance that accepts connections only later', async () => {
    const server = await startEmbeddedServer({ major: 17, tls });
    servers.push(server);
    const port = await freePort();
    const logs: string[] = [];
    const log = { info: (message: string, fields?: Record<string, unknown>) => logs.push(`${message} ${JSON.stringify(fields)}`), error: () => undefined };
    const pending = waitForServer({ host: '127.0.0.1', port, user: MASTER_USER, password: MASTER_PASSWORD, database: 'postgres', ssl: { ca: tls.ca }, connectionTimeoutMillis: 3_000 }, 60_000, log);
    await new Promise((r) => setTimeout(r, 2_000));
    proxies.push(await forward(port, server.port));
    await pending;
    expect(logs[0]).toMatch(/^cluster not reachable yet \(it may be resuming from auto-pause\), retrying/);
  });
});
