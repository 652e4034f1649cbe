// npm run bench:bootstrap — apply + verify of the reference role model on a schema holding 10 and 10,000
// tables whose grants have drifted away, and the adoption of a master-built database (10/10,000 tables and
// 1/1,000 functions, all owned by the master, PUBLIC executing them), on embedded PostgreSQL 17 as the
// Aurora-like master.
// Prints the statements the client sent and the wall time of each phase. Exit 1 if an invariant breaks.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseSpec } from '../lib/spec/validate.js';
import { applyRoleModel, planRoleModel, verifyRoleModel } from '../lib/postgres/engine.js';
import { startEmbeddedServer } from '../test/support/embedded-server.js';

const spec = parseSpec(JSON.parse(readFileSync(new URL('../examples/reference.json', import.meta.url), 'utf8')));
const sizes = (process.argv[2] ?? '10,10000').split(',').map(Number);

interface Row { tables: number; phase: string; statements: number; ms: number }
const rows: Row[] = [];

async function timed<T extends { statementsSent: number }>(tables: number, phase: string, work: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint();
  const out = await work();
  rows.push({ tables, phase, statements: out.statementsSent, ms: Number(process.hrtime.bigint() - start) / 1e6 });
  return out;
}

for (const tables of sizes) {
  const server = await startEmbeddedServer({ major: 17 });
  try {
    const conn = { connectionString: server.masterUrl() };
    await applyRoleModel(spec, conn);
    const owner = new pg.Client({ connectionString: server.masterUrl('my-pg-db') });
    await owner.connect();
    // Tables made by the owner, then every grant taken away: apply has to put them all back.
    await owner.query(`SET ROLE my_pg_owner;
      DO $$ BEGIN FOR i IN 1..${tables} LOOP
        EXECUTE format('CREATE TABLE "my-pg-db-schema".t%s (id bigint GENERATED ALWAYS AS IDENTITY, v int)', i);
      END LOOP; END $$;
      REVOKE ALL ON ALL TABLES IN SCHEMA "my-pg-db-schema" FROM my_pg_app, my_pg_firefighter_ro, my_pg_firefighter_rw;
      REVOKE ALL ON ALL SEQUENCES IN SCHEMA "my-pg-db-schema" FROM my_pg_app, my_pg_firefighter_ro, my_pg_firefighter_rw;`);
    await owner.end();
    const drift = await timed(tables, 'verify (drifted)', () => verifyRoleModel(spec, conn));
    if (drift.findings.length === 0) throw new Error('the drift was not seen');
    await timed(tables, 'apply + verify (fixes all grants)', () => applyRoleModel(spec, conn));
    await timed(tables, 'apply + verify (no change)', () => applyRoleModel(spec, conn));
    const clean = await timed(tables, 'verify', () => verifyRoleModel(spec, conn));
    if (clean.findings.length > 0) throw new Error(`verify found ${clean.findings.length} differences after apply`);
  } finally {
    await server.stop();
  }
}

// Adoption: the master built everything itself; one apply hands it all to the owner and grants the model.
for (const tables of sizes) {
  const functions = Math.max(1, Math.round(tables / 10));
  const server = await startEmbeddedServer({ major: 17 });
  try {
    const conn = { connectionString: server.masterUrl() };
    const master = new pg.Client({ connectionString: server.masterUrl() });
    await master.connect();
    await master.query('CREATE DATABASE "my-pg-db"');
    await master.end();
    const db = new pg.Client({ connectionString: server.masterUrl('my-pg-db') });
    await db.connect();
    await db.query(`CREATE SCHEMA "my-pg-db-schema";
      DO $$ BEGIN
        FOR i IN 1..${tables} LOOP
          EXECUTE format('CREATE TABLE "my-pg-db-schema".t%s (id %s, v int)', i, CASE WHEN i % 2 = 0 THEN 'serial' ELSE 'bigint GENERATED ALWAYS AS IDENTITY' END);
        END LOOP;
        FOR i IN 1..${functions} LOOP
          EXECUTE format('CREATE FUNCTION "my-pg-db-schema".f%s() RETURNS int LANGUAGE sql AS ''SELECT %s''', i, i);
        END LOOP;
      END $$;`);
    await db.end();
    const label = `${tables} + ${functions} fn`;
    const adopt = await timed(tables, `adopt: first apply + verify (${label})`, () => applyRoleModel(spec, conn));
    if (!adopt.fixed.some((f) => f.code === 'object-owner')) throw new Error('the adoption did not hand objects over');
    const plan = await planRoleModel(spec, conn);
    if (plan.length > 0) throw new Error(`a second plan is not empty: ${plan.length} steps`);
    const clean = await timed(tables, 'adopt: verify after the first apply', () => verifyRoleModel(spec, conn));
    if (clean.findings.length > 0) throw new Error(`verify found ${clean.findings.length} differences after adoption`);
  } finally {
    await server.stop();
  }
}

console.log('| tables | phase | statements sent | wall time |');
console.log('|---:|---|---:|---:|');
for (const r of rows) console.log(`| ${r.tables} | ${r.phase} | ${r.statements} | ${(r.ms / 1000).toFixed(2)} s |`);

const phaseOf = (r: Row) => r.phase.replace(/ \(\d+ \+ \d+ fn\)$/, '');
const phases = [...new Set(rows.map(phaseOf))];
const grows = phases.filter((p) => new Set(rows.filter((r) => phaseOf(r) === p).map((r) => r.statements)).size > 1);
const largest = Math.max(...sizes);
const worst = Math.max(...rows.filter((r) => r.tables === largest).map((r) => r.ms));
console.log(`\nstatement count independent of table count: ${grows.length === 0 ? 'yes' : `NO (${grows.join(', ')})`}`);
console.log(`slowest phase at ${largest} tables: ${(worst / 1000).toFixed(2)} s (target < 10 s)`);
process.exit(grows.length === 0 && worst < 10_000 ? 0 : 1);
