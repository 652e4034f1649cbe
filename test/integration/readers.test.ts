// Aurora readers are other servers: a real hot standby of the test server (test/support/hot-standby.ts) is the
// reader. A firefighter session there is counted by status and ended by revoke and by the sweep, on the
// reader itself (pg_terminate_backend only reaches the instance it runs on), and the expiry replicates, so a
// login on the reader fails afterwards. Shared and per-person logins, every major. The instances come from RDS
// (mocked at the client) when the broker is told the cluster identifier.
import { readFileSync } from 'node:fs';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseSpec } from '../../lib/spec/validate.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { discoveredInstances, type InstanceLookup } from '../../lib/broker/instances.js';
import { createBrokerService, type BrokerResponse } from '../../lib/broker/service.js';
import { rdsInstanceDiscovery } from '../../lambda/rds-instances.js';
import { brokerConnector } from '../../lib/postgres/broker-connection.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { attempt, query } from '../support/catalog.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { startHotStandby, STANDBY_HOST, type HotStandby } from '../support/hot-standby.js';
import { perPersonSpec } from '../support/per-person-spec.js';

const shared = parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')));
const DB = 'my-pg-db';
const RO = 'my_pg_firefighter_ro';
const RW = 'my_pg_firefighter_rw';
const BROKER = 'my_pg_password_broker';
// IAM users: each a person (lib/broker/protocol/person.ts); two sessions of one role would be one.
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const WRITER = '127.0.0.1';
// A reader that no longer exists: nothing listens there.
const GONE = '127.0.0.3';
const rds = mockClient(RDSClient);

function rdsCluster(members: { id: string; address: string; writer?: boolean }[]): void {
  rds.reset();
  rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'my-pg' }).resolves({
    DBClusters: [{ DBClusterIdentifier: 'my-pg', DBClusterMembers: members.map((m) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m.writer ?? false })) }],
  });
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: members.map((m) => ({ DBInstanceIdentifier: m.id, DBInstanceStatus: 'available', Endpoint: { Address: m.address, Port: 5432 } })),
  });
}

describe.each(testedMajors())('readers (a hot standby) on PostgreSQL %i', (major) => {
  let server: EmbeddedServer;
  let reader: HotStandby;
  let token: string;
  const open: pg.Client[] = [];
  const logs: Record<string, unknown>[] = [];

  function service(spec: RoleModelSpec, over: Partial<BrokerConfig> = {}, instances?: InstanceLookup) {
    const config: BrokerConfig = {
      clusterId: 'my-pg', brokerId: 'readers-test', port: server.port, writerHost: WRITER, instanceHosts: [WRITER, STANDBY_HOST],
      brokerUser: BROKER, databases: [{ name: DB, firefighterRo: RO, firefighterRw: RW }], allowlist: { ro: [], rw: [] }, delivery: 'response',
      ...(spec.firefighterLogins === 'per-person' ? { firefighterLogins: 'per-person' as const } : {}),
      ...over,
    };
    // No retries: an instance that is gone refuses at once (127.0.0.3 has no server).
    const connect = brokerConnector({ port: server.port, user: BROKER, password: () => token, tls: { mode: 'verify-full', ca: server.ca }, resumeWaitMs: 0 });
    const log = (message: string, attributes: Record<string, unknown>) => void logs.push({ message, ...attributes });
    return createBrokerService({ config, connect, logger: { info: log, warn: log, error: log }, identity: { trusted: ALICE }, ...(instances ? { instances } : {}) });
  }
  async function loginOnReader(user: string, password: string): Promise<pg.Client> {
    await reader.caughtUp();
    const client = new pg.Client({ host: STANDBY_HOST, port: reader.port, user, password, database: DB, ssl: reader.ssl, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    open.push(client);
    return client;
  }
  const sessionsOnReader = async (user: string) =>
    (await query<{ n: number }>(reader.superuserUrl(), 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [user]))[0]?.n;
  // Replica lag made deterministic: the reader stops replaying the writer's changes until resumed.
  const replay = async (what: 'pause' | 'resume') => {
    await query(reader.superuserUrl(), `SELECT pg_wal_replay_${what}()`);
    if (what === 'resume') await reader.caughtUp();
  };
  const ok = <T extends BrokerResponse['action']>(response: BrokerResponse, action: T) => {
    expect(response, JSON.stringify(response)).toMatchObject({ ok: true, action });
    return response as Extract<BrokerResponse, { ok: true; action: T }>;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({ major });
    await applyRoleModel(shared, { connectionString: server.masterUrl() });
    // The broker is in rds_iam: an (emulated) IAM token, accepted by the reader too (the password replicates).
    token = await server.issueIamToken(BROKER);
    reader = await startHotStandby(server);
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.end().catch(() => undefined)));
    await reader?.stop();
    await server?.stop();
  });

  it('the reader is a hot standby of the writer: another server, read-only, with the same roles', async () => {
    const rows = await query<{ recovery: boolean; broker: boolean }>(reader.masterUrl(DB), `SELECT pg_is_in_recovery() AS recovery, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${BROKER}') AS broker`);
    expect(rows).toEqual([{ recovery: true, broker: true }]);
    const master = new pg.Client({ connectionString: reader.masterUrl(DB) });
    await master.connect();
    expect(await attempt(master, 'CREATE TABLE not_on_a_reader (id int)')).toBe('cannot execute CREATE TABLE in a read-only transaction');
    await master.end();
    // The Aurora profile holds on the reader too: TLS is forced.
    const plain = new pg.Client({ host: STANDBY_HOST, port: reader.port, user: 'postgres', password: 'x', database: DB, ssl: false });
    await expect(plain.connect()).rejects.toThrow(/no pg_hba.conf entry .* no encryption/);
  });

  it('shared: status counts the session on the reader, revoke ends it there, and a new login on the reader fails', async () => {
    const broker = service(shared);
    const issued = ok(await broker({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'reader', hours: 1 }), 'request');
    const session = await loginOnReader(RO, issued.password ?? '');
    expect(await attempt(session, 'SELECT pg_is_in_recovery()')).toBe('ok');
    const status = ok(await broker({ action: 'status' }), 'status');
    expect(status.roles.find((r) => r.role === RO)).toMatchObject({ holder: ALICE, active: true, sessions: 1 });

    await replay('pause');
    const revoked = ok(await broker({ action: 'revoke', role: 'ro', incidentId: 'INC-1', reason: 'done' }), 'revoke');
    expect(revoked.sessionsEnded).toBe(1);
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    await replay('resume');
    expect(await sessionsOnReader(RO)).toBe(0);
    await expect(loginOnReader(RO, issued.password ?? '')).rejects.toThrow(`password authentication failed for user "${RO}"`);
  });

  it('shared: the sweep ends the session of an expired role on the reader', async () => {
    const broker = service(shared);
    const issued = ok(await broker({ action: 'request', role: 'rw', incidentId: 'INC-2', reason: 'reader sweep', hours: 1 }), 'request');
    const session = await loginOnReader(RW, issued.password ?? '');
    // What time does by itself: VALID UNTIL passes (on the writer; it replicates).
    await query(server.masterUrl(), `ALTER ROLE ${RW} VALID UNTIL '2000-01-01'`);
    await reader.caughtUp();
    const swept = ok(await broker({ action: 'sweep' }), 'sweep');
    expect(swept.ended).toEqual([{ database: DB, host: STANDBY_HOST, role: RW, ended: 1, holder: expect.any(String), incidentId: expect.any(String), expiresAt: expect.any(String) }]);
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    await expect(loginOnReader(RW, issued.password ?? '')).rejects.toThrow(`password authentication failed for user "${RW}"`);
  });

  it('discovery: the broker asks RDS for the instances, sweeps a reader added after deploy, reports a deployed one that went away', async () => {
    rdsCluster([{ id: 'my-pg-1', address: WRITER, writer: true }, { id: 'my-pg-reader-added-later', address: STANDBY_HOST }]);
    const deployed = { instanceHosts: [WRITER, GONE], rdsClusterIdentifier: 'my-pg' };
    const broker = service(shared, deployed, discoveredInstances(deployed, rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg')));
    const issued = ok(await broker({ action: 'request', role: 'rw', incidentId: 'INC-5', reason: 'discovery', hours: 1, takeover: true }), 'request');
    const session = await loginOnReader(RW, issued.password ?? '');
    expect(ok(await broker({ action: 'status' }), 'status')).toMatchObject({ instancesGone: [GONE], roles: expect.arrayContaining([expect.objectContaining({ role: RW, sessions: 1 })]) });
    await query(server.masterUrl(), `ALTER ROLE ${RW} VALID UNTIL '2000-01-01'`);
    await reader.caughtUp();
    const swept = ok(await broker({ action: 'sweep' }), 'sweep');
    expect(swept).toMatchObject({ sessionsEnded: 1, ended: [{ database: DB, host: STANDBY_HOST, role: RW, ended: 1 }], instancesGone: [GONE] });
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    expect(logs.at(-1)).toMatchObject({ message: 'firefighter sweep', outcome: 'swept', instancesGone: [GONE] });
    // One DescribeDBClusters for the three actions: the answer is cached.
    expect(rds.commandCalls(DescribeDBClustersCommand)).toHaveLength(1);
  });

  it('discovery: an instance that goes away after the last lookup is reported, and revoke ends the sessions on the others', async () => {
    rdsCluster([{ id: 'my-pg-1', address: WRITER, writer: true }, { id: 'my-pg-reader-deleted', address: GONE }]);
    const deployed = { instanceHosts: [WRITER], rdsClusterIdentifier: 'my-pg' };
    const lookup = discoveredInstances(deployed, rdsInstanceDiscovery(new RDSClient({ region: 'eu-west-1' }), 'my-pg'));
    expect((await lookup.current()).hosts).toEqual([WRITER, GONE]);
    // Within the minute the answer is kept, the reader is deleted and another one added.
    rdsCluster([{ id: 'my-pg-1', address: WRITER, writer: true }, { id: 'my-pg-reader-new', address: STANDBY_HOST }]);
    const broker = service(shared, deployed, lookup);
    const issued = ok(await broker({ action: 'request', role: 'ro', incidentId: 'INC-6', reason: 'discovery', hours: 1, takeover: true }), 'request');
    const session = await loginOnReader(RO, issued.password ?? '');
    const revoked = ok(await broker({ action: 'revoke', role: 'ro', incidentId: 'INC-6', reason: 'done' }), 'revoke');
    expect(revoked).toMatchObject({ sessionsEnded: 1, instancesGone: [GONE] });
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
  });

  it('per-person: status counts a login session on the reader; revoke and the sweep end it there before the login is dropped', async () => {
    await applyRoleModel(perPersonSpec, { connectionString: server.masterUrl() });
    const broker = service(perPersonSpec);
    const first = ok(await broker({ action: 'request', role: 'ro', incidentId: 'INC-3', reason: 'reader', hours: 1 }), 'request');
    const session = await loginOnReader(first.username, first.password ?? '');
    const status = ok(await broker({ action: 'status' }), 'status');
    expect(status.logins?.find((l) => l.login === first.username)).toMatchObject({ holder: ALICE, active: true, sessions: 1 });
    // The reader has not seen the revoke when its sessions are ended: the writer names the logins.
    await replay('pause');
    const revoked = ok(await broker({ action: 'revoke', role: 'ro', incidentId: 'INC-3', reason: 'done' }), 'revoke');
    expect(revoked.logins).toEqual([expect.objectContaining({ login: first.username, sessionsEnded: 1, dropped: true })]);
    expect(await attempt(session, 'SELECT 1')).toMatch(/terminat|connection/i);
    await replay('resume');
    await expect(loginOnReader(first.username, first.password ?? '')).rejects.toThrow(`password authentication failed for user "${first.username}"`);

    const second = ok(await broker({ action: 'request', role: 'ro', incidentId: 'INC-4', reason: 'reader sweep', hours: 1 }), 'request');
    const later = await loginOnReader(second.username, second.password ?? '');
    const admin = new pg.Client({ connectionString: server.masterUrl(DB) });
    await admin.connect();
    await admin.query(`SET ROLE my_pg_admin; UPDATE db_admin.firefighter_login SET expires_at = clock_timestamp() - interval '1 second' WHERE login = '${second.username}'`);
    await admin.end();
    await replay('pause');
    const swept = ok(await broker({ action: 'sweep' }), 'sweep');
    expect(swept.logins).toEqual([expect.objectContaining({ login: second.username, sessionsEnded: 1, dropped: true })]);
    expect(await attempt(later, 'SELECT 1')).toMatch(/terminat|connection/i);
    await replay('resume');
    expect(await sessionsOnReader(second.username)).toBe(0);
    await expect(loginOnReader(second.username, second.password ?? '')).rejects.toThrow(`password authentication failed for user "${second.username}"`);
  });
});
