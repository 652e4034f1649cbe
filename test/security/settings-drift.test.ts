// Settings stored in the catalog cannot break or bypass the model (issue 8, item 5, engine part): a setting
// on a managed database or role that the spec does not declare is reported by verify (which changes nothing)
// and removed by apply. Each one is set the way an attacker inside the model could: the owner (through the
// migrator's SET ROLE) on its database, a password holder or the broker on itself.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { catalogSnapshot, loginAs, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';

interface SettingCase {
  readonly name: string;
  /** The managed login that makes the change, and whether it first becomes the owner. */
  readonly as: string;
  readonly setRoleOwner?: boolean;
  readonly sql: string;
  /** A second statement, in its own transaction. */
  readonly then?: string;
  readonly finding: string;
}

const cases: SettingCase[] = [
  {
    name: 'the owner turns standard_conforming_strings off for its database',
    as: 'my_pg_migrator', setRoleOwner: true, sql: `ALTER DATABASE "${DB}" SET standard_conforming_strings = off`,
    finding: 'database "my-pg-db": standard_conforming_strings = off is set for every session (ALTER DATABASE ... SET) but not in the spec',
  },
  {
    name: 'the owner makes every session of its database read-only',
    as: 'my_pg_migrator', setRoleOwner: true, sql: `ALTER DATABASE "${DB}" SET default_transaction_read_only = on`,
    finding: 'database "my-pg-db": default_transaction_read_only = on is set for every session (ALTER DATABASE ... SET) but not in the spec',
  },
  {
    name: 'a holder removes its own statement timeout in the database',
    as: 'my_pg_firefighter_rw', sql: `ALTER ROLE my_pg_firefighter_rw IN DATABASE "${DB}" SET statement_timeout = 0`,
    finding: 'my_pg_firefighter_rw in "my-pg-db": statement_timeout is 0, expected 5min',
  },
  {
    name: 'a holder sets a timeout for every database, where the spec has none',
    // Its read-only guardrail refuses ALTER ROLE until the session turns it off, which it may.
    as: 'my_pg_firefighter_ro', sql: 'SET default_transaction_read_only = off', then: 'ALTER ROLE my_pg_firefighter_ro SET lock_timeout = 0',
    finding: 'my_pg_firefighter_ro: lock_timeout = 0 is set for every database (ALTER ROLE ... SET) but not in the spec',
  },
  {
    name: 'the broker changes its own search_path in the database',
    as: 'my_pg_password_broker', sql: `ALTER ROLE my_pg_password_broker IN DATABASE "${DB}" SET search_path = public, pg_catalog`,
    finding: 'my_pg_password_broker in "my-pg-db": search_path = public, pg_catalog is set but not in the spec',
  },
];

describe.each(testedMajors())('stored settings on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  const conn = () => ({ connectionString: server.masterUrl() });
  const settings = async () => (await query<{ s: string }>(server.masterUrl(),
    // Sorted within each row: the broker re-asserts guardrails in its own order (a login takes its password from it).
    "SELECT concat_ws(' ', setrole, setdatabase, ARRAY(SELECT unnest(setconfig) ORDER BY 1)::text) AS s FROM pg_db_role_setting ORDER BY 1")).map((r) => r.s);
  let baseline: string[];

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    baseline = await settings();
  });
  afterAll(async () => server?.stop());

  it.each(cases)('$name: verify reports it and changes nothing; apply removes it', async (c) => {
    let client: pg.Client | undefined;
    try {
      client = await loginAs(server, c.as, DB);
      if (c.setRoleOwner) await client.query('SET ROLE my_pg_owner');
      // PostgreSQL lets each of these roles do this: the defence is verify and apply, not a privilege.
      await client.query(c.sql);
      if (c.then) await client.query(c.then);
    } finally {
      await client?.end();
    }
    const before = await catalogSnapshot(server, [DB]);
    const verify = await verifyRoleModel(spec, conn());
    expect(verify.findings.map((f) => f.message)).toContain(c.finding);
    expect(await catalogSnapshot(server, [DB])).toEqual(before);

    await applyRoleModel(spec, conn());
    expect((await verifyRoleModel(spec, conn())).findings).toEqual([]);
    expect(await settings()).toEqual(baseline);
    void major;
  });
});
