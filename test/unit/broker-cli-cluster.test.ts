// firefighter --cluster NAME [--stack STACK] (issue 11, item 3; issue 18, item 4) and --version (issue 11, item 10):
// the broker is found through the SSM parameter the construct writes under the cluster's path, with nothing else
// typed; errors name the parameter or path and the fix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runFirefighter, type LambdaOptions } from '../../bin/firefighter.js';
import type { LocateOptions } from '../../bin/firefighter-cluster.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { REPO } from '../constructs/support.js';

const LOCATOR = JSON.stringify({ version: 1, cluster: 'my-pg', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:FirefighterExample-MyPgBrokerFunction-AbC', brokerId: 'FirefighterExample-MyPg-Broker-1A2B3C4D' });
const status: BrokerResponse = { ok: true, action: 'status', roles: [] };

const NAME = '/cdk-aurora-firefighter/my-pg/FirefighterExample/broker';

async function run(args: string[], parameters: Record<string, string> = { [NAME]: LOCATOR }, env: NodeJS.ProcessEnv = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const sent: LambdaOptions[] = [];
  const asked: { name: string; options: LocateOptions }[] = [];
  const code = await runFirefighter(args, {
    stdout: (t) => stdout.push(t), stderr: (t) => stderr.push(t), env,
    invoke: async (options) => (sent.push(options), status),
    getParameter: async (name, options) => (asked.push({ name, options }), parameters[name]),
    listParameters: async (path, options) => (asked.push({ name: `${path}/*`, options }), Object.entries(parameters).filter(([n]) => n.startsWith(`${path}/`)).map(([name, value]) => ({ name, value }))),
  });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n'), sent, asked };
}

describe('firefighter --cluster', () => {
  it('invokes the function the parameter names, bound to its broker id, in its region', async () => {
    const out = await run(['request', 'ro', '--cluster', 'my-pg', '--incident', 'INC-1', '--reason', 'orders stuck']);
    expect(out.asked).toEqual([{ name: '/cdk-aurora-firefighter/my-pg/*', options: expect.objectContaining({ cluster: 'my-pg' }) }]);
    expect(out.sent).toEqual([{
      functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:FirefighterExample-MyPgBrokerFunction-AbC',
      brokerId: 'FirefighterExample-MyPg-Broker-1A2B3C4D',
      region: 'eu-west-1',
    }]);
  });

  it('takes the cluster from FIREFIGHTER_CLUSTER and lowercases it like RDS', async () => {
    const out = await run(['status'], undefined, { FIREFIGHTER_CLUSTER: 'My-PG' });
    expect(out.asked[0]?.name).toBe('/cdk-aurora-firefighter/my-pg/*');
    expect(out.code).toBe(0);
  });

  it('names the path, the region and the fix when the cluster has no broker', async () => {
    const out = await run(['status', '--cluster', 'other-pg', '--region', 'eu-central-1']);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('firefighter: no broker for cluster "other-pg": no SSM parameter under /cdk-aurora-firefighter/other-pg/ in eu-central-1; check --cluster and pass --region of the broker\'s stack, or give --function and --broker-id (the stack outputs)');
    expect(out.sent).toEqual([]);
  });

  it('asks for --stack when two stages have a broker for the cluster, and reads exactly that one with it', async () => {
    const two = { [NAME]: LOCATOR, '/cdk-aurora-firefighter/my-pg/Staging-FirefighterExample/broker': LOCATOR.replace('FirefighterExample-MyPg-Broker', 'Staging-MyPg-Broker') };
    const ambiguous = await run(['status', '--cluster', 'my-pg', '--region', 'eu-west-1'], two);
    expect([ambiguous.code, ambiguous.stderr]).toEqual([2, 'firefighter: 2 brokers serve clusters named "my-pg" in eu-west-1 (stacks FirefighterExample, Staging-FirefighterExample); pass --stack with one of them, e.g. --stack FirefighterExample']);
    const picked = await run(['status', '--cluster', 'my-pg', '--stack', 'Staging-FirefighterExample'], two);
    expect(picked.asked.map((a) => a.name)).toEqual(['/cdk-aurora-firefighter/my-pg/Staging-FirefighterExample/broker']);
    expect(picked.sent[0]?.brokerId).toBe('Staging-MyPg-Broker-1A2B3C4D');
    const fromEnv = await run(['status'], two, { FIREFIGHTER_CLUSTER: 'my-pg', FIREFIGHTER_STACK: 'FirefighterExample' });
    expect(fromEnv.sent[0]?.brokerId).toBe('FirefighterExample-MyPg-Broker-1A2B3C4D');
    const missing = await run(['status', '--cluster', 'my-pg', '--stack', 'Prod-X'], two);
    expect(missing.stderr).toContain('no broker for cluster "my-pg" in stack Prod-X: SSM parameter /cdk-aurora-firefighter/my-pg/Prod-X/broker does not exist');
    const alone = await run(['status', '--stack', 'Prod-X', '--function', 'f', '--broker-id', 'b']);
    expect(alone.stderr).toContain('--stack goes with --cluster NAME');
  });

  it('refuses a parameter that is not a locator, and a name that is not a cluster identifier', async () => {
    const bad = await run(['status', '--cluster', 'my-pg'], { [NAME]: '{"version":2}' });
    expect(bad.stderr).toContain(`parameter ${NAME} is not a broker locator of version 1`);
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
    expect(out.stdout).toContain('--cluster NAME          the Aurora cluster: the broker is found in SSM under /cdk-aurora-firefighter/NAME/');
    expect(out.stdout).toContain('--stack STACK           with --cluster: the broker\'s stack');
  });
});

describe('firefighter --version', () => {
  it('prints the package version and exits 0', async () => {
    const out = await run(['--version']);
    expect([out.code, out.stdout]).toEqual([0, (JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string }).version]);
  });
});
