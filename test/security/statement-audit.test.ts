// What the firefighter did (issue 20): every statement a firefighter login runs is in the server log under its
// login name, shared role or per-person login alike, `firefighter history INC-…` ties that login to the person and
// the incident and says where the log is, and no password (nor the verifier the broker sets) is in the statement log.
//
// The embedded server has no pgaudit, so the audit is emulated: the plan the role model makes where pgaudit is
// loaded (diffSettings over this server's own facts, with pgaudit said to be loaded) is run by the bootstrap
// superuser with pgaudit.log = X read as log_statement = X and pgaudit.log_parameter = off as
// log_parameter_max_length = 0: the database's default (all), the firefighter roles' own (all) and the exemptions
// (none) of every other role that connects and of the master, as the master sets pgaudit.log on Aurora. What that
// shows and what it does not: docs/security.md, "What the firefighter did". Embedded server only (it reads the
// server log).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFirefighter } from '../../bin/firefighter.js';
import { diffSettings } from '../../lib/drift/checks/diff-settings.js';
import { resolveModel } from '../../lib/model/model.js';
import type { Finding, Step } from '../../lib/plan/plan-types.js';
import { scramSha256Verifier } from '../../lib/broker/protocol/scram.js';
import { inspectCluster, inspectDatabase } from '../../lib/postgres/inspect.js';
import { diffPgauditExtension } from '../../lib/drift/checks/diff-pgaudit-extension.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { loginAs, query, queryAs } from '../support/catalog.js';
import { codeBlocks } from '../support/markdown.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { perPersonSpec } from '../support/per-person-spec.js';
import { asOwner, brokerPassword, loadSpec, prepare, settingsOf } from './support.js';

const spec = loadSpec('reference');
const DB = 'my-pg-db';
const RW = 'my_pg_firefighter_rw';
const BROKER = 'my_pg_password_broker';

/** The statement audit the role model would set on this server if pgaudit were loaded, asked of the model. */
async function auditPlan(server: EmbeddedServer, roleSpec: RoleModelSpec): Promise<string[]> {
  const model = resolveModel(roleSpec);
  const client = new pg.Client({ connectionString: server.masterUrl() });
  await client.connect();
  try {
    const facts = await inspectCluster(client, model);
    const steps: Step[] = [];
    const findings: Finding[] = [];
    diffSettings(model, { ...facts, pgauditLoaded: true }, findings, steps);
    return steps.map((s) => s.sql);
  } finally {
    await client.end();
  }
}

/** Runs the audit plan as the superuser, with log_statement for pgaudit.log; any other step is a test error. */
async function emulate(server: EmbeddedServer, plan: readonly string[]): Promise<void> {
  for (const sql of plan) {
    // The master's borrowing of the owner's privileges for ALTER DATABASE (16+) is checked on its own below.
    if (/^GRANT "[^"]+" TO CURRENT_USER WITH INHERIT (TRUE|FALSE)$/.test(sql)) continue;
    const m = /^(ALTER ROLE "[^"]+" IN DATABASE "[^"]+"|ALTER DATABASE "[^"]+") SET (pgaudit\.log = '(?:all|none)'|pgaudit\.log_parameter = 'off')$/.exec(sql);
    if (!m) throw new Error(`not a statement audit step: ${sql}`);
    const setting = (m[2] as string).startsWith('pgaudit.log_parameter') ? 'log_parameter_max_length = 0' : (m[2] as string).replace('pgaudit.log', 'log_statement');
    await query(server.superuserUrl(), `${m[1] as string} SET ${setting}`);
  }
}

describe.each(testedMajors())('the statement audit, emulated on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let dir: string;
  let url: string;
  let plan: string[];

  async function cli(...args: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runFirefighter([...args, '--direct', '--database-url', url], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {}, psql: async () => 0 });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ff-audit-'));
    server = await startEmbeddedServer({ major });
    await prepare(server, spec);
    writeFileSync(path.join(dir, 'ca.pem'), server.ca);
    const migrator = await loginAs(server, 'my_pg_migrator', DB);
    await migrator.query(`SET ROLE my_pg_owner; CREATE TABLE "my-pg-db-schema".orders (id int PRIMARY KEY, status text); INSERT INTO "my-pg-db-schema".orders VALUES (1, 'created')`);
    await migrator.end();
    url = `postgres://${BROKER}:${encodeURIComponent(brokerPassword(server))}@127.0.0.1:${server.port}/${DB}?sslmode=verify-full&sslrootcert=${encodeURIComponent(path.join(dir, 'ca.pem'))}`;
    plan = await auditPlan(server, spec);
    await emulate(server, plan);
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the model audits the database by default and the firefighter roles, and exempts everyone else who connects and the master', () => {
    const master = 'postgres';
    expect(plan).toEqual([
      ...['my_pg_admin', BROKER, 'my_pg_owner', 'my_pg_migrator', 'my_pg_app'].map((r) => `ALTER ROLE "${r}" IN DATABASE "${DB}" SET pgaudit.log = 'none'`),
      ...['my_pg_firefighter_ro', RW].flatMap((r) => [`ALTER ROLE "${r}" IN DATABASE "${DB}" SET pgaudit.log = 'all'`, `ALTER ROLE "${r}" IN DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`]),
      `ALTER ROLE "${master}" IN DATABASE "${DB}" SET pgaudit.log = 'none'`,
      ...(major >= 16 ? ['GRANT "my_pg_owner" TO CURRENT_USER WITH INHERIT TRUE'] : []),
      `ALTER DATABASE "${DB}" SET pgaudit.log = 'all'`,
      `ALTER DATABASE "${DB}" SET pgaudit.log_parameter = 'off'`,
      ...(major >= 16 ? ['GRANT "my_pg_owner" TO CURRENT_USER WITH INHERIT FALSE'] : []),
    ]);
  });

  it('the master can run the database-level steps: ALTER DATABASE passes the ownership check and the master\'s membership in the owner is as before', async () => {
    // The embedded server has no pgaudit, so its superuser-only setting is swapped for one anyone may set: what is
    // checked here is ALTER DATABASE's ownership rule (16+: the master's SET-only membership in the owner is not
    // enough; old: "must be owner of database my-pg-db"), in one transaction as apply runs them, then rolled back.
    const client = new pg.Client({ connectionString: server.masterUrl() });
    await client.connect();
    const membership = async () => (await client.query<{ inherit: boolean | null }>(
      `SELECT ${major >= 16 ? 'bool_or(m.inherit_option)' : 'NULL::boolean'} AS inherit FROM pg_auth_members m
        WHERE m.roleid = 'my_pg_owner'::regrole AND m.member = 'postgres'::regrole AND m.grantor = 'postgres'::regrole`)).rows[0]?.inherit;
    try {
      const before = await membership();
      const steps = plan.filter((x) => x.startsWith('ALTER DATABASE') || x.startsWith('GRANT')).map((x) => x.replace(/pgaudit\.log(_parameter)? = /, 'application_name = '));
      await client.query('BEGIN');
      for (const x of steps) await client.query(x);
      const set = (await client.query<{ cfg: string[] }>(`SELECT s.setconfig AS cfg FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 AND s.setrole = 0`, [DB])).rows[0]?.cfg;
      expect(set).toContain('application_name=off');
      expect(await membership()).toBe(before);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  });

  it('docs/security.md shows statements of the model\'s own plans (the audit settings, the pgaudit extension)', () => {
    const statements = (check: string) => {
      const block = codeBlocks('docs/security.md').find((b) => b.check?.startsWith(check));
      expect(block, `a text block marked <!-- check: ${check} ... --> in docs/security.md`).toBeDefined();
      return (block?.text ?? '').split('\n').map((l) => l.replace(/--.*$/, '').trim().replace(/;$/, '')).filter((l) => l !== '');
    };
    const audit = statements('text audit plan');
    expect(audit.length).toBeGreaterThan(3);
    expect(plan).toEqual(expect.arrayContaining(audit));
    const db = resolveModel(spec).databases[0]!;
    const extension = diffPgauditExtension(db, { loaded: true, available: true, installedIn: null, schemas: [] }).steps.map((x) => x.sql);
    expect(statements('text pgaudit extension plan')).toEqual(extension);
  });

  it('the embedded server has no pgaudit, and the inspection says so, so apply and verify ask nothing of it', async () => {
    const client = new pg.Client({ connectionString: server.masterUrl() });
    await client.connect();
    try {
      expect((await inspectCluster(client, resolveModel(spec))).pgauditLoaded).toBe(false);
    } finally {
      await client.end();
    }
  });

  it('the embedded server has no pgaudit extension: nothing is attempted; the inspection tells a pgaudit schema only the master controls from one the owner could tamper with', async () => {
    const model = resolveModel(spec);
    const db = model.databases[0]!;
    const client = new pg.Client({ connectionString: server.masterUrl(DB) });
    await client.connect();
    const inspect = async () => (await inspectDatabase(client, model, db, major, false)).pgaudit;
    try {
      expect(await inspect()).toEqual({ loaded: false, available: false, installedIn: null, schemas: [] });
      expect(diffPgauditExtension(db, await inspect())).toEqual({ findings: [], steps: [] });
      // A schema of that name the owner controls (the role model gives it no CREATE on the database, so someone
      // made it for the owner): not trusted.
      await query(server.superuserUrl(DB), 'CREATE SCHEMA pgaudit AUTHORIZATION my_pg_owner');
      expect((await inspect())?.schemas).toEqual([{ name: 'pgaudit', owner: 'my_pg_owner', trusted: false }]);
      await asOwner(server, DB, 'my_pg_owner', 'DROP SCHEMA pgaudit');
      // The schema steps apply would run where pgaudit is loaded and available, as the master (all but CREATE
      // EXTENSION, which needs pgaudit): the master's own schema, trusted, and the loan of CREATE returned.
      const steps = diffPgauditExtension(db, { loaded: true, available: true, installedIn: null, schemas: [] }).steps;
      expect(steps.map((x) => x.sql).slice(-1)).toEqual(['CREATE EXTENSION pgaudit SCHEMA "pgaudit"']);
      const canCreate = async () => (await query<{ c: boolean }>(server.masterUrl(DB), `SELECT has_database_privilege('postgres', current_database(), 'CREATE') AS c`))[0]?.c;
      const before = await canCreate();
      await client.query('BEGIN');
      for (const x of steps.slice(0, -1)) await client.query(x.runAs ? `SET ROLE "${x.runAs}"; ${x.sql}; RESET ROLE` : x.sql);
      await client.query('COMMIT');
      expect((await inspect())?.schemas).toEqual([{ name: 'pgaudit', owner: 'postgres', trusted: true }]);
      // The loan of CREATE on the database is returned (the master holds it after only if it held it before: on
      // 15 it inherits the owner's privileges).
      expect(await canCreate()).toBe(before);
      await client.query('GRANT CREATE ON SCHEMA pgaudit TO my_pg_app');
      expect((await inspect())?.schemas).toEqual([{ name: 'pgaudit', owner: 'postgres', trusted: false }]);
    } finally {
      await client.query('DROP SCHEMA IF EXISTS pgaudit').catch(() => undefined);
      await client.end();
    }
  });

  it('records each statement of the firefighter\'s login under its name; history ties it to the person and incident and says where; no password or verifier is in the log', async () => {
    const request = await cli('request', 'rw', '--incident', 'INC-4711', '--reason', 'orders stuck', '--hours', '1', '--json');
    expect(request.stderr).toBe('');
    const issued = JSON.parse(request.stdout) as { password: string; username: string };
    expect(issued.username).toBe(RW);
    // The issue reset the role's settings as db_admin's admin (RESET ALL, then the guardrails): the superuser
    // setting that stands in for pgaudit.log is still there, as PostgreSQL keeps what the resetting role may not set.
    expect((await settingsOf(server, RW)).join('\n')).toMatch(/^my-pg-db: .*log_statement=all/m);
    // ...and the reset did run after the superuser's change: db_admin records what it left, the stand-in included.
    const [asserted] = await queryAs<{ s: string[] }>(server.masterUrl(DB), 'my_pg_admin', 'SELECT settings_asserted AS s FROM db_admin.firefighter_role WHERE role = $1', [RW]);
    expect(asserted?.s).toContain('log_statement=all');
    // The verifier the broker set (read back as the superuser): it must not be in the statement log either.
    const [stored] = await query<{ v: string }>(server.superuserUrl(), 'SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [RW]);

    const marker = `ff_audit_${major}_${Date.now()}`;
    const typed = `typed-secret-${marker}`;
    const ownVerifier = scramSha256Verifier(typed);
    const ff = new pg.Client({ host: '127.0.0.1', port: server.port, user: RW, password: issued.password, database: DB, ssl: server.ssl });
    await ff.connect();
    try {
      await ff.query(`SELECT '${marker}' AS read_something`);
      await ff.query(`UPDATE "my-pg-db-schema".orders SET status = '${marker}' WHERE id = 1`);
      await ff.query('INSERT INTO "my-pg-db-schema".orders VALUES ($1, $2)', [4711, `${marker}-bound`]);
      // What psql's \password sends: a verifier computed client-side, never the password typed.
      await ff.query(`ALTER ROLE ${RW} PASSWORD '${ownVerifier}'`);
    } finally {
      await ff.end();
    }

    const lines = server.readLog().split('\n');
    const byLogin = (text: string) => lines.filter((l) => l.includes(`${RW}@${DB} `) && l.includes(text));
    expect(byLogin(`statement: SELECT '${marker}' AS read_something`)).toHaveLength(1);
    expect(byLogin(`statement: UPDATE "my-pg-db-schema".orders SET status = '${marker}' WHERE id = 1`)).toHaveLength(1);
    // A bound parameter is not logged (pgaudit.log_parameter = off; here log_parameter_max_length = 0).
    expect(byLogin('INSERT INTO "my-pg-db-schema".orders VALUES ($1, $2)').length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(`${marker}-bound`))).toEqual([]);
    // What the log holds of a password set in the session: the verifier the client computed, not the password.
    expect(byLogin(`ALTER ROLE ${RW} PASSWORD 'SCRAM-SHA-256$4096:`)).toHaveLength(1);
    const log = lines.join('\n');
    expect(log).not.toContain(typed);
    expect(log).not.toContain(issued.password);
    // The broker's session is not audited: its call and the verifier it set appear nowhere.
    expect(stored?.v).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(log).not.toContain(stored?.v);
    expect(log).not.toMatch(/db_admin\.set_firefighter_password/);

    const history = await cli('history', 'INC-4711');
    expect(history.stderr).toBe('');
    const rows = history.stdout.split('\n');
    expect(rows[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d UTC \\(\\d{4}-\\d\\d-\\d\\d\\)  issue +${RW}  .+  INC-4711  until `));
    expect(rows.slice(-1)[0]).toMatch(new RegExp(`^statements: in the PostgreSQL server log of 127\\.0\\.0\\.1 \\(pgaudit's "AUDIT: SESSION" lines, or log_statement's\\), the lines whose user \\(log_line_prefix %u\\) is ${RW}, from `));
  });
});

describe.each(testedMajors())('the statement audit of per-person logins, emulated on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let url: string;

  async function cli(...args: string[]) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await runFirefighter([...args, '--direct', '--database-url', url], { stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env: {}, psql: async () => 0 });
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await prepare(server, perPersonSpec);
    await emulate(server, await auditPlan(server, perPersonSpec));
    url = server.url(BROKER, brokerPassword(server), DB);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a per-person login\'s statements are in the log under its name, from the database default; the broker\'s and the master\'s are not (old: no statement of the login was logged)', async () => {
    const request = await cli('request', 'ro', '--incident', 'INC-5150', '--reason', 'orders stuck', '--hours', '1', '--json');
    expect(request.stderr).toBe('');
    const issued = JSON.parse(request.stdout) as { password: string; username: string };
    expect(issued.username).toMatch(/^my_pg_firefighter_ro_[0-9a-f]{6}$/);
    // db_admin gave the login no statement audit of its own: it comes from the database.
    expect((await settingsOf(server, issued.username)).join('\n')).not.toMatch(/log_statement/);
    const [stored] = await query<{ v: string }>(server.superuserUrl(), 'SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [issued.username]);

    const marker = `ff_pp_audit_${major}_${Date.now()}`;
    const ff = new pg.Client({ host: '127.0.0.1', port: server.port, user: issued.username, password: issued.password, database: DB, ssl: server.ssl });
    await ff.connect();
    try {
      await ff.query(`SELECT '${marker}' AS read_something`);
      await ff.query('SELECT $1::text AS bound', [`${marker}-bound`]);
    } finally {
      await ff.end();
    }
    // The master in the database, as apply or a rotation of its secret would be.
    await query(server.masterUrl(DB), `SELECT '${marker}-master' AS as_master`);
    // The broker again: a status call is a db_admin call in the database.
    expect((await cli('status', '--json')).stderr).toBe('');

    const lines = server.readLog().split('\n');
    expect(lines.filter((l) => l.includes(`${issued.username}@${DB} `) && l.includes(`statement: SELECT '${marker}' AS read_something`))).toHaveLength(1);
    expect(lines.filter((l) => l.includes(`${marker}-bound`))).toEqual([]);
    // Neither the master's session nor the broker's is audited: no statement of theirs in the database.
    const statementsOf = (user: string) => lines.filter((l) => l.includes(` ${user}@${DB} `) && /(statement|execute [^:]*): /.test(l));
    expect(statementsOf('postgres')).toEqual([]);
    expect(statementsOf(BROKER)).toEqual([]);
    const log = lines.join('\n');
    expect(log).not.toContain(`${marker}-master`);
    expect(log).not.toMatch(/db_admin\./);
    expect(stored?.v).toMatch(/^SCRAM-SHA-256\$4096:/);
    expect(log).not.toContain(stored?.v);
    expect(log).not.toContain(issued.password);

    // history names the login and where its statements are, with no "not audited" caveat any more.
    const history = await cli('history', 'INC-5150');
    expect(history.stderr).toBe('');
    expect(history.stdout).toMatch(new RegExp(`\\nstatements: in the PostgreSQL server log of 127\\.0\\.0\\.1 .* is ${issued.username}, from [^\\n]*$`));
    expect(history.stdout).not.toMatch(/not audited/);
  });
});
