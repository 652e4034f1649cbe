// Demo steps 5 and 6: the same database switched to per-person logins, then one incident worked by two
// responders at once, a read-write request approved by a second person, the events the team receives (as the
// broker Lambda hands them to EventBridge, through a local stand-in for the client) and the incident's history
// from db_admin. Everything goes through the broker Lambda's own handler.
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { createBrokerHandler } from '../../lambda/broker-handler.js';
import type { Decision } from '../../lib/broker/db/logins.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import type { BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { applyRoleModel, verifyRoleModel } from '../../lib/postgres/engine.js';
import { refused } from './report.js';
import { masterConnection, type DemoContext } from './rolemodel-steps.js';

const ALICE = 'arn:aws:sts::000000000000:assumed-role/oncall/alice';
const BOB = 'arn:aws:sts::000000000000:assumed-role/oncall/bob';
const CAROL = 'arn:aws:sts::000000000000:assumed-role/lead/carol';
const INCIDENT = 'INC-4713';

interface PublishedEntry { readonly DetailType?: string; readonly Detail?: string }

function ok<A extends string>(response: BrokerResponse, action: A): Extract<BrokerResponse, { ok: true; action: A }> {
  if (!response.ok) throw new Error(`${action} refused: ${response.code}: ${response.message}`);
  return response as Extract<BrokerResponse, { ok: true; action: A }>;
}

export async function runPerPersonSteps(ctx: DemoContext): Promise<void> {
  const { report, server } = ctx;
  const raw = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'));
  const spec = parseSpec({ ...raw, firefighterLogins: 'per-person', databases: raw.databases.map((d: object, i: number) => (i === 0 ? { ...d, readWriteApproval: true } : d)) });
  const db = spec.databases[0];
  if (!db) throw new Error('the spec has no database');
  const [ro, rw] = [db.roles.firefighterRo.name, db.roles.firefighterRw.name];

  report.section('5. one incident, two responders: a login per person, read-write approved by a second person');
  await report.step('per-person', async () => {
    const applied = await applyRoleModel(spec, masterConnection(ctx));
    const findings = (await verifyRoleModel(spec, masterConnection(ctx))).findings;
    if (findings.length > 0) throw new Error(findings.map((f) => f.message).join('; '));
    return `"firefighterLogins": "per-person" applied (${applied.steps.length} statements): ${ro} and ${rw} are NOLOGIN groups; each request creates a login of its own`;
  });

  const token = await server.issueIamToken(spec.passwordBroker.name);
  const config: BrokerConfig = {
    clusterId: spec.cluster, brokerId: 'demo-broker', port: server.port, writerHost: server.host, instanceHosts: [server.host],
    brokerUser: spec.passwordBroker.name, databases: [{ name: db.name, firefighterRo: ro, firefighterRw: rw }],
    // oncall's trust policy binds session names to people (docs/security.md, "Who is a person"): each session a person.
    allowlist: { ro: ['arn:aws:iam::000000000000:role/oncall'], rw: [{ role: 'arn:aws:iam::000000000000:role/oncall', bindsSessionNames: true }], approve: ['arn:aws:iam::000000000000:role/oncall', 'arn:aws:iam::000000000000:role/lead'] },
    firefighterLogins: 'per-person', incidentIdPattern: 'INC-[0-9]+', delivery: 'response', eventBus: 'default',
  };
  // What the broker hands to EventBridge PutEvents; in AWS a rule routes it to SNS or chat (notifyTopic / onEvent).
  const published: PublishedEntry[] = [];
  const eventBridge = { send: async (command: { input: { Entries?: PublishedEntry[] } }) => {
    published.push(...(command.input.Entries ?? []));
    return { FailedEntryCount: 0, Entries: [{ EventId: `demo-${published.length}` }] };
  } } as unknown as Pick<EventBridgeClient, 'send'>;
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  // One handler per person, as each would reach the Lambda with their own verified identity.
  let invocation = 0;
  const as = (who: string) => {
    const handler = createBrokerHandler({ config, password: () => token, tls: { mode: 'verify-full', ca: ctx.tls.ca }, verifyIdentity: async () => who, logger: quiet, eventBridge });
    return (event: Record<string, unknown>) => handler(event, { awsRequestId: `demo-pp-${++invocation}` });
  };
  const [alice, bob, carol] = [as(ALICE), as(BOB), as(CAROL)];
  const passwords: string[] = [];
  const sessions: pg.Client[] = [];

  await report.step('two responders', async () => {
    const [a, b] = await Promise.all([alice, bob].map((person) => person({ action: 'request', role: 'ro', incidentId: INCIDENT, reason: 'checkout errors' })));
    const logins = [ok(a as BrokerResponse, 'request'), ok(b as BrokerResponse, 'request')];
    for (const l of logins) {
      passwords.push(l.password ?? '');
      sessions.push(await ctx.connect(l.username, l.password ?? ''));
    }
    const who = await Promise.all(sessions.map(async (s) => (await s.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u));
    if (new Set(who).size !== 2) throw new Error(`expected two logins, got ${who.join(', ')}`);
    return `alice is ${who[0]}, bob is ${who[1]}: both logged in at once, each a member of ${ro}; the server log names each person's login`;
  });
  let requestId = '';
  await report.step('rw pending', async () => {
    const pending = await alice({ action: 'request', role: 'rw', incidentId: INCIDENT, reason: 'cancel the stuck order ORD-1002' });
    if (pending.ok || pending.code !== 'APPROVAL_PENDING') throw new Error(`expected APPROVAL_PENDING, got ${JSON.stringify(pending)}`);
    requestId = pending.details?.requestId ?? '';
    return `alice asked for read-write: pending (${pending.code}, request ${requestId}, CLI exit 3); nothing issued yet`;
  });
  await report.step('self-approval', async () => {
    const self = await alice({ action: 'approve', requestId });
    if (self.ok || self.code !== 'SELF_APPROVAL') throw new Error(`alice approved her own request: ${JSON.stringify(self)}`);
    return `alice cannot approve her own request (${self.code}); checked in db_admin, so --direct cannot skip it`;
  });
  await report.step('approved', async () => {
    const decision = ok(await carol({ action: 'approve', requestId, reason: 'ticket CHG-88 checked' }), 'approve') as unknown as Decision;
    return `carol (lead) approved request ${decision.requestId} for ${decision.requestedBy.split('/').pop()}, usable until ${decision.expiresAt}`;
  });
  await report.step('rw login', async () => {
    const issued = ok(await alice({ action: 'request', role: 'rw', incidentId: INCIDENT, reason: 'cancel the stuck order ORD-1002' }), 'request');
    passwords.push(issued.password ?? '');
    const writer = await ctx.connect(issued.username, issued.password ?? '');
    sessions.push(writer);
    const { rowCount } = await writer.query(`UPDATE "${ctx.schema}".orders SET status = 'cancelled' WHERE order_no = 'ORD-1002'`);
    return `alice got ${issued.username} on approval ${issued.requestId} and cancelled ${rowCount} order`;
  });
  await report.step('revoke all', async () => {
    const revoked = ok(await bob({ action: 'revoke', role: 'ro', incidentId: INCIDENT, reason: 'incident resolved', all: true }), 'revoke');
    const ended = await Promise.all(sessions.slice(0, 2).map((s) => refused(() => s.query('SELECT 1')).then(() => 'ended', () => 'still open')));
    if (ended.includes('still open')) throw new Error('a read-only session is still open');
    return `bob ended every read-only login of ${INCIDENT} (${revoked.logins?.length ?? 0} logins, ${revoked.sessionsEnded} sessions), audited; logins dropped`;
  });
  await ok(await alice({ action: 'revoke', role: 'rw', incidentId: INCIDENT, reason: 'done' }), 'revoke');

  report.section('6. what the team was told, and the incident\'s history');
  await report.step('events', async () => {
    report.detail('EventBridge PutEvents entries (source cdk-aurora-firefighter), one per action:');
    for (const e of published) report.detail(`  ${(e.DetailType ?? '').padEnd(22)} ${e.Detail ?? ''}`);
    const text = JSON.stringify(published);
    if (passwords.some((p) => p.length >= 32 && text.includes(p))) throw new Error('a password is in an event');
    const types = new Set(published.map((e) => e.DetailType));
    for (const t of ['firefighter issued', 'firefighter pending', 'firefighter approved', 'firefighter revoked']) if (!types.has(t)) throw new Error(`no "${t}" event`);
    return `${published.length} events (issued, pending, refused, approved, revoked); no password in any`;
  });
  await report.step('history', async () => {
    const h = ok(await carol({ action: 'history', incidentId: INCIDENT }), 'history');
    report.detail(`db_admin.firefighter_history('${INCIDENT}'):`);
    for (const e of h.entries) report.detail(`  ${e.at}  ${e.action.padEnd(16)} ${(e.login ?? e.role).padEnd(28)} ${e.actor.split('/').pop()}${e.requestId ? `  request ${e.requestId}` : ''}${e.sessionsEnded !== null ? `  ${e.sessionsEnded} session(s) ended` : ''}`);
    const actions = h.entries.map((e) => e.action);
    for (const a of ['issue', 'approval-request', 'approve', 'revoke', 'drop']) if (!actions.includes(a)) throw new Error(`the history has no ${a}`);
    if (passwords.some((p) => p.length >= 32 && JSON.stringify(h).includes(p))) throw new Error('a password is in the history');
    return `${h.entries.length} entries from issue to drop, read by the approver; no secret in them`;
  });
  await Promise.all(sessions.map((s) => s.end().catch(() => undefined)));
}
