// Shared set-up for the broker's security tests: an Aurora-like server with a spec applied, the broker logging
// in with an (emulated) IAM token, and a broker service over verified TLS.
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { BrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { parseSpec } from '../../lib/spec/validate.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { createBrokerService, type AuditLogger } from '../../lib/broker/service.js';
import { brokerConnector, type BrokerConnector } from '../../lib/postgres/broker-connection.js';
import { applyRoleModel } from '../../lib/postgres/engine.js';
import { loginPassword, query } from '../support/catalog.js';
import type { EmbeddedServer } from '../support/embedded-server.js';

const brokerTokens = new WeakMap<EmbeddedServer, string>();

/** The broker's credential on a prepared server: its IAM token (or, if not in rds_iam, its password). */
export function brokerPassword(server: EmbeddedServer): string {
  const token = brokerTokens.get(server);
  if (token === undefined) throw new Error('the server was not prepared: call prepare(server, spec) first');
  return token;
}
export const ALICE = 'arn:aws:sts::123456789012:assumed-role/oncall/alice';
export const BOB = 'arn:aws:sts::123456789012:assumed-role/oncall/bob';

export function loadSpec(name: 'reference' | 'two-databases'): RoleModelSpec {
  return parseSpec(JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8')));
}

/** Applies the spec as the master and gives the broker user an IAM token (or, if not in rds_iam, a password). */
export async function prepare(server: EmbeddedServer, spec: RoleModelSpec): Promise<void> {
  await applyRoleModel(spec, { connectionString: server.masterUrl() });
  brokerTokens.set(server, await loginPassword(server, spec.passwordBroker.name));
}

export function brokerConfig(server: EmbeddedServer, spec: RoleModelSpec, over: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    clusterId: spec.cluster, brokerId: 'security-test', port: server.port, writerHost: '127.0.0.1', instanceHosts: ['127.0.0.1'],
    brokerUser: spec.passwordBroker.name,
    databases: spec.databases.map((d) => ({ name: d.name, firefighterRo: d.roles.firefighterRo.name, firefighterRw: d.roles.firefighterRw.name })),
    allowlist: { ro: [], rw: [] }, delivery: 'response',
    ...over,
  };
}

export function connector(server: EmbeddedServer, spec: RoleModelSpec): BrokerConnector {
  const password = () => brokerPassword(server);
  return brokerConnector({ port: server.port, user: spec.passwordBroker.name, password, tls: { mode: 'verify-full', ca: server.ca } });
}

export interface CapturedLogger extends AuditLogger {
  readonly lines: { level: string; message: string; attributes: Record<string, unknown> }[];
}

export function captureLogger(): CapturedLogger {
  const lines: CapturedLogger['lines'] = [];
  const at = (level: string) => (message: string, attributes: Record<string, unknown>) => void lines.push({ level, message, attributes: structuredClone(attributes) });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** The broker as --direct runs it: the requester is trusted, everything else is the real code on the real server. */
export function trustedService(server: EmbeddedServer, spec: RoleModelSpec, requester: string, logger: AuditLogger = captureLogger()) {
  return createBrokerService({ config: brokerConfig(server, spec), connect: connector(server, spec), sslmode: 'verify-full', logger, identity: { trusted: requester } });
}

/** Runs `sql` as the database's owner (the master may SET ROLE to it), as a hostile migration could. */
export async function asOwner(server: EmbeddedServer, database: string, owner: string, sql: string): Promise<void> {
  await query(server.masterUrl(database), `SET ROLE "${owner}"; ${sql}`);
}

export async function settingsOf(server: EmbeddedServer, role: string): Promise<string[]> {
  const rows = await query<{ s: string }>(server.masterUrl(), `SELECT coalesce(d.datname, '*') || ': ' || array_to_string(ARRAY(SELECT unnest(s.setconfig) ORDER BY 1), ' | ') AS s
    FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase
    WHERE r.rolname = $1 ORDER BY 1`, [role]);
  return rows.map((r) => r.s);
}

export type { pg };
