// A path for humans (issue 11, item 6): the SSM access host. No inbound rule, no key pair, IMDSv2, encrypted
// root volume, the latest AL2023 (SSM agent inside), egress only to the cluster port and to SSM over HTTPS (the
// endpoints in isolated subnets, created like the Lambdas' ones), its instance id as an output and in the locator,
// and grantTunnel allowing only the port-forwarding document on only this instance.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, LambdaEndpoints, type FirefighterDatabaseProps } from '../../lib/constructs/index.js';
import { parseBrokerLocator } from '../../lib/broker/protocol/broker-locator.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));
type Resources = Record<string, { Type: string; Properties?: Record<string, any> }>;

function build(props: Partial<FirefighterDatabaseProps> = {}, wire?: (db: FirefighterDatabase, stack: Stack) => void, vpc?: (stack: Stack) => ec2.IVpc) {
  const app = new App();
  const stack = new Stack(app, 'Access', { env: { account: '123456789012', region: 'eu-west-1' } });
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, ...(vpc ? { vpc: vpc(stack) } : {}), ...props });
  wire?.(db, stack);
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Resources; Outputs?: Record<string, { Value: unknown; Description?: string }>; Parameters?: Record<string, { Default?: string }> };
  const id = (c: { node: { defaultChild?: unknown } }) => stack.resolve(stack.getLogicalId(c.node.defaultChild as never)) as string;
  return { app, stack, db, template, json, id };
}

const of = (json: { Resources: Resources }, type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
/** The one resource of a type, its properties present. */
function one(json: { Resources: Resources }, type: string): [string, { Properties: Record<string, any> }] {
  const all = of(json, type);
  expect(all, type).toHaveLength(1);
  return all[0] as [string, { Properties: Record<string, any> }];
}

beforeAll(() => ensureBundles());

describe('accessHost', () => {
  let built: ReturnType<typeof build>;
  let oncall: iam.Role;
  beforeAll(() => {
    built = build({ enableAccessHost: true }, (db, stack) => {
      oncall = new iam.Role(stack, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() });
      db.accessHost!.grantTunnel(oncall);
    });
  });

  it('is off by default: no instance, no SSM endpoints', () => {
    const { template } = build();
    template.resourceCountIs('AWS::EC2::Instance', 0);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ssmmessages|ec2messages/);
  });

  it('is deployed by enableAccessHost: true or by options alone; options with enableAccessHost: false are refused', () => {
    build({ accessHost: { instanceType: new ec2.InstanceType('t4g.micro') } }).template.resourceCountIs('AWS::EC2::Instance', 1);
    build({ enableAccessHost: false }).template.resourceCountIs('AWS::EC2::Instance', 0);
    expect(() => build({ enableAccessHost: false, accessHost: { instanceType: new ec2.InstanceType('t4g.micro') } }))
      .toThrow(/accessHost options are given but enableAccessHost is false, so there is no access host to apply them to; remove the accessHost options or enableAccessHost: false/);
  });

  it('runs the latest AL2023 with IMDSv2, no key pair, no public address, an encrypted root volume', () => {
    const [, instance] = one(built.json, 'AWS::EC2::Instance');
    const p = instance.Properties;
    expect(p.KeyName).toBeUndefined();
    expect(p.InstanceType).toBe('t4g.nano');
    expect(p.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 8, VolumeType: 'gp3' } }]);
    expect(p.NetworkInterfaces.map((n: { AssociatePublicIpAddress: boolean }) => n.AssociatePublicIpAddress)).toEqual([false]);
    expect(p.Monitoring).toBe(true);
    // Resolved by EC2 when the instance launches: the template names the parameter, not an image, so a new AL2023
    // published by AWS changes nothing and the next deploy keeps the host (and the tunnels open through it).
    expect(p.ImageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
    expect(JSON.stringify(built.json.Parameters ?? {})).not.toContain('ami-amazon-linux-latest');
    const [templateId, launchTemplate] = one(built.json, 'AWS::EC2::LaunchTemplate');
    expect(launchTemplate.Properties.LaunchTemplateData.MetadataOptions).toEqual({ HttpTokens: 'required' });
    // Unique per construct path: a second environment's host in the same account and region does not clash.
    expect(launchTemplate.Properties.LaunchTemplateName).toMatch(/^AccessMyPgAccessHostInstanceLaunchTemplate[0-9A-F]{8}$/);
    expect(p.LaunchTemplate.LaunchTemplateName).toBe(launchTemplate.Properties.LaunchTemplateName);
    expect(templateId).toBeTruthy();
    // The SSM agent's managed policy and nothing else on the instance role.
    const role = built.json.Resources[p.IamInstanceProfile ? (of(built.json, 'AWS::IAM::InstanceProfile').find(([id]) => id === p.IamInstanceProfile.Ref)?.[1].Properties?.Roles[0].Ref as string) : '']!;
    expect(JSON.stringify(role.Properties?.ManagedPolicyArns)).toContain('AmazonSSMManagedInstanceCore');
  });

  it('takes the image of the instance type\'s architecture, or the one given (a new image replaces the host only then)', () => {
    const x86 = build({ accessHost: { instanceType: new ec2.InstanceType('t3.nano') } });
    expect(one(x86.json, 'AWS::EC2::Instance')[1].Properties.ImageId).toBe('resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
    const pinned = build({ accessHost: { machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' }) } });
    expect(one(pinned.json, 'AWS::EC2::Instance')[1].Properties.ImageId).toBe('ami-0123456789abcdef0');
  });

  it('has no inbound rule and goes out only to the cluster port and the SSM endpoints over HTTPS', () => {
    const hostSg = built.id(built.db.accessHost!.securityGroup);
    const clusterSg = built.stack.resolve(built.db.cluster.connections.securityGroups[0]!.securityGroupId)['Fn::GetAtt'][0];
    const sg = built.json.Resources[hostSg]!.Properties!;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(of(built.json, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => JSON.stringify(r.Properties?.GroupId).includes(`"${hostSg}"`))).toEqual([]);
    const egress = [...(sg.SecurityGroupEgress ?? []), ...of(built.json, 'AWS::EC2::SecurityGroupEgress').filter(([, r]) => JSON.stringify(r.Properties?.GroupId).includes(`"${hostSg}"`)).map(([, r]) => r.Properties)];
    const targets = egress.map((e) => [e.DestinationSecurityGroupId?.['Fn::GetAtt'][0] ?? e.CidrIp, e.FromPort, e.ToPort]);
    const endpointSgs = built.db.accessHost!.endpoints.map((e) => built.stack.resolve(e.connections.securityGroups[0]!.securityGroupId)['Fn::GetAtt'][0]);
    expect(endpointSgs).toHaveLength(3);
    const port = built.stack.resolve(built.db.cluster.clusterEndpoint.port);
    expect(targets.sort()).toEqual([[clusterSg, port, port], ...endpointSgs.map((s) => [s, 443, 443])].sort());
    // The cluster lets the host in on its port.
    const ingress = of(built.json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties!).filter((r) => JSON.stringify(r.SourceSecurityGroupId).includes(`"${hostSg}"`));
    expect(ingress.map((r) => [r.GroupId['Fn::GetAtt'][0], r.FromPort]).sort()).toEqual([[clusterSg, port], ...endpointSgs.map((s) => [s, 443])].sort());
  });

  it('creates the ssm, ssmmessages and ec2messages endpoints in an isolated VPC, open only to the host', () => {
    const services = of(built.json, 'AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties?.ServiceName));
    for (const s of ['.ssm"', '.ssmmessages"', '.ec2messages"']) expect(services.filter((x) => x.endsWith(s))).toHaveLength(1);
  });

  it('with a NAT route: no endpoints, HTTPS out to anywhere for the agent', () => {
    const { json, db, id } = build({ accessHost: { subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } }, undefined, (stack) => new ec2.Vpc(stack, 'Vpc', { natGateways: 1, maxAzs: 2 }));
    expect(db.accessHost!.endpoints).toEqual([]);
    const services = of(json, 'AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties?.ServiceName));
    expect(services.filter((s) => /ssm|ec2messages/.test(s))).toEqual([]);
    const sg = json.Resources[id(db.accessHost!.securityGroup)]!.Properties!;
    expect(sg.SecurityGroupEgress).toEqual(expect.arrayContaining([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]));
  });

  it('fails naming the fix in an imported VPC without a NAT route and without the endpoints', () => {
    expect(() => build({ enableAccessHost: true, lambdaEndpoints: LambdaEndpoints.EXISTING }, undefined, (stack) => ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'], isolatedSubnetIds: ['subnet-1', 'subnet-2'],
    }))).toThrow("Access/MyPg/AccessHost: the access host runs in subnets without a NAT route (subnetType Isolated) of an imported VPC and need interface endpoints for ssm, ssmmessages and ec2messages, which this app does not define; set accessHost.endpoints: LambdaEndpoints.CREATE to create them, accessHost.endpoints: LambdaEndpoints.EXISTING if the VPC already has them with private DNS, or accessHost.subnets to private subnets with egress");
  });

  it('puts the instance id in a stack output and in the locator the CLI reads', () => {
    const instanceId = built.id(built.db.accessHost!.instance);
    const output = Object.values(built.json.Outputs ?? {}).find((o) => JSON.stringify(o.Value) === JSON.stringify({ Ref: instanceId }));
    expect(output?.Description).toContain('--connect --tunnel');
    const [, parameter] = one(built.json, 'AWS::SSM::Parameter');
    const value = JSON.stringify(parameter.Properties.Value);
    expect(value).toContain(`\\"accessHost\\":\\"","{"Ref":"${instanceId}"}`.replace('","{', '",{'));
    // The writer and port too, so even the "install the plugin" message can print the exact command.
    expect(value).toContain(`\\"writerHost\\":\\"",{"Fn::GetAtt":["${built.id(built.db.cluster)}","Endpoint.Address"]}`);
    expect(value).toContain(`\\"port\\":",{"Fn::GetAtt":["${built.id(built.db.cluster)}","Endpoint.Port"]}`);
    const sample = { version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:f', brokerId: 'b', accessHost: 'i-0123456789abcdef0' };
    expect(parseBrokerLocator(JSON.stringify(sample), '/p').accessHost).toBe('i-0123456789abcdef0');
  });

  it('grantTunnel: StartSession on this instance with the port-forwarding document only, and the caller\'s own sessions', () => {
    const statements = of(built.json, 'AWS::IAM::Policy')
      .filter(([, r]) => JSON.stringify(r.Properties?.Roles).includes(`"${built.id(oncall)}"`))
      .flatMap(([, r]) => r.Properties!.PolicyDocument.Statement);
    const instanceId = built.id(built.db.accessHost!.instance);
    expect(built.stack.resolve(statements)).toEqual([
      {
        Action: 'ssm:StartSession', Effect: 'Allow',
        Condition: { BoolIfExists: { 'ssm:SessionDocumentAccessCheck': 'true' } },
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:eu-west-1:123456789012:instance/', { Ref: instanceId }]] },
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1::document/AWS-StartPortForwardingSessionToRemoteHost']] },
        ],
      },
      {
        Action: ['ssm:TerminateSession', 'ssm:ResumeSession'], Effect: 'Allow',
        Condition: { StringLike: { 'ssm:resourceTag/aws:ssmmessages:session-id': ['${aws:userid}'] } },
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:eu-west-1:123456789012:session/*']] },
      },
    ]);
  });

  it('in the example app (cdk synth -c access-host=true): one host, cdk-nag still clean', async () => {
    const { buildExample } = await import('../../bin/app.js');
    const app = new App({ context: { 'access-host': 'true' } });
    const { stack } = buildExample(app);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::Instance', 1);
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('keeps cdk-nag AwsSolutions clean, each acknowledgement reasoned', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
