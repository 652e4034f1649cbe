// Retire (the RoleModel custom resource's Delete under DESTROY) with per-person firefighter logins (issue 12):
// the logins the broker created through db_admin are dropped with their groups and their sessions ended; a
// look-alike role someone else made a member of a group is left alone. As the master.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePassword } from '../../lib/broker/protocol/password.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { retireDatabaseRoles } from '../../lib/postgres/retire.js';
import { attempt, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec } from '../support/per-person-spec.js';

const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const ISSUE = 'SELECT login FROM db_admin.issue_firefighter_login($1, $2, 2, $3, $4, $5)';

describe.each(testedMajors())('retire with per-person logins on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const open: pg.Client[] = [];

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(perPersonSpec, { connectionString: server.masterUrl() });
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await server?.stop();
  });

  it('drops the broker\'s logins and ends their sessions, keeping a look-alike the broker did not make', async () => {
    const broker = new pg.Client({ connectionString: server.url('my_pg_password_broker', await server.issueIamToken('my_pg_password_broker'), DB), ssl: server.ssl });
    await broker.connect();
    const logins: string[] = [];
    try {
      for (const who of ['alice', 'bob']) {
        const password = generatePassword();
        const { rows } = await broker.query<{ login: string }>(ISSUE, [RO, scramSha256Verifier(password), who, 'INC-1', 'retire test']);
        const login = String(rows[0]?.login);
        logins.push(login);
        const c = new pg.Client({ host: '127.0.0.1', port: server.port, user: login, password, database: DB, ssl: server.ssl });
        c.on('error', () => undefined);
        await c.connect();
        open.push(c);
      }
    } finally {
      await broker.end();
    }
    // Named like a login and a member of the group, but granted by the master: not the broker's.
    await query(server.masterUrl(), `CREATE ROLE ${RO}_abcdef LOGIN; GRANT ${RO} TO ${RO}_abcdef`);

    const result = await retireDatabaseRoles(perPersonSpec, DB, { connectionString: server.masterUrl() }, { dropDatabase: false });
    // Old code: the groups were dropped and both logins stayed, able to log in until their expiry.
    expect(result.rolesDropped).toEqual(expect.arrayContaining(logins));
    expect(result.sessionsEnded).toBeGreaterThanOrEqual(2);
    for (const c of open) expect(await attempt(c, 'SELECT 1')).toMatch(/terminat|connection/);
    const left = await query<{ rolname: string }>(server.masterUrl(), `SELECT rolname FROM pg_roles WHERE rolname LIKE 'my\\_pg\\_firefighter\\_%' ORDER BY 1`);
    expect(left).toEqual([{ rolname: `${RO}_abcdef` }]);
    void major;
  });
});
