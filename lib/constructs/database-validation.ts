// Synth-time checks of FirefighterDatabase props against what a later step would reject (RDS at create time, the
// role model at apply time), each error naming the value and the fix. aws-cdk-lib already refuses capacities off the
// 0.5 ACU grid, monitoring intervals RDS does not offer and rotation schedules under 4 hours; these are the rest.
import { Aws, Duration, Fn, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import type { RoleModelSpec } from '../spec/spec.js';
import { managedRoleNames } from '../spec/validate.js';
import { validationError } from './util.js';

export interface CheckedDatabaseProps {
  readonly readers?: rds.IClusterInstance[];
  readonly serverlessV2MinCapacity?: number;
  readonly serverlessV2MaxCapacity?: number;
  readonly credentials?: rds.Credentials;
  readonly engine?: rds.IClusterEngine;
  readonly clusterIdentifier?: string;
  readonly backup?: rds.BackupProps;
  readonly roleModelSecurityGroups?: ec2.ISecurityGroup[];
  readonly brokerSecurityGroups?: ec2.ISecurityGroup[];
}

export interface CheckedValues {
  readonly minAcu: number;
  readonly maxAcu: number;
  readonly engine: rds.IClusterEngine;
  readonly clusterIdentifier?: string;
  readonly backup: rds.BackupProps;
}

/** RDS: 1 to 63 letters, digits or underscores, starting with a letter; PostgreSQL and Aurora reserve the rest. */
const MASTER_USERNAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const RESERVED_MASTER_NAMES = new Set(['rdsadmin', 'rdsrepladmin', 'public', 'none', 'current_user', 'session_user', 'current_role', 'system_user']);
/** First minor of each major whose Serverless v2 instances can scale to 0 ACU (auto-pause). */
const AUTO_PAUSE_SINCE: Record<number, number> = { 15: 7, 16: 3, 17: 0 };

export function checkDatabaseProps(spec: RoleModelSpec, props: CheckedDatabaseProps, scope: Construct): CheckedValues {
  const readers = props.readers ?? [];
  if (readers.length > 15) {
    throw validationError(`readers has ${readers.length} instances, more than Aurora's 15 replicas; remove ${readers.length - 15}`, scope);
  }
  const minAcu = props.serverlessV2MinCapacity ?? 0.5;
  const maxAcu = props.serverlessV2MaxCapacity ?? 4;
  if (minAcu > maxAcu) {
    throw validationError(`serverlessV2MinCapacity ${minAcu} is above serverlessV2MaxCapacity ${maxAcu}; lower the minimum or raise the maximum`, scope);
  }
  if (props.credentials?.password && !props.credentials.secret) {
    throw validationError('credentials from a password (rds.Credentials.fromPassword) leave no secret for the role-model handler to read; use rds.Credentials.fromGeneratedSecret(username) or rds.Credentials.fromSecret(secret)', scope);
  }
  // Like aws-rds: a secret's username is read from the secret itself at deploy time and cannot be checked here.
  const masterUsername = props.credentials ? props.credentials.username : 'postgres';
  if (!Token.isUnresolved(masterUsername) && !props.credentials?.secret) {
    if (!MASTER_USERNAME.test(masterUsername)) {
      throw validationError(`credentials.username "${masterUsername}" is not an RDS master user name (a letter, then letters, digits or underscores, at most 63); e.g. postgres or dbmaster`, scope);
    }
    if (/^(pg_|rds_)/i.test(masterUsername) || RESERVED_MASTER_NAMES.has(masterUsername.toLowerCase())) {
      throw validationError(`credentials.username "${masterUsername}" is reserved by PostgreSQL or Aurora (pg_ and rds_ prefixes, ${[...RESERVED_MASTER_NAMES].join(', ')}); e.g. postgres or dbmaster`, scope);
    }
  }
  const clash = props.credentials?.secret ? undefined : managedRoleNames(spec).find((r) => r.name === masterUsername);
  if (clash) {
    throw validationError(`credentials.username "${masterUsername}" is also the managed role ${clash.path} of the spec; the role model would manage (and restrict) the master itself; pick another credentials.username or rename the role in the spec`, scope);
  }
  const engine = props.engine ?? rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 });
  if (engine.engineType !== 'aurora-postgresql') {
    throw validationError(`engine ${engine.engineType} is not Aurora PostgreSQL, which the role model manages; use rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 })`, scope);
  }
  const full = engine.engineVersion?.fullVersion;
  if (full === undefined) {
    throw validationError('engine has no version (auroraPostgres without one follows whatever RDS picks); give one, e.g. rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 })', scope);
  }
  if (!Token.isUnresolved(full)) {
    const [major, minor] = full.split('.').map(Number) as [number, number | undefined];
    if (!(major >= 15)) {
      throw validationError(`engine version ${full} is below PostgreSQL 15, which the role model needs (per-grant options, pg_catalog functions it relies on); use rds.AuroraPostgresEngineVersion.VER_15_x or later`, scope);
    }
    const since = AUTO_PAUSE_SINCE[major];
    if (minAcu === 0 && since !== undefined && (minor ?? 0) < since) {
      throw validationError(`serverlessV2MinCapacity 0 (auto-pause) needs Aurora PostgreSQL ${major}.${since} or later, but the engine version is ${full}; upgrade the engine or set serverlessV2MinCapacity to 0.5`, scope);
    }
  }
  // Unset: `<spec.cluster>-<8 hex digits of the stack id>` (clusterIdentifierOf), unique per stack instance.
  const clusterIdentifier = props.clusterIdentifier?.toLowerCase();
  if (clusterIdentifier !== undefined && !Token.isUnresolved(clusterIdentifier) && (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(clusterIdentifier) || clusterIdentifier.length > 63)) {
    throw validationError(`clusterIdentifier "${clusterIdentifier}" is not an RDS cluster identifier (a letter, then letters, digits and single hyphens, at most 63, no trailing hyphen); e.g. my-pg-staging`, scope);
  }
  const backup = props.backup ?? { retention: Duration.days(7) };
  const backupRetention = backup.retention;
  if (!Token.isUnresolved(backupRetention.toDays({ integral: false }))) {
    const days = backupRetention.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 35) {
      throw validationError(`backup.retention ${backupRetention.toHumanString()} must be a whole number of days from 1 to 35 (RDS's range); e.g. backup: { retention: Duration.days(7) }`, scope);
    }
  }
  const shared = (props.roleModelSecurityGroups ?? []).find((g) => (props.brokerSecurityGroups ?? []).includes(g));
  if (shared) {
    // Each construct adds its own ingress rule to the cluster port; two identical rules fail at deploy time.
    throw validationError(`security group ${shared.node.path} is in both roleModelSecurityGroups and broker.securityGroups; give the role-model handler and the broker separate groups (the cluster admits each by its own rule)`, scope);
  }
  return { minAcu, maxAcu, engine, clusterIdentifier, backup };
}

/**
 * The cluster identifier when none is given: the spec's cluster name (lowercased, cut to leave room) and the first
 * 8 hex digits of the stack id. The stack id is new for every stack created, so two stages of one app, and a
 * stack deployed again after `cdk destroy` (its snapshot and retained PostgreSQL log group still there), get
 * identifiers and log groups of their own; an update of the stack keeps it. RDS needs the name before the cluster
 * exists, for the log group the cluster waits for, so it cannot be left to CloudFormation.
 */
export function clusterIdentifierOf(spec: RoleModelSpec): string {
  const prefix = spec.cluster.toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-').slice(0, 54).replace(/-+$/, '');
  const stackIdPart = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
  return `${prefix}-${stackIdPart}`;
}
