// Letting a person in (issue 11, items 3 and 4): grantRequest allowlists and grants invoke in one call, scoped to
// the function (no wildcard for cdk-nag IAM5); addRequester only allowlists (the cross-account variant); the
// broker is found by cluster name through an SSM parameter and stack outputs the construct itself creates.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterAccess, FirefighterDatabase, type PasswordBrokerOptions } from '../../lib/constructs/index.js';
import { parseBrokerLocator } from '../../lib/broker/protocol/broker-locator.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

type Json = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }>; Outputs?: Record<string, { Value: unknown; Description?: string }> };

function build(broker: PasswordBrokerOptions = {}, wire?: (db: FirefighterDatabase, stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Access');
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, broker });
  wire?.(db, stack);
  const json = Template.fromStack(stack).toJSON() as Json;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
  return { app, stack, db, json, id };
}

function brokerConfigText(json: Json): string {
  const fn = Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.FIREFIGHTER_BROKER_CONFIG);
  return JSON.stringify(fn?.Properties?.Environment.Variables.FIREFIGHTER_BROKER_CONFIG);
}

function policiesOf(json: Json, roleId: string): { Action: unknown; Resource: unknown }[] {
  return Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles ?? r.Properties?.Users).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties?.PolicyDocument.Statement);
}

beforeAll(() => ensureBundles());

describe('grantRequest(principal, access)', () => {
  let built: ReturnType<typeof build>;
  let oncall: iam.Role;
  let lead: iam.User;
  beforeAll(() => {
    built = build({}, (db, stack) => {
      oncall = new iam.Role(stack, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() });
      lead = new iam.User(stack, 'Lead');
      db.broker.grantRequest(oncall, FirefighterAccess.READ_ONLY);
      db.broker.grantRequest(lead, FirefighterAccess.READ_WRITE);
    });
  });

  it('puts the role on the ro allowlist and the user on the rw allowlist', () => {
    const config = brokerConfigText(built.json);
    const roleId = built.id(oncall);
    const userId = built.id(lead);
    expect(config).toMatch(new RegExp(`\\\\"ro\\\\":\\[\\\\"",\\{"Fn::GetAtt":\\["${roleId}","Arn"\\]\\}`));
    expect(config).toMatch(new RegExp(`\\\\"rw\\\\":\\[\\\\"",\\{"Fn::GetAtt":\\["${userId}","Arn"\\]\\}`));
  });

  it('lets the principal invoke exactly the broker function and read its locator parameter, no wildcard', () => {
    const statements = policiesOf(built.json, built.id(oncall));
    const fnId = built.id(built.db.broker.function);
    const paramId = built.id(built.db.broker.locatorParameter!);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [fnId, 'Arn'] } }),
      expect.objectContaining({ Action: expect.arrayContaining(['ssm:GetParameter']) }),
      // firefighter --cluster my-pg lists the cluster's path (authorized on the path, not the parameters under it).
      expect.objectContaining({ Action: 'ssm:GetParametersByPath', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/cdk-aurora-firefighter/my-pg']] } }),
    ]));
    expect(JSON.stringify(statements)).not.toContain('*');
    expect(JSON.stringify(statements)).toContain(paramId as string);
  });

  it('leaves cdk-nag with no IAM5 finding on the granted role or user', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    const onGrantees = report.violations.filter((v) => v.violatingResources.some((r) => /\/(Oncall|Lead)\//.test(r.constructPath ?? '')));
    expect(onGrantees.map((v) => v.ruleName)).toEqual([]);
  });

  it('refuses an access level other than ro or rw, naming the fix', () => {
    expect(() => build({}, (db, stack) => db.broker.grantRequest(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }), 'admin' as never)))
      .toThrow(/grantRequest access "admin" must be FirefighterAccess.READ_ONLY \('ro'\) or FirefighterAccess.READ_WRITE \('rw'\); e.g. broker.grantRequest\(oncallRole, FirefighterAccess.READ_ONLY\)/);
    expect(() => build({}, (db) => db.broker.addRequester('admin' as never, 'arn:aws:iam::210987654321:role/oncall')))
      .toThrow(/addRequester access "admin" must be FirefighterAccess.READ_ONLY \('ro'\) or FirefighterAccess.READ_WRITE \('rw'\)/);
  });
});

describe('addRequester(access, arn): allowlist only, the cross-account variant', () => {
  it('allowlists a principal of another account and grants nothing', () => {
    const other = 'arn:aws:iam::210987654321:role/oncall';
    const { json } = build({}, (db) => db.broker.addRequester(FirefighterAccess.READ_ONLY, other));
    expect(brokerConfigText(json)).toContain(other);
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Permission' && JSON.stringify(r.Properties).includes('210987654321'))).toEqual([]);
    expect(JSON.stringify(Object.values(json.Resources).filter((r) => r.Type === 'AWS::IAM::Policy'))).not.toContain('210987654321');
  });
});

describe('finding the broker by cluster name', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build();
  });

  it('writes /cdk-aurora-firefighter/<cluster>/<stack>/broker with the function ARN and the broker id', () => {
    const params = Object.values(built.json.Resources).filter((r) => r.Type === 'AWS::SSM::Parameter');
    expect(params).toHaveLength(1);
    const props = params[0]!.Properties!;
    expect(props.Name).toBe('/cdk-aurora-firefighter/my-pg/Access/broker');
    const fnId = built.id(built.db.broker.function);
    // Resolve the Fn::Join the way CloudFormation would, with a made-up ARN for the function.
    const parts = (props.Value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }) ? 'arn:aws:lambda:eu-west-1:123456789012:function:broker-fn' : 'UNRESOLVED')).join('');
    expect(parseBrokerLocator(text, props.Name)).toEqual({
      version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:broker-fn', brokerId: built.db.broker.brokerId, region: 'eu-west-1',
    });
  });

  it('has stack outputs for the function name, the broker id and the parameter', () => {
    const outputs = Object.entries(built.json.Outputs ?? {});
    const named = (suffix: string) => outputs.filter(([k]) => k.startsWith('MyPgBroker') && k.includes(suffix));
    expect(named('FunctionName')).toHaveLength(1);
    expect(named('BrokerId')[0]?.[1].Value).toBe(built.db.broker.brokerId);
    expect(named('LocatorParameter')[0]?.[1].Value).toEqual({ Ref: built.id(built.db.broker.locatorParameter!) });
  });

  it('can be turned off: no parameter with locatorParameterName false, no outputs with outputs false', () => {
    const { json } = build({ enableLocator: false, outputs: false });
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::SSM::Parameter')).toEqual([]);
    expect(Object.keys(json.Outputs ?? {}).filter((k) => k.startsWith('MyPgBroker'))).toEqual([]);
  });
});
