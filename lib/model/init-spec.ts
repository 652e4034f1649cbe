// `rolemodel init` (issue 10.9): a starting spec from what an existing database holds. Pure: it takes the facts
// sql/inspect-init.sql reads and decides with a few documented rules, each reported as a note:
//   - cluster: --cluster, else the first label of an Aurora cluster endpoint, else the database name;
//     role names are `<prefix>_<slot>` with prefix = the cluster id in lower case, `-` as `_` (my-pg -> my_pg_app);
//   - schemas: every schema of the database but public, db_admin, the system's and extensions' own;
//   - a slot whose `<prefix>_<slot>` role exists takes it, with "adopt": true unless it already carries a mark;
//   - owner: `<prefix>_owner` if it exists, else the one NOLOGIN role that owns every schema and object in them;
//   - iam: what an adopted role has now (a password login stays one); new app, migrator and broker use IAM when
//     the server has rds_iam;
//   - keepConnect: every other login that can connect today, so the first apply locks nobody out.
import { parseMark } from './role-mark.js';
import type { DatabaseSpec, RoleModelSpec } from '../spec/spec.js';
import { identifierProblems } from '../spec/identifier-rules.js';

export interface InitRoleFacts {
  readonly name: string;
  readonly login: boolean;
  readonly superuser: boolean;
  readonly connectionLimit: number;
  readonly iam: boolean;
  readonly comment: string | null;
  readonly connect: boolean;
}

/** What sql/inspect-init.sql returns. */
export interface InitFacts {
  readonly currentUser: string;
  readonly database: string;
  readonly databaseConnectionLimit: number;
  readonly iamExists: boolean;
  readonly schemas: readonly { name: string; owner: string; objects: number }[];
  readonly owners: readonly { owner: string; schema: string; objects: number }[];
  readonly roles: readonly InitRoleFacts[];
}

export class InitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitError';
  }
}

const AURORA_ENDPOINT = /^([a-z][a-z0-9-]{0,62})\.cluster-(?:ro-|custom-)?[a-z0-9]+\.[a-z0-9-]+\.rds\.amazonaws\.com(?:\.cn)?$/i;

/** The cluster id a spec should carry, and where it came from. */
export function clusterIdFor(host: string | undefined, database: string, given?: string): { cluster: string; from: string } {
  if (given) return { cluster: given, from: '--cluster' };
  const m = host ? AURORA_ENDPOINT.exec(host) : null;
  if (m?.[1]) return { cluster: m[1].toLowerCase(), from: `the cluster endpoint ${host ?? ''}` };
  const fromDb = database.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^[^a-zA-Z]+/, '').replace(/-+$/, '').slice(0, 63);
  return { cluster: fromDb || 'cluster', from: `the database name (pass --cluster to choose it)` };
}

/** The role-name prefix init derives from a cluster id (`my-pg` -> `my_pg`). */
export function rolePrefix(cluster: string): string {
  return cluster.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * Why the roles init would name after `cluster` could not be managed (checked before connecting), or undefined:
 * every generated name must be usable, the longest being `<prefix>_password_broker`.
 */
export function clusterIdProblem(cluster: string, from: string): string | undefined {
  const prefix = rolePrefix(cluster);
  const longest = `${prefix}_password_broker`;
  if (!prefix || !usableName(`${prefix}_owner`) || !usableName(longest)) {
    return `the roles would be named ${prefix || '(nothing)'}_owner … ${longest} after cluster "${cluster}" (from ${from}), which PostgreSQL or Aurora reserve or which pass 63 bytes; pass --cluster with a shorter id that does not start with pg- or rds-`;
  }
  return undefined;
}

/** Names a role could carry in the spec without a validation error. */
function usableName(name: string): boolean {
  return identifierProblems(name, 'role').length === 0;
}

export function initSpec(facts: InitFacts, cluster: string): { spec: RoleModelSpec; notes: string[] } {
  const notes: string[] = [];
  const prefix = rolePrefix(cluster);
  const role = (name: string) => facts.roles.find((r) => r.name === name);

  const schemas = facts.schemas.filter((s) => s.name !== 'public').map((s) => s.name);
  // The schema rule, not the role rule: a schema may be called none, postgres or current_user.
  const manageable = (name: string) => identifierProblems(name, 'schema').length === 0;
  for (const s of schemas.filter((x) => !manageable(x))) notes.push(`schema "${s}" left out: its name cannot be managed; rename it to manage it`);
  const listed = schemas.filter(manageable);
  const pub = facts.schemas.find((s) => s.name === 'public');
  if (pub && pub.objects > 0) {
    notes.push(`schema public holds ${pub.objects} table(s), view(s), sequence(s), routine(s) or type(s); the role model grants nothing there (public is never an application schema): move them, e.g. ALTER TABLE public.t SET SCHEMA app`);
  }
  if (listed.length === 0) {
    throw new InitError(`database "${facts.database}" has no schema besides public; the role model manages application schemas: create one (CREATE SCHEMA app) and move the objects there, then run init again`);
  }

  const used = new Set<string>();
  /** The slot's conventional name: taken over (adopted) when it exists, created by apply otherwise. */
  const slot = (label: string, name: string, options: { iam?: boolean } = {}): Record<string, unknown> => {
    used.add(name);
    const have = role(name);
    if (!have) {
      notes.push(`${label}: ${name} does not exist; apply creates it`);
      return { name, ...(options.iam ? { iam: true } : {}) };
    }
    const marked = parseMark(have.comment) !== undefined;
    notes.push(`${label}: ${name} exists${marked ? ' and carries a cdk-aurora-firefighter mark' : '; adopted ("adopt": true): plan lists every change adopting it makes'}`);
    return {
      name, ...(marked ? {} : { adopt: true }),
      ...(options.iam !== undefined && have.login && have.iam ? { iam: true } : {}),
      ...(have.login && have.connectionLimit !== -1 ? { connectionLimit: have.connectionLimit } : {}),
    };
  };

  // Owner: the conventional name, else the one NOLOGIN role that already owns everything in the listed schemas.
  let owner: Record<string, unknown>;
  const ownerName = `${prefix}_owner`;
  const owners = new Set([
    ...facts.schemas.filter((s) => listed.includes(s.name)).map((s) => s.owner),
    ...facts.owners.filter((o) => listed.includes(o.schema)).map((o) => o.owner),
  ]);
  const only = owners.size === 1 ? role([...owners][0] ?? '') : undefined;
  if (!role(ownerName) && only && !only.login && !only.superuser && only.name !== facts.currentUser && usableName(only.name)) {
    used.add(only.name);
    const marked = parseMark(only.comment) !== undefined;
    notes.push(`owner: ${only.name} owns every listed schema and every object in them; ${marked ? 'kept' : 'adopted ("adopt": true)'} as the owner`);
    owner = { name: only.name, ...(marked ? {} : { adopt: true }) };
  } else {
    owner = slot('owner', ownerName);
    if (!role(ownerName)) notes.push(`owner: the objects are owned by ${[...owners].join(', ') || 'nobody yet'}; apply hands every one of them to ${ownerName}`);
  }
  const iam = facts.iamExists;
  const searchPath = [...listed, 'public'];
  const limited = (label: string, name: string, limit: number, extra: Record<string, unknown>) => {
    const s = slot(label, name);
    return { ...s, connectionLimit: s.connectionLimit ?? limit, ...extra };
  };
  const roles = {
    owner,
    migrator: { ...slot('migrator', `${prefix}_migrator`, { iam }), guardrails: { searchPath } },
    app: { ...slot('app', `${prefix}_app`, { iam }), guardrails: { searchPath } },
    firefighterRo: limited('firefighterRo', `${prefix}_firefighter_ro`, 5, { guardrails: { statementTimeout: '5min', idleInTransactionSessionTimeout: '2min' } }),
    firefighterRw: limited('firefighterRw', `${prefix}_firefighter_rw`, 3, { guardrails: { statementTimeout: '5min', lockTimeout: '5s', idleInTransactionSessionTimeout: '2min' } }),
  };
  const admin = slot('admin', `${prefix}_admin`);
  const brokerName = `${prefix}_password_broker`;
  // The broker's iam defaults to true in the spec: say what it is, so a server without rds_iam still plans.
  const broker = limited('passwordBroker', brokerName, 3, { iam: role(brokerName) ? role(brokerName)?.iam === true : iam });

  const keepConnect = facts.roles
    .filter((r) => r.login && r.connect && !r.superuser && r.name !== facts.currentUser && !used.has(r.name) && usableName(r.name) && parseMark(r.comment) === undefined)
    .map((r) => r.name);
  if (keepConnect.length > 0) notes.push(`keepConnect: ${keepConnect.join(', ')} can connect today and keep CONNECT (only that); remove each once it has moved to a managed role`);

  const database: Record<string, unknown> = {
    name: facts.database,
    ...(facts.databaseConnectionLimit !== -1 ? { connectionLimit: facts.databaseConnectionLimit } : {}),
    schemas: listed,
    ...(keepConnect.length > 0 ? { keepConnect } : {}),
    roles,
  };
  const spec = { cluster, admin, passwordBroker: broker, databases: [database as unknown as DatabaseSpec] } as unknown as RoleModelSpec;
  return { spec, notes };
}
