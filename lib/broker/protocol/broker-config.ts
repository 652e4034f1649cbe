// The password broker's configuration: written by the PasswordBroker construct as JSON into the Lambda's
// FIREFIGHTER_BROKER_CONFIG environment variable, read by the CLI's --direct mode from a file, parsed here
// once at cold start. Every problem names its field, so a bad deploy fails loudly instead of half-working.
// Allowlist entries, matching and who the person behind a caller is: ./allowlist.ts and ./person.ts.
import { AUDIT_LIMITS } from '../../model/db-admin.js';
import { allowlistEntryProblem, entryMatches, selfApprovalProblems, type Allowlist, type AllowlistEntry, type AllowlistName } from './allowlist.js';

export const BROKER_CONFIG_ENV = 'FIREFIGHTER_BROKER_CONFIG';

export type FirefighterAccess = 'ro' | 'rw';

export interface BrokerDatabase {
  readonly name: string;
  readonly firefighterRo: string;
  readonly firefighterRw: string;
}

export interface BrokerConfig {
  readonly clusterId: string;
  /** The value a caller's identity proof must be bound to (header `X-Firefighter-Broker-Id`). */
  readonly brokerId: string;
  readonly port: number;
  /** Where passwords are set (the cluster's writer endpoint). */
  readonly writerHost: string;
  /** Every instance endpoint, writer and readers: revoke and sweep end sessions on each. */
  readonly instanceHosts: readonly string[];
  /** The database user the broker logs in as. */
  readonly brokerUser: string;
  /** The first is the default database of a request. */
  readonly databases: readonly BrokerDatabase[];
  /**
   * Who may ask for what (./allowlist.ts): IAM principal ARNs, roles whose session names are bound to people, and
   * IAM Identity Center permission sets. `approve`: who may approve or deny read-write requests (per-person logins
   * with readWriteApproval). @default approve - nobody
   */
  readonly allowlist: Allowlist;
  /** `per-person`: requests create a login per person (the spec's firefighterLogins). @default 'shared' */
  readonly firefighterLogins?: 'shared' | 'per-person';
  /**
   * A JavaScript regular expression the whole incident id must match (it is anchored for you).
   * @default DEFAULT_INCIDENT_ID_PATTERN - a ticket-like id: INC-4711, OPS-123, INC0012345; no spaces, no URLs
   */
  readonly incidentIdPattern?: string;
  /** `response`: the password is in the invoke response. `secret`: it is written to secretArns[role]. */
  readonly delivery: 'response' | 'secret';
  /** Firefighter role name -> Secrets Manager secret ARN; required for every role with `delivery: 'secret'`. */
  readonly secretArns?: Readonly<Record<string, string>>;
  /** @default - the SDK's regional STS endpoint, https://sts.<region>.amazonaws.com */
  readonly stsEndpoint?: string;
  /** @default - Node's trust store plus NODE_EXTRA_CA_CERTS (the Lambda runtime's file holds the RDS CAs) */
  readonly tls?: { readonly caFile?: string };
  /** The EventBridge bus (name or ARN) every action is published to, e.g. `default`. @default - no events */
  readonly eventBus?: string;
  /**
   * The RDS cluster identifier: the Lambda then asks RDS for the cluster's instances at run time (cached for a
   * minute), so a reader added after deploy is swept and one removed is reported and skipped.
   * @default - instanceHosts only (the CLI's --direct mode)
   */
  readonly rdsClusterIdentifier?: string;
  /**
   * The CloudWatch log group of the cluster's PostgreSQL log, where pgaudit records the statements firefighter
   * logins run: `firefighter history` names it and prints a Logs Insights query for the incident's logins.
   * @default - the history points at the server's own log (the CLI's --direct mode)
   */
  readonly statementLogGroup?: string;
}

export class BrokerConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid broker configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'BrokerConfigError';
  }
}

const TOP_KEYS = ['clusterId', 'brokerId', 'port', 'writerHost', 'instanceHosts', 'brokerUser', 'databases', 'allowlist',
  'incidentIdPattern', 'delivery', 'secretArns', 'stsEndpoint', 'tls', 'firefighterLogins', 'eventBus', 'rdsClusterIdentifier', 'statementLogGroup'] as const;
const REQUIRED = ['clusterId', 'brokerId', 'port', 'writerHost', 'instanceHosts', 'brokerUser', 'databases', 'allowlist', 'delivery'];
const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/;
const RDS_CLUSTER_ID = /^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$/;
const BROKER_ID = /^[A-Za-z0-9._:/-]{1,128}$/;
// A bus name (1 to 256 of A-Z a-z 0-9 . _ - /) or an event bus ARN, as PutEvents' EventBusName takes it.
const EVENT_BUS = /^([\w.\-/]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256})$/;
/** CloudWatch Logs group names: letters, digits and _ - / . #, at most 512. */
const LOG_GROUP = /^[\w.\-/#]{1,512}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]{1,512}$/;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Issues {
  readonly list: string[] = [];
  add(field: string, message: string): void {
    this.list.push(`${field}: ${message}`);
  }
  string(value: unknown, field: string, pattern?: RegExp, hint = ''): string {
    if (typeof value !== 'string' || value.length === 0) this.add(field, `must be a non-empty string, got ${describe(value)}`);
    else if (pattern && !pattern.test(value)) this.add(field, `${describe(value)} is not valid${hint ? `; ${hint}` : ''}`);
    return typeof value === 'string' ? value : '';
  }
  identifier(value: unknown, field: string): string {
    const name = this.string(value, field);
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    if (Buffer.byteLength(name) > 63 || /[\u0000-\u001f\u007f]/.test(name)) this.add(field, `${describe(name)} is not a PostgreSQL role or database name (at most 63 bytes, no control characters)`);
    return name;
  }
  keys(value: Record<string, unknown>, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.add(`${field}${key}`, `unknown key; allowed keys are ${allowed.join(', ')}`);
  }
}

/** Parses and checks the broker configuration; throws BrokerConfigError listing every problem with its field. */
export function parseBrokerConfig(input: unknown): BrokerConfig {
  const issues = new Issues();
  if (!isObject(input)) throw new BrokerConfigError([`(root): must be a JSON object, got ${describe(input)}`]);
  issues.keys(input, '', TOP_KEYS);
  for (const key of REQUIRED) if (input[key] === undefined) issues.add(key, 'is required');

  const clusterId = issues.string(input.clusterId, 'clusterId');
  const brokerId = issues.string(input.brokerId, 'brokerId', BROKER_ID, 'use 1 to 128 of A-Z a-z 0-9 . _ : / -');
  const port = input.port;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) issues.add('port', `must be an integer from 1 to 65535, got ${describe(port)}`);
  const writerHost = issues.string(input.writerHost, 'writerHost', HOST, 'give a DNS name or an IP address');
  const instanceHosts: string[] = [];
  if (!Array.isArray(input.instanceHosts) || input.instanceHosts.length === 0) {
    issues.add('instanceHosts', `must be a non-empty array of instance endpoints (writer and readers), got ${describe(input.instanceHosts)}`);
  } else {
    input.instanceHosts.forEach((h, i) => instanceHosts.push(issues.string(h, `instanceHosts[${i}]`, HOST, 'give a DNS name or an IP address')));
    if (new Set(instanceHosts).size !== instanceHosts.length) issues.add('instanceHosts', 'lists a host twice; sessions would be counted twice');
  }
  const brokerUser = issues.identifier(input.brokerUser, 'brokerUser');

  const databases: BrokerDatabase[] = [];
  if (!Array.isArray(input.databases) || input.databases.length === 0) {
    issues.add('databases', `must be a non-empty array of { name, firefighterRo, firefighterRw }, got ${describe(input.databases)}`);
  } else {
    input.databases.forEach((db, i) => {
      const field = `databases[${i}]`;
      if (!isObject(db)) return issues.add(field, `must be an object, got ${describe(db)}`);
      issues.keys(db, `${field}.`, ['name', 'firefighterRo', 'firefighterRw']);
      databases.push({
        name: issues.identifier(db.name, `${field}.name`),
        firefighterRo: issues.identifier(db.firefighterRo, `${field}.firefighterRo`),
        firefighterRw: issues.identifier(db.firefighterRw, `${field}.firefighterRw`),
      });
    });
    const names = databases.map((d) => d.name);
    if (new Set(names).size !== names.length) issues.add('databases', 'names a database twice');
  }

  const allowlist: { ro: AllowlistEntry[]; rw: AllowlistEntry[]; approve?: AllowlistEntry[] } = { ro: [], rw: [] };
  if (!isObject(input.allowlist)) {
    issues.add('allowlist', `must be an object { ro: [...], rw: [...] } of IAM principal ARNs, got ${describe(input.allowlist)}`);
  } else {
    issues.keys(input.allowlist, 'allowlist.', ['ro', 'rw', 'approve']);
    if (input.allowlist.approve !== undefined) allowlist.approve = [];
    for (const access of ['ro', 'rw', 'approve'] as const) {
      const list = input.allowlist[access] ?? [];
      if (!Array.isArray(list)) {
        issues.add(`allowlist.${access}`, `must be an array of IAM principal ARNs, got ${describe(list)}`);
        continue;
      }
      list.forEach((entry: unknown, i) => {
        const field = `allowlist.${access}[${i}]`;
        if (typeof entry === 'string' && entry.length === 0) return issues.add(field, 'must be a non-empty string, got ""');
        const problem = allowlistEntryProblem(entry);
        if (problem) issues.add(field, problem);
        else (allowlist[access] ?? []).push(entry as AllowlistEntry);
      });
    }
    for (const { field, message } of selfApprovalProblems(allowlist)) issues.add(field, message);
  }

  let incidentIdPattern: string | undefined;
  if (input.incidentIdPattern !== undefined) {
    incidentIdPattern = issues.string(input.incidentIdPattern, 'incidentIdPattern');
    try {
      new RegExp(incidentIdPattern, 'u');
    } catch {
      issues.add('incidentIdPattern', `${describe(incidentIdPattern)} is not a valid regular expression; fix its syntax`);
    }
  }

  const delivery = input.delivery;
  if (delivery !== 'response' && delivery !== 'secret') issues.add('delivery', `must be "response" or "secret", got ${describe(delivery)}`);
  let secretArns: Record<string, string> | undefined;
  if (input.secretArns !== undefined) {
    if (!isObject(input.secretArns)) issues.add('secretArns', `must be an object of role name -> secret ARN, got ${describe(input.secretArns)}`);
    else {
      secretArns = {};
      for (const [role, arn] of Object.entries(input.secretArns)) secretArns[role] = issues.string(arn, `secretArns.${role}`, SECRET_ARN, 'use a Secrets Manager secret ARN');
    }
  }
  if (delivery === 'secret') {
    for (const db of databases) {
      for (const role of [db.firefighterRo, db.firefighterRw]) {
        if (!secretArns?.[role]) issues.add(`secretArns.${role}`, 'is required with delivery "secret"; give the secret ARN the password of this role is written to');
      }
    }
  }

  let stsEndpoint: string | undefined;
  if (input.stsEndpoint !== undefined) {
    stsEndpoint = issues.string(input.stsEndpoint, 'stsEndpoint');
    checkStsEndpoint(stsEndpoint, issues);
  }

  let tls: { caFile?: string } | undefined;
  if (input.tls !== undefined) {
    if (!isObject(input.tls)) issues.add('tls', `must be an object { caFile? }, got ${describe(input.tls)}`);
    else {
      issues.keys(input.tls, 'tls.', ['caFile']);
      tls = input.tls.caFile === undefined ? {} : { caFile: issues.string(input.tls.caFile, 'tls.caFile') };
    }
  }

  const rdsClusterIdentifier = input.rdsClusterIdentifier === undefined ? undefined
    : issues.string(input.rdsClusterIdentifier, 'rdsClusterIdentifier', RDS_CLUSTER_ID, 'give the RDS cluster identifier, e.g. my-pg-staging');
  const statementLogGroup = input.statementLogGroup === undefined ? undefined
    : issues.string(input.statementLogGroup, 'statementLogGroup', LOG_GROUP, 'give a CloudWatch log group name, e.g. /aws/rds/cluster/my-pg/postgresql');
  const eventBus = input.eventBus === undefined ? undefined
    : issues.string(input.eventBus, 'eventBus', EVENT_BUS, 'give an event bus name (e.g. default) or an event bus ARN');

  const logins = input.firefighterLogins;
  if (logins !== undefined && logins !== 'shared' && logins !== 'per-person') issues.add('firefighterLogins', `must be "shared" or "per-person", got ${describe(logins)}`);

  if (issues.list.length > 0) throw new BrokerConfigError(issues.list);
  return {
    ...(logins === 'per-person' ? { firefighterLogins: 'per-person' as const } : {}),
    clusterId, brokerId, port: port as number, writerHost, instanceHosts, brokerUser, databases, allowlist,
    ...(incidentIdPattern !== undefined ? { incidentIdPattern } : {}),
    delivery: delivery as 'response' | 'secret',
    ...(secretArns ? { secretArns } : {}),
    ...(stsEndpoint !== undefined ? { stsEndpoint } : {}),
    ...(tls ? { tls } : {}),
    ...(eventBus !== undefined ? { eventBus } : {}),
    ...(rdsClusterIdentifier !== undefined ? { rdsClusterIdentifier } : {}),
    ...(statementLogGroup !== undefined ? { statementLogGroup } : {}),
  };
}

/** https anywhere; plain http only to the loopback address, where tests run a local STS stub. */
function checkStsEndpoint(value: string, issues: Issues): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return issues.add('stsEndpoint', `${describe(value)} is not a URL; use e.g. https://sts.eu-west-1.amazonaws.com`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    issues.add('stsEndpoint', `${describe(value)} must use https (plain http is accepted only for 127.0.0.1)`);
  }
  if (url.username || url.password || url.search || url.hash) issues.add('stsEndpoint', `${describe(value)} must not carry credentials, a query or a fragment`);
}

/** The firefighter role of `access` in `database` (the first database when none is given). */
export function firefighterRole(config: BrokerConfig, access: FirefighterAccess, database?: string): { database: string; role: string } | undefined {
  const db = database === undefined ? config.databases[0] : config.databases.find((d) => d.name === database);
  if (!db) return undefined;
  return { database: db.name, role: access === 'ro' ? db.firefighterRo : db.firefighterRw };
}

export function isAllowed(config: BrokerConfig, access: AllowlistName, callerArn: string): boolean {
  return (config.allowlist[access] ?? []).some((entry) => entryMatches(callerArn, entry));
}

/**
 * The incident id when none is configured, the same in the Lambda and in --direct: a letter or digit, then up to
 * 63 letters, digits, `-`, `_` or `.`. It takes the ids of the usual trackers (INC-4711, OPS-123, INC0012345,
 * PagerDuty's Q1ABC2DEF3GHI) and refuses what an audit cannot be searched by: "INC 42", a URL, free text.
 */
export const DEFAULT_INCIDENT_ID_PATTERN = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';

/** The incident id rule: the audit limits always, and the configured (or default) pattern over the whole id. */
export function incidentIdMatcher(config: Pick<BrokerConfig, 'incidentIdPattern'>): (id: string) => boolean {
  const pattern = new RegExp(`^(?:${config.incidentIdPattern ?? DEFAULT_INCIDENT_ID_PATTERN})$`, 'u');
  return (id) => id.length <= AUDIT_LIMITS.incidentId && pattern.test(id);
}

/** What a refused incident id is told: the rule and an id that passes it. */
export function incidentIdHint(config: Pick<BrokerConfig, 'incidentIdPattern'>): string {
  if (config.incidentIdPattern === undefined) return `letters, digits, "-", "_" or "." only, at most 64, e.g. INC-4711; set incidentIdPattern on the broker for another format`;
  return `the whole id must match /${config.incidentIdPattern}/`;
}
