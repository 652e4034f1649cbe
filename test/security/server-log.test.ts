// What reaches the PostgreSQL log (README, security model): with log_statement=all the broker's call is logged
// with its bound parameters, so the SCRAM verifier is there; the plaintext password never reaches the server,
// so it is in no log line, whatever the logging settings.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';
import { ALICE, loadSpec, prepare, trustedService } from './support.js';

const spec = loadSpec('reference');
const DB = 'my-pg-db';

describe('the server log with log_statement=all (PostgreSQL 17)', () => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17, settings: { log_statement: 'all', log_min_error_statement: 'debug5', log_parameter_max_length: '-1', log_parameter_max_length_on_error: '-1' } });
    await prepare(server, spec);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('holds the verifier of an issued password (as documented) and never the plaintext', async () => {
    const broker = trustedService(server, spec, ALICE);
    const issued = await broker({ action: 'request', role: 'rw', incidentId: 'INC-1', reason: 'logged server', hours: 1 });
    if (!issued.ok || issued.action !== 'request' || !issued.password) throw new Error(JSON.stringify(issued));
    // A refusal, a takeover and a login are logged as well.
    await broker({ action: 'request', role: 'rw', incidentId: 'INC-2', reason: 'held', hours: 1 });
    const taken = await broker({ action: 'request', role: 'rw', incidentId: 'INC-2', reason: 'takeover', hours: 1, takeover: true });
    if (!taken.ok || taken.action !== 'request' || !taken.password) throw new Error(JSON.stringify(taken));
    const ff = new pg.Client({ host: '127.0.0.1', port: server.port, user: 'my_pg_firefighter_rw', password: taken.password, database: DB, ssl: server.ssl });
    await ff.connect();
    await ff.end();
    const log = server.readLog();
    expect(log).toMatch(/db_admin\.set_firefighter_password/);
    expect(log).toMatch(/SCRAM-SHA-256\$4096:/); // the verifier: documented in the README's security model
    for (const password of [issued.password, taken.password]) expect(log).not.toContain(password);
  });
});
