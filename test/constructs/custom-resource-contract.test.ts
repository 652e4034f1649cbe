// The properties contract between the RoleModel construct and its handler, parsed the way the handler does.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRoleModelProperties, roleModelPhysicalId, roleModelProperties } from '../../lib/spec/custom-resource-contract.js';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { REPO } from './support.js';

const spec = JSON.parse(readFileSync(path.join(REPO, 'examples', 'reference.json'), 'utf8')) as RoleModelSpec;
const valid = roleModelProperties({
  spec,
  database: 'my-pg-db',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:my-pg-AbCdEf',
  host: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
  port: '5432',
  removalPolicy: 'destroy',
  dropDatabaseOnDelete: true,
});

describe('parseRoleModelProperties', () => {
  it('round-trips what the construct writes', () => {
    expect(parseRoleModelProperties({ ServiceToken: 'arn:aws:lambda:x', ...valid })).toEqual({
      spec,
      database: 'my-pg-db',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:my-pg-AbCdEf',
      host: 'my-pg.cluster-abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      removalPolicy: 'destroy',
      dropDatabaseOnDelete: true,
    });
  });

  it.each([
    [{ SpecJson: '{' }, /SpecJson is not valid JSON/],
    [{ SpecJson: JSON.stringify({ ...spec, cluster: '' }) }, /invalid role-model spec:\n {2}- cluster:/],
    [{ Database: 'other' }, /Database "other" is not one of the spec's databases \(my-pg-db\); add it to the spec/],
    [{ SecretArn: 'my-secret' }, /SecretArn "my-secret" is not a Secrets Manager secret ARN/],
    [{ Port: '0' }, /Port "0" must be an integer from 1 to 65535/],
    [{ Port: 'abc' }, /Port "abc" must be an integer/],
    [{ Host: '' }, /Host must be a non-empty string, got string/],
    [{ Host: undefined }, /Host must be a non-empty string, got nothing/],
    [{ RemovalPolicy: 'snapshot' }, /RemovalPolicy "snapshot" must be "retain" or "destroy"/],
    [{ DropDatabaseOnDelete: 'yes' }, /DropDatabaseOnDelete "yes" must be "true" or "false"/],
    [{ RemovalPolicy: 'retain' }, /DropDatabaseOnDelete is "true" but RemovalPolicy is "retain"/],
  ])('rejects %j', (override, message) => {
    expect(() => parseRoleModelProperties({ ...valid, ...override })).toThrow(message);
  });

  it('rejects something that is not an object', () => {
    expect(() => parseRoleModelProperties('x')).toThrow(/custom resource properties must be an object/);
  });
});

describe('roleModelPhysicalId', () => {
  it('depends on the cluster and the database only, so an update keeps it and a rename replaces it', () => {
    expect(roleModelPhysicalId(spec, 'my-pg-db')).toBe('rolemodel/my-pg/my-pg-db');
    expect(roleModelPhysicalId({ cluster: 'other' }, 'my-pg-db')).toBe('rolemodel/other/my-pg-db');
  });
});
