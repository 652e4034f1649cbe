// The number of statements the engine sends does not grow with the number of objects.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));

async function driftedStatements(server: EmbeddedServer, tables: number): Promise<{ apply: number; verify: number }> {
  const conn = { connectionString: server.masterUrl() };
  const owner = new pg.Client({ connectionString: server.masterUrl('my-pg-db') });
  await owner.connect();
  await owner.query(`SET ROLE my_pg_owner;
    DO $$ BEGIN FOR i IN 1..${tables} LOOP EXECUTE format('CREATE TABLE IF NOT EXISTS "my-pg-db-schema".t%s (id serial)', i); END LOOP; END $$;
    REVOKE ALL ON ALL TABLES IN SCHEMA "my-pg-db-schema" FROM my_pg_app, my_pg_firefighter_rw;`);
  await owner.end();
  const apply = (await applyRoleModel(spec, conn)).statementsSent;
  const verify = await verifyRoleModel(spec, conn);
  expect(verify.findings).toEqual([]);
  return { apply, verify: verify.statementsSent };
}

describe('statement count', () => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer({ major: 17 });
    await applyRoleModel(spec, { connectionString: server.masterUrl() });
  });
  afterAll(async () => server?.stop());

  it('is the same for 5 and 300 drifted tables', async () => {
    const small = await driftedStatements(server, 5);
    const large = await driftedStatements(server, 300);
    expect(large).toEqual(small);
  });
});
