// IAM Identity Center as a first-class principal (issue 17, item 2) and the one-person configuration refused at
// synth (item 1): grants to an AWSReservedSSO_ role never attach a policy to it (IAM refuses that), the allowlist
// names the permission set (which survives re-assignment), and the policy to paste into the permission set is a
// stack output and a method's answer.
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterAccess, FirefighterDatabase } from '../../lib/constructs/index.js';
import { perPersonSpec } from '../support/per-person-spec.js';
import { ensureBundles } from './support.js';

type Json = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }>; Outputs?: Record<string, { Value: unknown; Description?: string }> };

const SSO_ROLE = 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_OnCall_0123456789abcdef';
const SSO_APPROVER = 'arn:aws:iam::210987654321:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Lead_fedcba9876543210';

function build(wire: (db: FirefighterDatabase, stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Sso', { env: { account: '123456789012', region: 'eu-west-1' } });
  const db = new FirefighterDatabase(stack, 'MyPg', { spec: perPersonSpec, broker: {}, enableAccessHost: true });
  wire(db, stack);
  return { stack, db, json: () => Template.fromStack(stack).toJSON() as Json };
}

beforeAll(() => ensureBundles());

describe('grants to an IAM Identity Center role', () => {
  let built: ReturnType<typeof build>;
  let json: Json;
  beforeAll(() => {
    built = build((db, stack) => {
      const oncall = iam.Role.fromRoleArn(stack, 'OnCall', SSO_ROLE);
      db.broker.grantRequest(oncall, FirefighterAccess.READ_ONLY);
      db.broker.grantRequest(oncall, FirefighterAccess.READ_WRITE);
      db.accessHost!.grantTunnel(oncall);
      db.broker.grantApprove(iam.Role.fromRoleArn(stack, 'Lead', SSO_APPROVER));
    });
    json = built.json();
  });

  it('attach no policy to the role (IAM: "only modifiable by AWS")', () => {
    const policies = Object.values(json.Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    expect(JSON.stringify(policies)).not.toContain('AWSReservedSSO_');
    expect(policies.length).toBeGreaterThan(0);
  });

  it('put the permission set and account on the allowlist, not the role (its suffix changes on re-assignment)', () => {
    const config = JSON.stringify(Object.values(json.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment?.Variables?.FIREFIGHTER_BROKER_CONFIG)?.Properties?.Environment.Variables.FIREFIGHTER_BROKER_CONFIG);
    expect(config).toContain('\\"ro\\":[{\\"permissionSet\\":\\"OnCall\\",\\"account\\":\\"123456789012\\"}]');
    expect(config).toContain('\\"rw\\":[{\\"permissionSet\\":\\"OnCall\\",\\"account\\":\\"123456789012\\"}]');
    expect(config).toContain('\\"approve\\":[{\\"permissionSet\\":\\"Lead\\",\\"account\\":\\"210987654321\\"}]');
    expect(config).not.toContain('0123456789abcdef');
  });

  it('output the exact inline policy for each permission set: invoke, the locator, the tunnel', () => {
    const outputs = Object.entries(json.Outputs ?? {}).filter(([, o]) => o.Description?.startsWith('Inline policy for IAM Identity Center permission set'));
    expect(outputs.map(([, o]) => o.Description?.split(' (')[0])).toEqual([
      'Inline policy for IAM Identity Center permission set OnCall', 'Inline policy for IAM Identity Center permission set Lead',
    ]);
    const onCall = JSON.stringify(outputs[0]?.[1].Value);
    for (const action of ['lambda:InvokeFunction', 'ssm:GetParameter', 'ssm:StartSession', 'ssm:TerminateSession']) expect(onCall).toContain(action);
    expect(JSON.stringify(outputs[1]?.[1].Value)).not.toContain('ssm:StartSession');
    const info = Annotations.fromStack(built.stack).findInfo('*', Match.stringLikeRegexp('permission set OnCall in account 123456789012: its role is only modifiable by AWS'));
    expect(info).toHaveLength(1);
  });

  it('permissionSetPolicy returns the same document, ready to paste', () => {
    const document = built.stack.resolve(built.db.broker.permissionSetPolicy('OnCall', '123456789012').toJSON()) as { Statement: { Action: string | string[] }[] };
    expect(document.Statement.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['lambda:InvokeFunction', 'ssm:StartSession', 'ssm:ResumeSession']));
  });

  it('let another account\'s permission set invoke through the function\'s resource policy (the account: the role is replaced on re-assignment)', () => {
    const permissions = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Permission').map((r) => r.Properties);
    expect(permissions).toContainEqual(expect.objectContaining({ Action: 'lambda:InvokeFunction', Principal: '210987654321' }));
    expect(JSON.stringify(permissions)).not.toContain('"123456789012"');
  });
});

describe('one person could request read-write and approve it', () => {
  it('is refused at synth, naming the fix', () => {
    const { json } = build((db, stack) => {
      const oncall = new iam.Role(stack, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() });
      db.broker.grantRequest(oncall, FirefighterAccess.READ_WRITE);
      db.broker.grantApprove(oncall);
    });
    expect(json).toThrow(/allowlist\.approve\[0\]: role Sso\/Oncall may request read-write and approve it, .*grantRequest\(role, access, \{ bindsSessionNames: true \}\)/);
  });

  it('is accepted when the role binds session names to people', () => {
    const { json } = build((db, stack) => {
      const oncall = new iam.Role(stack, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() });
      db.broker.grantRequest(oncall, FirefighterAccess.READ_WRITE, { bindsSessionNames: true });
      db.broker.grantApprove(oncall);
    });
    expect(JSON.stringify(json())).toContain('\\"bindsSessionNames\\":true');
  });
});
