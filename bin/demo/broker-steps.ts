// Demo steps 3 and 4: an on-call request and its revoke, through the broker Lambda's own handler with local
// adapters: the caller's identity comes from a local stand-in for STS, the broker's database password from a
// local stand-in for the IAM token, and TLS is verified against the demo's CA.
import type pg from 'pg';
import { createBrokerHandler } from '../../lambda/broker-handler.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import type { BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { MASTER_PASSWORD, MASTER_USER } from '../../test/support/embedded-server.js';
import { refused } from './report.js';
import type { DemoContext } from './rolemodel-steps.js';

const ALICE = 'arn:aws:sts::000000000000:assumed-role/oncall/alice';
const BOB = 'arn:aws:sts::000000000000:assumed-role/oncall/bob';

type Ok<A extends string> = Extract<BrokerResponse, { ok: true; action: A }>;

function expectOk<A extends 'request' | 'revoke' | 'status'>(response: BrokerResponse, action: A): Ok<A> {
  if (!response.ok) throw new Error(`${action} refused: ${response.code}: ${response.message}`);
  if (response.action !== action) throw new Error(`expected a ${action} response, got ${response.action}`);
  return response as Ok<A>;
}

export async function runBrokerSteps(ctx: DemoContext): Promise<void> {
  const { report, server, spec } = ctx;
  const db = spec.databases[0];
  if (!db) throw new Error('the spec has no database');
  const ro = db.roles.firefighterRo.name;

  // On Aurora the broker logs in with an IAM token (rds_iam); the local server emulates the IAM service.
  const token = await server.issueIamToken(spec.passwordBroker.name);

  const config: BrokerConfig = {
    clusterId: spec.cluster,
    brokerId: 'demo-broker',
    port: server.port,
    writerHost: server.host,
    instanceHosts: [server.host],
    brokerUser: spec.passwordBroker.name,
    databases: [{ name: db.name, firefighterRo: ro, firefighterRw: db.roles.firefighterRw.name }],
    // oncall's trust policy binds session names to people (docs/security.md, "Who is a person"): alice and bob are two.
    allowlist: { ro: [{ role: 'arn:aws:iam::000000000000:role/oncall', bindsSessionNames: true }], rw: [] },
    incidentIdPattern: 'INC-[0-9]+',
    delivery: 'response',
  };
  const auditLines: string[] = [];
  const record = (level: string) => (message: string, attributes: Record<string, unknown>) => auditLines.push(JSON.stringify({ level, message, ...attributes }));
  let caller = ALICE;
  const handler = createBrokerHandler({
    config,
    password: () => token,
    tls: { mode: 'verify-full', ca: ctx.tls.ca },
    verifyIdentity: async () => caller,
    logger: { info: record('INFO'), warn: record('WARN'), error: record('ERROR') },
  });
  const invoke = (event: Record<string, unknown>) => handler(event, { awsRequestId: `demo-${auditLines.length + 1}` });

  report.section('3. an on-call request for read-only access');
  let password = '';
  let firefighter: pg.Client | undefined;
  await report.step('request ro', async () => {
    const issued = expectOk(await invoke({ action: 'request', role: 'ro', incidentId: 'INC-4711', reason: 'orders stuck in created', hours: 1 }), 'request');
    password = issued.password ?? '';
    if (password.length < 32) throw new Error('no password of 32+ characters came back');
    const minutes = Math.round((Date.parse(issued.expiresAt) - Date.now()) / 60_000);
    return `alice got ${issued.username} on ${issued.host}:${issued.port}/${issued.database} (sslmode ${issued.sslmode}), a ${password.length}-character password valid ${minutes} min`;
  });
  await report.step('login', async () => {
    firefighter = await ctx.connect(ro, password);
    const { rows } = await firefighter.query<{ n: string }>(`SELECT count(*) AS n FROM "${ctx.schema}".orders`);
    return `${ro} logged in with it over verified TLS and read ${rows[0]?.n ?? '?'} orders`;
  });
  await report.step('ro update', async () => `refused: ${await refused(() => (firefighter as pg.Client).query(`UPDATE "${ctx.schema}".orders SET status = 'cancelled' WHERE order_no = 'ORD-1002'`), /cannot execute UPDATE in a read-only transaction/)}`);
  await report.step('status', async () => {
    const status = expectOk(await invoke({ action: 'status' }), 'status');
    const held = status.roles.find((r) => r.role === ro);
    if (!held?.active) throw new Error(`${ro} is not reported as held`);
    return `${ro} held by ${held.holder} for ${held.incidentId} until ${held.expiresAt}, ${held.sessions} session(s)`;
  });
  await report.step('second request', async () => {
    caller = BOB;
    const second = await invoke({ action: 'request', role: 'ro', incidentId: 'INC-4712', reason: 'also looking' });
    caller = ALICE;
    if (second.ok) throw new Error('a second holder was given the role');
    if (!second.message.includes('alice')) throw new Error(`refused without naming the holder: ${second.message}`);
    return `bob refused (${second.code}): ${second.message}`;
  });

  report.section('4. revoke, and the audit trail');
  await report.step('revoke', async () => {
    const revoked = expectOk(await invoke({ action: 'revoke', role: 'ro', incidentId: 'INC-4711' }), 'revoke');
    if (revoked.sessionsEnded < 1) throw new Error('the open firefighter session was not ended');
    const dead = await refused(() => (firefighter as pg.Client).query('SELECT 1'));
    return `password expired at ${revoked.expiredAt}; ${revoked.sessionsEnded} open session ended (${dead})`;
  });
  await report.step('login again', async () => `refused: ${await refused(() => ctx.connect(ro, password), /password authentication failed/)}`);
  await report.step('audit trail', async () => {
    const admin = await ctx.connect(MASTER_USER, MASTER_PASSWORD);
    await admin.query(`SET ROLE ${spec.admin.name}`);
    const { rows } = await admin.query<{ at: Date; action: string; role: string; requested_by: string; incident_id: string; expires_at: Date }>(
      'SELECT at, action, role, requested_by, incident_id, expires_at FROM db_admin.firefighter_audit ORDER BY id');
    await admin.end();
    report.detail('db_admin.firefighter_audit (written in the same transaction as each password change):');
    for (const r of rows) report.detail(`  ${r.at.toISOString()}  ${r.action.padEnd(8)} ${r.role}  by ${r.requested_by}  ${r.incident_id}  expires ${r.expires_at.toISOString()}`);
    report.detail('broker audit log lines (CloudWatch in AWS):');
    for (const line of auditLines) report.detail(`  ${line}`);
    if (password.length < 32) throw new Error('no password was issued, so there is nothing to check');
    const leaked = [...auditLines, ...rows.map((r) => JSON.stringify(r))].some((l) => l.includes(password));
    if (leaked) throw new Error('the password appears in the audit trail');
    return `${rows.length} audit rows and ${auditLines.length} log lines; the password appears in none of them`;
  });
}
