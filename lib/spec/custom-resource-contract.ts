// The wire contract between the RoleModel construct (which writes these CloudFormation properties) and the
// role-model custom-resource handler (which reads them). Pure, so both sides and the tests share one parser.
// CloudFormation hands every scalar to the handler as a string, so numbers and booleans travel as strings.
// No secret value ever travels here: the handler reads the master password from Secrets Manager itself.
import { parseSpec } from './validate.js';
import type { RoleModelSpec } from './spec.js';

/** CloudFormation resource type of the per-database custom resource. */
export const ROLE_MODEL_RESOURCE_TYPE = 'Custom::FirefighterRoleModel';

export type RoleModelRemovalPolicy = 'retain' | 'destroy';

/** Properties exactly as the construct writes them (after token resolution: all strings). */
export interface RoleModelResourceProperties {
  /** The whole role-model spec as JSON: the cluster-level roles are shared by every database. */
  readonly SpecJson: string;
  /** The one database of the spec this resource manages. */
  readonly Database: string;
  /** ARN of the master user's secret (`username` and `password` keys, as RDS generates it). */
  readonly SecretArn: string;
  /** Writer (cluster) endpoint address. */
  readonly Host: string;
  /** Cluster port, e.g. `"5432"`. */
  readonly Port: string;
  /** What a Delete does: `retain` changes nothing; `destroy` retires this database's managed roles. */
  readonly RemovalPolicy: RoleModelRemovalPolicy;
  /** `"true"` only when the user explicitly asked to drop the database (and its data) on destroy. */
  readonly DropDatabaseOnDelete: 'true' | 'false';
}

/** The same properties, parsed and checked. */
export interface RoleModelRequest {
  readonly spec: RoleModelSpec;
  readonly database: string;
  readonly secretArn: string;
  readonly host: string;
  readonly port: number;
  readonly removalPolicy: RoleModelRemovalPolicy;
  readonly dropDatabaseOnDelete: boolean;
}

export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/** Physical id of the resource: stable across updates, changes only when cluster or database change (replacement). */
export function roleModelPhysicalId(spec: Pick<RoleModelSpec, 'cluster'>, database: string): string {
  return `rolemodel/${spec.cluster}/${database}`;
}

/** Builds the properties (what the construct writes); values may still be CDK tokens at that point. */
export function roleModelProperties(input: {
  spec: RoleModelSpec;
  database: string;
  secretArn: string;
  host: string;
  port: string;
  removalPolicy: RoleModelRemovalPolicy;
  dropDatabaseOnDelete: boolean;
}): RoleModelResourceProperties {
  return {
    SpecJson: JSON.stringify(input.spec),
    Database: input.database,
    SecretArn: input.secretArn,
    Host: input.host,
    Port: input.port,
    RemovalPolicy: input.removalPolicy,
    DropDatabaseOnDelete: input.dropDatabaseOnDelete ? 'true' : 'false',
  };
}

function text(raw: Record<string, unknown>, key: keyof RoleModelResourceProperties): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ContractError(`custom resource property ${key} must be a non-empty string, got ${value === undefined ? 'nothing' : typeof value}; redeploy with the RoleModel construct`);
  }
  return value;
}

/**
 * Parses the `ResourceProperties` of a CloudFormation event. Throws ContractError naming the property and
 * the fix; the spec itself is validated again with parseSpec so the handler never applies an unchecked spec.
 */
export function parseRoleModelProperties(raw: unknown): RoleModelRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ContractError('custom resource properties must be an object; redeploy with the RoleModel construct');
  }
  const props = raw as Record<string, unknown>;
  let specInput: unknown;
  try {
    specInput = JSON.parse(text(props, 'SpecJson'));
  } catch (error) {
    if (error instanceof ContractError) throw error;
    throw new ContractError('custom resource property SpecJson is not valid JSON; redeploy with the RoleModel construct');
  }
  const spec = parseSpec(specInput);
  const database = text(props, 'Database');
  if (!spec.databases.some((db) => db.name === database)) {
    throw new ContractError(`custom resource property Database "${database}" is not one of the spec's databases (${spec.databases.map((d) => d.name).join(', ')}); add it to the spec`);
  }
  const secretArn = text(props, 'SecretArn');
  if (!SECRET_ARN.test(secretArn)) {
    throw new ContractError(`custom resource property SecretArn "${secretArn}" is not a Secrets Manager secret ARN; pass the cluster's master secret`);
  }
  const host = text(props, 'Host');
  const portText = text(props, 'Port');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ContractError(`custom resource property Port "${portText}" must be an integer from 1 to 65535; pass the cluster's port`);
  }
  const removalPolicy = text(props, 'RemovalPolicy');
  if (removalPolicy !== 'retain' && removalPolicy !== 'destroy') {
    throw new ContractError(`custom resource property RemovalPolicy "${removalPolicy}" must be "retain" or "destroy"`);
  }
  const drop = text(props, 'DropDatabaseOnDelete');
  if (drop !== 'true' && drop !== 'false') {
    throw new ContractError(`custom resource property DropDatabaseOnDelete "${drop}" must be "true" or "false"`);
  }
  if (drop === 'true' && removalPolicy !== 'destroy') {
    throw new ContractError('custom resource property DropDatabaseOnDelete is "true" but RemovalPolicy is "retain"; set the removal policy to destroy or stop asking to drop the database');
  }
  return { spec, database, secretArn, host, port, removalPolicy, dropDatabaseOnDelete: drop === 'true' };
}
