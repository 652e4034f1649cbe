// A cluster someone brings is checked for what the security model relies on: a synth warning when its parameter
// group does not set rds.force_ssl and rds.restrict_password_commands (or cannot be read), once per cluster; and
// another when it does not load pgaudit, so no statement a firefighter runs would be recorded.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, PasswordBroker, RoleModel } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));
const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_17_9 });

/** The warnings of a stack with RoleModel and PasswordBroker on a stock cluster with these parameters (none: no group). */
function warnings(parameters?: Record<string, string>, id = 'cdk-aurora-firefighter:cluster-parameters'): string[] {
  const stack = new Stack(new App(), 'Brought');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const cluster = new rds.DatabaseCluster(stack, 'Cluster', {
    engine, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, writer: rds.ClusterInstance.serverlessV2('writer'), iamAuthentication: true,
    ...(parameters ? { parameterGroup: new rds.ParameterGroup(stack, 'Params', { engine, parameters }) } : {}),
  });
  new RoleModel(stack, 'Model', { spec, cluster, masterSecret: cluster.secret as never, vpc });
  new PasswordBroker(stack, 'Broker', { spec, cluster, vpc });
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(id)).map((w) => String(w.entry.data));
}

beforeAll(() => ensureBundles());

describe('RoleModel and PasswordBroker on a cluster you bring', () => {
  it('warn once, on the cluster, when it runs with the default parameter group', () => {
    const found = warnings();
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('the cluster uses the engine\'s default parameter group, where rds.force_ssl and rds.restrict_password_commands are not both on');
    expect(found[0]).toContain('set \'rds.force_ssl\': \'1\', \'rds.restrict_password_commands\': \'1\' in the cluster\'s parameter group');
  });

  it('name exactly the parameter its group lacks', () => {
    const found = warnings({ 'rds.force_ssl': '1' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/the cluster's parameter group Brought\/Params does not set rds\.restrict_password_commands = 1, which/);
    expect(found[0]).not.toContain('does not set rds.force_ssl');
  });

  it('stay quiet when both are on', () => {
    expect(warnings({ 'rds.force_ssl': '1', 'rds.restrict_password_commands': '1' })).toEqual([]);
  });

  it('warn that an imported cluster\'s group cannot be read', () => {
    const stack = new Stack(new App(), 'Imported');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const cluster = rds.DatabaseCluster.fromDatabaseClusterAttributes(stack, 'Cluster', {
      clusterIdentifier: 'legacy-pg', clusterEndpointAddress: 'legacy-pg.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, securityGroups: [sg],
      clusterResourceIdentifier: 'cluster-ABC', instanceEndpointAddresses: ['legacy-pg-1.abc.eu-west-1.rds.amazonaws.com'],
    });
    new PasswordBroker(stack, 'Broker', { spec, cluster, vpc });
    const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cluster-parameters'));
    expect(found.map((w) => String(w.entry.data))).toEqual([expect.stringContaining('the cluster is imported, so its parameter group cannot be read here')]);
  });

  it('FirefighterDatabase\'s own cluster sets both: no warning', () => {
    const stack = new Stack(new App(), 'Own');
    new FirefighterDatabase(stack, 'MyPg', { spec });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cluster-parameters'))).toEqual([]);
  });
});

describe('the statement audit on a cluster you bring', () => {
  const AUDIT = 'cdk-aurora-firefighter:statement-audit';
  const secure = { 'rds.force_ssl': '1', 'rds.restrict_password_commands': '1' };

  it('warns once, on the cluster, when its group does not load pgaudit', () => {
    const found = warnings({ ...secure, shared_preload_libraries: 'pg_stat_statements' }, AUDIT);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('the cluster\'s parameter group Brought/Params does not load pgaudit (shared_preload_libraries): no statement a firefighter runs is recorded');
    expect(found[0]).toContain('set \'shared_preload_libraries\' to include pgaudit');
  });

  it('warns when the cluster runs with the default group', () => {
    expect(warnings(undefined, AUDIT)).toEqual([expect.stringContaining('the engine\'s default parameter group, which does not load pgaudit')]);
  });

  it('stays quiet when the group loads pgaudit among other libraries', () => {
    expect(warnings({ ...secure, shared_preload_libraries: 'pg_stat_statements, pgaudit' }, AUDIT)).toEqual([]);
  });

  it('FirefighterDatabase\'s own group loads pgaudit next to pg_stat_statements, logs nothing cluster-wide and no bound parameters', () => {
    const stack = new Stack(new App(), 'Own');
    new FirefighterDatabase(stack, 'MyPg', { spec });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(AUDIT))).toEqual([]);
    const groups = Template.fromStack(stack).findResources('AWS::RDS::DBClusterParameterGroup');
    const parameters = Object.values(groups).map((g) => (g as { Properties: { Parameters: Record<string, string> } }).Properties.Parameters);
    expect(parameters).toEqual([expect.objectContaining({ shared_preload_libraries: 'pg_stat_statements,pgaudit', 'pgaudit.log': 'none', 'pgaudit.log_parameter': '0', 'rds.force_ssl': '1' })]);
  });
});
