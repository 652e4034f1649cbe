// firefighter --cluster NAME (issue 11, item 3) and --version (item 10): the broker is found through the SSM
// parameter the construct writes, with nothing else typed; errors name the parameter and the fix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runFirefighter, type LambdaOptions } from '../../bin/firefighter.js';
import type { LocateOptions } from '../../bin/firefighter-cluster.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { REPO } from '../constructs/support.js';

const LOCATOR = JSON.stringify({ version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:FirefighterExample-MyPgBrokerFunction-AbC', brokerId: 'FirefighterExample-MyPg-Broker-1A2B3C4D' });
const status: BrokerResponse = { ok: true, action: 'status', roles: [] };

async function run(args: string[], parameters: Record<string, string> = { '/cdk-aurora-firefighter/my-pg/broker': LOCATOR }, env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: LambdaOptions[] = [];
  const asked: { name: string; options: LocateOptions }[] = [];
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env,
    invoke: async (options) => (sent.push(options), status),
    getParameter: async (name, options) => (asked.push({ name, options }), parameters[name]),
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), sent, asked };
}

describe('firefighter --cluster', () => {
  it('invokes the function the parameter names, bound to its broker id, in its region', async () => {
    const out = await run(['request', 'ro', '--cluster', 'my-pg', '--incident', 'INC-1', '--reason', 'orders stuck']);
    expect(out.asked).toEqual([{ name: '/cdk-aurora-firefighter/my-pg/broker', options: expect.objectContaining({ cluster: 'my-pg' }) }]);
    expect(out.sent).toEqual([{
      functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:FirefighterExample-MyPgBrokerFunction-AbC',
      brokerId: 'FirefighterExample-MyPg-Broker-1A2B3C4D',
      region: 'eu-west-1',
    }]);
  });

  it('takes the cluster from FIREFIGHTER_CLUSTER and lowercases it like RDS', async () => {
    const out = await run(['status'], undefined, { FIREFIGHTER_CLUSTER: 'My-PG' });
    expect(out.asked[0]?.name).toBe('/cdk-aurora-firefighter/my-pg/broker');
    expect(out.code).toBe(0);
  });

  it('names the parameter, the region and the fix when the cluster has no broker', async () => {
    const out = await run(['status', '--cluster', 'other-pg', '--region', 'eu-central-1']);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('firefighter: no broker for cluster "other-pg": SSM parameter /cdk-aurora-firefighter/other-pg/broker does not exist in eu-central-1; check --cluster and pass --region of the broker\'s stack, or give --function and --broker-id (the stack outputs)');
    expect(out.sent).toEqual([]);
  });

  it('refuses a parameter that is not a locator, and a name that is not a cluster identifier', async () => {
    const bad = await run(['status', '--cluster', 'my-pg'], { '/cdk-aurora-firefighter/my-pg/broker': '{"version":2}' });
    expect(bad.stderr).toContain('parameter /cdk-aurora-firefighter/my-pg/broker is not a broker locator of version 1');
    const name = await run(['status', '--cluster', '../x']);
    expect(name.stderr).toContain('cluster "../x" is not an Aurora cluster identifier');
    expect([bad.sent, name.sent]).toEqual([[], []]);
  });

  it('lets --function win over --cluster, as before', async () => {
    const out = await run(['status', '--cluster', 'my-pg', '--function', 'broker-fn', '--broker-id', 'b-1']);
    expect(out.asked).toEqual([]);
    expect(out.sent).toEqual([{ functionName: 'broker-fn', brokerId: 'b-1' }]);
  });

  it('is in --help', async () => {
    const out = await run(['--help']);
    expect(out.stdout).toContain('--cluster NAME          the Aurora cluster: the broker is found in SSM /cdk-aurora-firefighter/NAME/broker');
  });
});

describe('firefighter --version', () => {
  it('prints the package version and exits 0', async () => {
    const out = await run(['--version']);
    expect([out.code, out.stdout]).toEqual([0, (JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string }).version]);
  });
});
