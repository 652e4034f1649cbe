// Attack: invisible and bidirectional characters (U+200B, U+FEFF, U+061C, ...) or edge spaces in an incident id
// or reason, which then stand in the audit trail looking like another incident. Before, the broker and db_admin
// accepted them. Now the broker refuses them naming the field and the code point, and db_admin refuses them
// too for any caller that skips the broker's checks.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_ADMIN_ERRORS } from '../../lib/model/db-admin.js';
import { generatePassword } from '../../lib/broker/protocol/password.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { queryAs } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { ALICE, brokerPassword, loadSpec, prepare, trustedService } from './support.js';

const spec = loadSpec('reference');
const DB = 'my-pg-db';
const CASES: [string, Record<string, string>][] = [
  ['a zero-width space in the incident id', { incidentId: 'INC-\u200b42' }],
  ['a byte-order mark before the incident id', { incidentId: '\ufeffINC-42' }],
  ['an Arabic letter mark in the reason', { reason: 'cancel \u061corder 17' }],
  ['a right-to-left override in the reason', { reason: 'refund \u202e71 redro' }],
  ['a word joiner in the incident id', { incidentId: 'INC\u2060-42' }],
  ['a trailing space on the incident id', { incidentId: 'INC-42 ' }],
  ['a leading no-break space on the reason', { reason: '\u00a0orders stuck' }],
  ['a paragraph separator in the reason', { reason: 'orders\u2029stuck' }],
];

describe.each(testedMajors())('incident ids and reasons read back as stored on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let broker: pg.Client;
  const audit = async () => (await queryAs<{ n: number }>(server.masterUrl(DB), 'my_pg_admin', 'SELECT count(*)::int AS n FROM db_admin.firefighter_audit'))[0]?.n;

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, spec);
    broker = new pg.Client({ connectionString: server.url(spec.passwordBroker.name, brokerPassword(server), DB) });
    await broker.connect();
  });
  afterAll(async () => {
    await broker?.end().catch(() => undefined);
    await server?.stop();
  });

  it.each(CASES)('%s: the broker refuses it naming the field, and nothing is audited', async (_name, fields) => {
    const before = await audit();
    const response = await trustedService(server, spec, ALICE)({ action: 'request', role: 'ro', incidentId: 'INC-42', reason: 'orders stuck', hours: 1, ...fields });
    expect(response).toMatchObject({ ok: false, code: 'INVALID_INPUT', message: expect.stringMatching(/^(incidentId|reason): (contains the invisible or control character U\+[0-9A-F]{4}|starts or ends with white space)/) });
    expect(await audit()).toBe(before);
  });

  it.each(CASES)('%s: db_admin refuses it too, for a caller that skips the broker', async (_name, fields) => {
    const args = { incidentId: 'INC-42', reason: 'orders stuck', ...fields };
    const call = broker.query('SELECT db_admin.set_firefighter_password($1, $2, 1, $3, $4, $5)', ['my_pg_firefighter_ro', scramSha256Verifier(generatePassword()), ALICE, args.incidentId, args.reason]);
    await expect(call).rejects.toMatchObject({ code: DB_ADMIN_ERRORS.badAuditField });
  });
});
