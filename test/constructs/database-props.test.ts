// Props that real environments need (issue 11, item 7, part): an overridable cluster identifier (and with it the
// log group name), and synth-time errors for values a later step would reject, each naming the fix.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as rds from 'aws-cdk-lib/aws-rds';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, type FirefighterDatabaseProps } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/core/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

function build(props: Partial<FirefighterDatabaseProps> = {}) {
  const stack = new Stack(new App(), 'Props');
  new FirefighterDatabase(stack, 'MyPg', { spec, broker: false, ...props });
  return Template.fromStack(stack);
}

beforeAll(() => ensureBundles());

describe('clusterIdentifier', () => {
  it('names the cluster and its PostgreSQL log group, so two environments can share an account', () => {
    const template = build({ clusterIdentifier: 'My-PG-Staging' });
    template.hasResourceProperties('AWS::RDS::DBCluster', { DBClusterIdentifier: 'my-pg-staging' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/rds/cluster/my-pg-staging/postgresql' });
  });

  it('refuses a value RDS would reject', () => {
    expect(() => build({ clusterIdentifier: 'pg--x' })).toThrow('Props/MyPg: clusterIdentifier "pg--x" is not an RDS cluster identifier (a letter, then letters, digits and single hyphens, at most 63, no trailing hyphen); e.g. my-pg-staging');
  });
});

describe('synth-time errors for values later steps would reject', () => {
  it('a master username that is one of the managed roles', () => {
    expect(() => build({ masterUsername: 'my_pg_admin' })).toThrow('Props/MyPg: masterUsername "my_pg_admin" is also the managed role admin.name of the spec; the role model would manage (and restrict) the master itself; pick another masterUsername or rename the role in the spec');
  });

  it('an engine below PostgreSQL 15', () => {
    expect(() => build({ engineVersion: rds.AuroraPostgresEngineVersion.VER_14_9 })).toThrow('Props/MyPg: engineVersion 14.9 is below PostgreSQL 15, which the role model needs (per-grant options, pg_catalog functions it relies on); use rds.AuroraPostgresEngineVersion.VER_15_x or later');
  });
});
