// onEvent handler of the role-model custom resource (aws-cdk-lib Provider framework): one resource per managed
// database. Create/Update apply the role model to that database and fail with the verifier's findings when the
// server still differs; Delete changes nothing under RETAIN and retires the database's roles under DESTROY.
// The framework Lambda (outside the VPC) answers CloudFormation; this one only needs Secrets Manager and the cluster.
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import pg from 'pg';
import { parseRoleModelProperties, roleModelPhysicalId, type RoleModelRequest } from '../lib/spec/custom-resource-contract.js';
import { applyRoleModel, VerificationError, type ConnectionOptions, type Finding } from '../lib/postgres/engine.js';
import { retireDatabaseRoles } from '../lib/postgres/retire.js';
import { printable } from '../lib/spec/text-rules.js';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface HandlerConfig {
  readonly secrets: SecretsManagerClient;
  /**
   * PEM CA bundle to verify the server certificate against.
   * @default - Node's trust store plus NODE_EXTRA_CA_CERTS (the Lambda runtime's file holds the RDS CAs)
   */
  readonly ca?: string;
  /** Per attempt. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Keep retrying a cluster that is still starting for this long. @default 300_000 */
  readonly connectDeadlineMs?: number;
  /** @default - JSON lines on stdout/stderr */
  readonly logger?: Logger;
}

export interface HandlerResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/**
 * Bytes of the error message this handler may throw (counted as the UTF-8 of its JSON string, as it travels).
 * CloudFormation refuses a custom-resource response over 4,096 bytes ("Response object is too long") and then
 * shows that instead of the reason. The Provider framework's response is the message, a `Logs:` line, the
 * stack frames the Lambda runtime reports (the message's own first line is dropped from them, every further
 * line of it repeated, hence one line) and the stack id, request id, logical and physical ids: with the longest
 * of those (a 128-character stack name, a 255-character logical id) about 1,700 bytes, so 2,000 here leaves room.
 */
export const MAX_REASON_BYTES = 2_000;
/** No single finding may crowd out the others. */
const MAX_FINDING_BYTES = 400;

const jsonLogger: Logger = {
  info: (message, fields) => console.log(JSON.stringify({ level: 'INFO', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'ERROR', message, ...fields })),
};

export function createRoleModelHandler(config: HandlerConfig): (event: CloudFormationCustomResourceEvent) => Promise<HandlerResponse> {
  const log = config.logger ?? jsonLogger;
  const connectTimeoutMs = config.connectTimeoutMs ?? 10_000;
  const connectDeadlineMs = config.connectDeadlineMs ?? 300_000;

  async function connection(request: RoleModelRequest): Promise<ConnectionOptions> {
    const { username, password } = await masterCredentials(config.secrets, request.secretArn);
    const options: ConnectionOptions = {
      host: request.host,
      port: request.port,
      user: username,
      password,
      database: 'postgres',
      // Aurora has rds.force_ssl=1; verify the certificate and the host name, never fall back to plaintext.
      ssl: { rejectUnauthorized: true, ...(config.ca ? { ca: config.ca } : {}) },
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'rolemodel-custom-resource',
    };
    await waitForServer(options, connectDeadlineMs, log);
    return options;
  }

  return async function onEvent(event) {
    const base = { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId };

    if (event.RequestType === 'Delete') {
      const raw = event.ResourceProperties as Record<string, unknown>;
      // Checked before anything else: a retained resource must never block a stack deletion.
      if (raw.RemovalPolicy !== 'destroy') {
        log.info('delete under retain: nothing changed on the cluster', { ...base, physicalResourceId: event.PhysicalResourceId });
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      const request = parseRoleModelProperties(raw);
      const expected = roleModelPhysicalId(request.spec, request.database);
      if (event.PhysicalResourceId !== expected) {
        // Not a resource this handler created (e.g. an older contract): touching roles would be a guess.
        log.info('delete of an unknown physical id: nothing changed on the cluster', { ...base, physicalResourceId: event.PhysicalResourceId, expected });
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      const result = await retireDatabaseRoles(request.spec, request.database, await connection(request), {
        dropDatabase: request.dropDatabaseOnDelete,
      });
      log.info('retired the database roles', { ...base, database: request.database, ...result });
      return { PhysicalResourceId: event.PhysicalResourceId };
    }

    const request = parseRoleModelProperties(event.ResourceProperties);
    const physicalResourceId = roleModelPhysicalId(request.spec, request.database);
    log.info('applying the role model', { ...base, database: request.database, physicalResourceId });
    const options = await connection(request);
    try {
      // apply verifies afterwards and throws VerificationError when the server still differs from the spec.
      const result = await applyRoleModel(request.spec, options, { databases: [request.database] });
      log.info('applied and verified', { ...base, database: request.database, steps: result.steps.length, fixed: result.fixed.length });
      return { PhysicalResourceId: physicalResourceId, Data: { Database: request.database, StepsRun: String(result.steps.length) } };
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      // The whole list goes to the log; the reason CloudFormation shows is cut to fit its response.
      log.error('the role model does not match the spec after apply', { ...base, database: request.database, findings: error.findings });
      throw new Error(describeFindings(request.database, error.findings));
    }
  };
}

/** JSON-escaped UTF-8 bytes of a text: what it costs inside the framework's response body. */
function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/** The text cut to at most `max` JSON bytes, on a character boundary, with an ellipsis when cut. */
function cut(text: string, max: number): string {
  if (jsonBytes(text) <= max) return text;
  const chars = [...text];
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (jsonBytes(`${chars.slice(0, mid).join('')}…`) <= max) low = mid;
    else high = mid - 1;
  }
  return `${chars.slice(0, low).join('')}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/**
 * One line of at most MAX_REASON_BYTES: as many findings as fit (each cut to MAX_FINDING_BYTES), then how many
 * more are in the handler's log. One line because the Lambda runtime's trace repeats every line of a message
 * after the first, and the framework sends that trace as the reason.
 */
export function describeFindings(database: string, findings: readonly Finding[]): string {
  const head = `role model for database "${database}" does not match the spec after apply (${findings.length} finding${findings.length === 1 ? '' : 's'}):`;
  // printable: a name's newline stays visible as \n instead of breaking the line.
  const items = findings.map((f) => cut(`[${f.code}] ${printable(f.message)}`, MAX_FINDING_BYTES));
  const tail = (rest: number): string => (rest > 0 ? ` ... and ${rest} more in the handler's log` : '');
  let text = head;
  for (const [i, item] of items.entries()) {
    const next = `${text}${i === 0 ? ' ' : '; '}${item}`;
    if (jsonBytes(`${next}${tail(items.length - i - 1)}`) > MAX_REASON_BYTES) return `${text}${tail(items.length - i)}`;
    text = next;
  }
  return text;
}

/** Any other error as CloudFormation can show it: one line within the budget (the whole error is logged first). */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return cut(oneLine(message), MAX_REASON_BYTES);
}

async function masterCredentials(secrets: SecretsManagerClient, secretArn: string): Promise<{ username: string; password: string }> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString ?? '');
  } catch {
    // Never echo the secret string: it may be the password itself.
    throw new Error(`secret ${secretArn} is not a JSON object with username and password; use the cluster's generated master secret`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const { username, password } = record;
  if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
    throw new Error(`secret ${secretArn} has no string "username" and "password" keys; use the cluster's generated master secret`);
  }
  return { username, password };
}

/** SQLSTATEs and socket errors a starting or failing-over cluster produces; anything else fails at once. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', '57P03', '53300', '08006', '08001']);

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code);
  return /timeout|terminated unexpectedly|Connection terminated/i.test(error.message);
}

export async function waitForServer(options: ConnectionOptions, deadlineMs: number, log: Logger, sleep = delay): Promise<void> {
  const started = Date.now();
  for (let attempt = 1, backoffMs = 1_000; ; attempt++, backoffMs = Math.min(backoffMs * 2, 15_000)) {
    const client = new pg.Client(options);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const elapsed = Date.now() - started;
      if (!isTransient(error)) {
        throw new Error(`cannot connect to ${options.host}:${options.port} as ${options.user}: ${message}; check the security group, the master secret and the TLS trust (NODE_EXTRA_CA_CERTS)`);
      }
      if (elapsed + backoffMs > deadlineMs) {
        throw new Error(`cluster ${options.host}:${options.port} still unreachable after ${attempt} attempts in ${Math.round(elapsed / 1000)} s (last error: ${message}); check that the handler's security group may reach the cluster port, or, if the cluster scales to 0 ACU, that it resumed from auto-pause`);
      }
      log.info('cluster not reachable yet (it may be resuming from auto-pause), retrying', { attempt, error: message, retryInMs: backoffMs });
      await sleep(backoffMs);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Configuration comes from the environment once, at cold start; a bad value fails loudly instead of becoming 0. */
export function configFromEnv(env: NodeJS.ProcessEnv): HandlerConfig {
  const number = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}=${JSON.stringify(raw)} must be a positive integer of milliseconds`);
    return value;
  };
  const caFile = env.ROLEMODEL_TLS_CA_FILE;
  return {
    secrets: new SecretsManagerClient({}),
    ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}),
    connectTimeoutMs: number('ROLEMODEL_CONNECT_TIMEOUT_MS', 10_000),
    connectDeadlineMs: number('ROLEMODEL_CONNECT_DEADLINE_MS', 300_000),
  };
}

let cached: ((event: CloudFormationCustomResourceEvent) => Promise<HandlerResponse>) | undefined;

/** The Lambda entry point: clients are built once per container, on first use. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<HandlerResponse> {
  try {
    cached ??= createRoleModelHandler(configFromEnv(process.env));
    return await cached(event);
  } catch (error) {
    const reason = reasonOf(error);
    if (reason === (error instanceof Error ? error.message : undefined)) throw error;
    jsonLogger.error('request failed', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, error: error instanceof Error ? error.message : String(error) });
    throw new Error(reason, { cause: error });
  }
}
