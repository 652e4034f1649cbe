// Answers tell the truth: when the password was set but a later step failed, the response and the audit line
// say until when it is active and how to revoke it. Before, a lost answer was reported as a plain failure and
// a failed re-expiry after a failed delivery as "it was expired again".
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerService } from '../../lib/broker/service.js';
import type { BrokerConnector } from '../../lib/postgres/broker-connection.js';
import { queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { brokerConfig, captureLogger, connector, loadSpec, prepare } from './support.js';

// A person (an IAM user): db_admin records the person as holder (protocol/person.ts).
const ALICE = 'arn:aws:iam::123456789012:user/alice';

const spec = loadSpec('reference');
const DB = 'my-pg-db';

/** The real connection, except that once the password function has run on the server the socket dies. */
function losesTheAnswer(base: BrokerConnector): BrokerConnector {
  return async (host, database) => {
    const client = await base(host, database);
    const real = client.query.bind(client) as (text: string, params?: unknown[]) => Promise<pg.QueryResult>;
    (client as unknown as { query: typeof real }).query = async (text, params) => {
      const result = await real(text, params);
      if (/(set|request)_firefighter_password/.test(String(text))) {
        (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      }
      return result;
    };
    return client;
  };
}

describe.each(testedMajors())('answers tell the truth on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const holder = async (role: string) => (await queryAs<{ holder: string; expires_at: Date }>(server.masterUrl(DB), 'my_pg_admin', 'SELECT holder, expires_at FROM db_admin.firefighter_role WHERE role = $1', [role]))[0];

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, spec);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the answer is lost after the password was set: the response and the audit say until when, and how to revoke', async () => {
    const logger = captureLogger();
    const service = createBrokerService({ config: brokerConfig(server, spec), connect: losesTheAnswer(connector(server, spec)), sslmode: 'disable', logger, identity: { trusted: ALICE } });
    const response = await service({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'lost answer', hours: 1 });
    const stored = await holder('my_pg_firefighter_ro');
    expect(stored?.holder).toBe(ALICE); // the password really was set
    const until = stored?.expires_at.toISOString();
    expect(response).toMatchObject({
      ok: false, code: 'FAILURE', refusal: false,
      message: expect.stringContaining(`the password of my_pg_firefighter_ro was set before that and is active until ${until}, and nobody received it: revoke it with \`firefighter revoke ro --incident "INC-1"\``),
      details: { passwordActiveUntil: until, revokeWith: 'firefighter revoke ro --incident "INC-1"' },
    });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error', attributes: { outcome: 'failed', passwordActiveUntil: until, revokeWith: 'firefighter revoke ro --incident "INC-1"' } });
  });

  it('delivery failed and expiring the password again failed too: it says the password is active until its expiry', async () => {
    const logger = captureLogger();
    const base = connector(server, spec);
    let connections = 0;
    // The first connection sets the password; the revoke after the failed delivery cannot connect.
    const flaky: BrokerConnector = async (host, database) => {
      if (++connections > 1) throw Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' });
      return base(host, database);
    };
    const service = createBrokerService({
      config: { ...brokerConfig(server, spec), delivery: 'secret', secretArns: { my_pg_firefighter_rw: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rw' } },
      connect: flaky, sslmode: 'disable', logger, identity: { trusted: ALICE },
      deliver: async () => { throw Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }); },
    });
    const response = await service({ action: 'request', role: 'rw', incidentId: 'INC-2', reason: 'delivery fails', hours: 1 });
    const stored = await holder('my_pg_firefighter_rw');
    const until = stored?.expires_at.toISOString();
    expect(stored?.holder).toBe(ALICE);
    expect(response).toMatchObject({
      ok: false, code: 'FAILURE',
      message: expect.stringMatching(new RegExp(`could not be delivered \\(AccessDeniedException: not allowed\\), and expiring it again failed too \\(.*\\); it is active until ${until?.replace(/\./g, '\\.')} and nobody received it: revoke it with \`firefighter revoke rw --incident "INC-2"\`$`)),
      details: { passwordActiveUntil: until },
    });
    expect(JSON.stringify(response)).not.toMatch(/expired again/);
    expect(logger.lines.at(-1)).toMatchObject({ attributes: { passwordActiveUntil: until } });
  });
});
