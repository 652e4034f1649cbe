// Attack: the database's owner changes its database's settings (ALTER DATABASE ... SET), which every new session
// then inherits, to break or bend the broker: standard_conforming_strings = off turned the verifier check
// into "never send a plaintext" for every request; default_transaction_read_only = on refused every change;
// DateStyle, exit_on_error, search_path and the timeouts change how the broker's SQL runs or reads back.
// The broker pins what it relies on in the startup packet, which outranks database and role settings.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PINNED_SETTINGS } from '../../lib/postgres/broker-connection.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { asOwner, connector, loadSpec, prepare, trustedService } from './support.js';

// A person (an IAM user): db_admin records the person as holder (lib/broker/protocol/person.ts).
const ALICE = 'arn:aws:iam::123456789012:user/alice';

const spec = loadSpec('reference');
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';

const HOSTILE: Record<string, string> = {
  standard_conforming_strings: 'off',
  default_transaction_read_only: 'on',
  default_transaction_isolation: 'serializable',
  DateStyle: 'SQL, DMY',
  IntervalStyle: 'sql_standard',
  exit_on_error: 'on',
  search_path: 'public',
  statement_timeout: '20ms',
  lock_timeout: '1ms',
  idle_in_transaction_session_timeout: '1ms',
  idle_session_timeout: '1ms',
  TimeZone: 'Pacific/Kiritimati',
};

describe.each(testedMajors())('database settings cannot break the broker on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, spec);
    // From the maintenance database: once default_transaction_read_only is on, sessions in DB cannot ALTER anything.
    await asOwner(server, 'postgres', 'my_pg_owner', Object.entries(HOSTILE).map(([name, value]) => `ALTER DATABASE "${DB}" SET "${name}" = '${value}'`).join('; '));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('the owner really changed the defaults every new session in the database gets', async () => {
    const client = new pg.Client({ connectionString: server.masterUrl(DB), options: '-c idle_session_timeout=0' });
    await client.connect();
    try {
      expect((await client.query('SHOW standard_conforming_strings')).rows[0]).toEqual({ standard_conforming_strings: 'off' });
      expect((await client.query('SHOW default_transaction_read_only')).rows[0]).toEqual({ default_transaction_read_only: 'on' });
    } finally {
      await client.end();
    }
  });

  it('a broker session runs with the pinned settings whatever the database says', async () => {
    const client = await connector(server, spec)('127.0.0.1', DB);
    try {
      const shown: Record<string, string> = {};
      for (const name of Object.keys(PINNED_SETTINGS).filter((n) => !n.startsWith('plpgsql.'))) {
        shown[name] = String(Object.values((await client.query(`SHOW "${name}"`)).rows[0] ?? {})[0]);
      }
      expect(shown).toMatchObject({ search_path: 'pg_catalog,pg_temp', standard_conforming_strings: 'on', default_transaction_read_only: 'off', default_transaction_isolation: 'read committed', exit_on_error: 'off', DateStyle: expect.stringMatching(/^ISO,/), TimeZone: 'UTC' });
      for (const name of ['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'idle_session_timeout']) {
        expect((await client.query(`SHOW ${name}`)).rows[0]?.[name], name).not.toMatch(/^(1|20)ms$/);
      }
    } finally {
      await client.end();
    }
  });

  it('request, status, a refusal, revoke and sweep all work and read back the right expiry', async () => {
    const broker = trustedService(server, spec, ALICE);
    const before = Date.now();
    const issued = await broker({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'owner turned settings hostile', hours: 1 });
    expect(issued).toMatchObject({ ok: true, role: RO });
    if (!issued.ok || issued.action !== 'request') throw new Error('no password');
    const expires = Date.parse(issued.expiresAt);
    expect(expires - before).toBeGreaterThan(59 * 60_000);
    expect(expires - before).toBeLessThan(61 * 60_000);
    const ff = new pg.Client({ host: '127.0.0.1', port: server.port, user: RO, password: issued.password, database: DB, ssl: server.ssl });
    ff.on('error', () => undefined); // idle_session_timeout = 1ms ends it at once
    await ff.connect();
    await ff.end();
    // A refusal in the middle must not end the (kept) session: exit_on_error is pinned off.
    expect(await broker({ action: 'request', role: 'ro', incidentId: 'INC-2', reason: 'second', hours: 1 })).toMatchObject({ ok: false, code: 'ROLE_HELD' });
    const status = await broker({ action: 'status' });
    expect(status).toMatchObject({ ok: true, roles: expect.arrayContaining([expect.objectContaining({ role: RO, holder: ALICE, active: true, expiresAt: issued.expiresAt })]) });
    expect(await broker({ action: 'revoke', role: 'ro', incidentId: 'INC-1' })).toMatchObject({ ok: true, role: RO });
    expect(await broker({ action: 'sweep' })).toMatchObject({ ok: true });
  });
});
