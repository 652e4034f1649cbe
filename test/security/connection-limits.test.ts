// Attack (or just a busy night): requests, status and the sweep at once. The broker role's connection limit is 3
// and the Lambda's reserved concurrency 3; before, a warm container kept one connection while status and the
// sweep opened one per instance and database at once, so status failed with 53300 and, with the two-database
// example, the sweep failed and an expired firefighter session stayed open. Now each container holds at most
// one connection at any moment. Three "containers" (broker services, each keeping one connection as the Lambda
// does) run a mix of actions at once against one real server; writer and reader endpoints all lead to it, which
// is stricter than Aurora, where each instance counts its own connections.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { createBrokerService } from '../../lib/broker/service.js';
import { keepOneConnection } from '../../lib/postgres/broker-connection.js';
import { query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { ALICE, brokerConfig, captureLogger, connector, loadSpec, prepare } from './support.js';

const spec = loadSpec('two-databases');
const DB2 = 'other_pg_db';
const EXPIRED = 'other_pg_firefighter_ro';

describe.each(testedMajors())('the broker stays within its connection limit on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, spec);
  });
  afterAll(async () => {
    await server?.stop();
  });

  function container() {
    const direct = connector(server, spec);
    // Every endpoint name leads to the one test server.
    const kept = keepOneConnection((_host, database) => direct('127.0.0.1', database));
    const config = brokerConfig(server, spec, { writerHost: 'writer.cluster.example', instanceHosts: ['writer.instance.example', 'reader-1.instance.example', 'reader-2.instance.example'] });
    return { kept, service: createBrokerService({ config, connect: kept.connect, release: kept.release, sslmode: 'disable', logger: captureLogger(), identity: { trusted: ALICE } }) };
  }

  it('the broker role really has the default limit of 3', async () => {
    expect(await query(server.masterUrl(), 'SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [spec.passwordBroker.name])).toEqual([{ rolconnlimit: 3 }]);
  });

  it('three containers running request, status, revoke and sweep at once: no 53300, and the expired session is ended', async () => {
    // A firefighter session whose password has expired: issued, logged in, then time runs out.
    const setup = container();
    const issued = await setup.service({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'will expire', hours: 1, database: DB2 });
    await setup.kept.close();
    if (!issued.ok || issued.action !== 'request' || !issued.password) throw new Error(`no password: ${JSON.stringify(issued)}`);
    const stale = new pg.Client({ host: '127.0.0.1', port: server.port, user: EXPIRED, password: issued.password, database: DB2, ssl: server.ssl });
    stale.on('error', () => undefined);
    await stale.connect();
    await query(server.superuserUrl(DB2), `ALTER ROLE ${EXPIRED} VALID UNTIL '2000-01-01'; UPDATE db_admin.firefighter_role SET expires_at = '2000-01-01' WHERE role = '${EXPIRED}'`);

    let peak = 0;
    let watching = true;
    const watcher = (async () => {
      const su = new pg.Client({ connectionString: server.superuserUrl() });
      await su.connect();
      while (watching) {
        const { rows } = await su.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [spec.passwordBroker.name]);
        peak = Math.max(peak, rows[0]?.n ?? 0);
      }
      await su.end();
    })();

    const mixes: Record<string, unknown>[][] = [
      [{ action: 'status' }, { action: 'request', role: 'rw', incidentId: 'INC-2', reason: 'busy night', hours: 1 }, { action: 'sweep' }, { action: 'status' }, { action: 'revoke', role: 'rw', incidentId: 'INC-2' }],
      [{ action: 'sweep' }, { action: 'status' }, { action: 'request', role: 'rw', incidentId: 'INC-3', reason: 'busy night', hours: 1, database: DB2 }, { action: 'sweep' }, { action: 'revoke', role: 'rw', incidentId: 'INC-3', database: DB2 }],
      [{ action: 'status' }, { action: 'sweep' }, { action: 'status' }, { action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'busy night', hours: 1 }, { action: 'revoke', role: 'ro', incidentId: 'INC-4' }, { action: 'sweep' }],
    ];
    const containers = mixes.map(() => container());
    let responses: BrokerResponse[];
    try {
      // Each container runs its events one after the other (a Lambda container runs one invocation at a time).
      responses = (await Promise.all(mixes.map(async (events, i) => {
        const out: BrokerResponse[] = [];
        for (const event of events) out.push(await (containers[i]?.service ?? (() => { throw new Error('no container'); }))(event));
        return out;
      }))).flat();
    } finally {
      watching = false;
      await watcher;
      await Promise.all(containers.map((c) => c.kept.close()));
    }
    for (const r of responses) expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
    expect(JSON.stringify(responses)).not.toMatch(/too many connections|53300/);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
    const swept = responses.filter((r) => r.ok && r.action === 'sweep').flatMap((r) => (r.ok && r.action === 'sweep' ? r.ended : []));
    expect(swept).toContainEqual(expect.objectContaining({ database: DB2, role: EXPIRED, ended: 1 }));
    expect(await query(server.superuserUrl(), 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [EXPIRED])).toEqual([{ n: 0 }]);
  });
});
