// The broker alarms (issue 11, item 9) count audit lines by CloudWatch metric filters. A filter that names a
// field or value the broker never writes would stay silent forever, so this test runs the real broker service
// on a real server with the Lambda's own logger (powertools, JSON to stdout), produces a takeover, a refusal and
// a failure, and evaluates each filter pattern of the synthesized template against the lines it wrote.
import { Logger } from '@aws-lambda-powertools/logger';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBrokerService } from '../../lib/broker/service.js';
import { FirefighterDatabase } from '../../lib/constructs/index.js';
import { ensureBundles } from '../constructs/support.js';
import { startEmbeddedServer, testedMajors, type EmbeddedServer } from '../support/embedded-server.js';
import { brokerConfig, connector, loadSpec, prepare } from './support.js';

// Two people (IAM users): two sessions of one role are one person (lib/broker/protocol/person.ts).
const ALICE = 'arn:aws:iam::123456789012:user/alice';
const BOB = 'arn:aws:iam::123456789012:user/bob';

const spec = loadSpec('reference');
type Line = Record<string, unknown>;

/** The metric filters of the construct's template: pattern, metric name and dimension fields. */
function templateFilters(): { pattern: string; metric: string; dimensions: { Key: string; Value: string }[] }[] {
  ensureBundles();
  const stack = new Stack(new App(), 'Alarms');
  new FirefighterDatabase(stack, 'MyPg', { spec });
  const filters = Template.fromStack(stack).findResources('AWS::Logs::MetricFilter');
  return Object.values(filters).map((f) => ({ pattern: f.Properties.FilterPattern, metric: f.Properties.MetricTransformations[0].MetricName, dimensions: f.Properties.MetricTransformations[0].Dimensions }));
}

/** CloudWatch's JSON filter semantics for the one shape the construct uses: `{ $.field = "value" }`. */
function matches(pattern: string, line: Line): boolean {
  const parsed = /^\{ \$\.([A-Za-z_][A-Za-z0-9_]*) = "([^"*]*)" \}$/.exec(pattern);
  if (!parsed) throw new Error(`pattern ${pattern} is not of the shape { $.field = "value" }; extend this evaluator`);
  return line[parsed[1] as string] === parsed[2];
}

const major = testedMajors()[0];

describe.runIf(major !== undefined)('broker alarm filters against real audit lines', () => {
  let server: EmbeddedServer;
  const output: string[] = [];
  let lines: Line[] = [];

  beforeAll(async () => {
    // Powertools binds its Console to process.stdout/stderr when the logger is constructed: capture first.
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
        if (String(chunk).startsWith('{"level"')) return output.push(String(chunk)), true;
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write);
    }
    server = await startEmbeddedServer({ major: major as NonNullable<typeof major> });
    await prepare(server, spec);
    const logger = new Logger({ serviceName: 'firefighter-broker' });
    const config = brokerConfig(server, spec, { brokerId: 'alarm-test', allowlist: { ro: [ALICE, BOB], rw: [] } });
    const service = (requester: string) => createBrokerService({ config, connect: connector(server, spec), sslmode: 'verify-full', logger, identity: { trusted: requester } });
    const request = { action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'alarms' };
    expect(await service(ALICE)(request)).toMatchObject({ ok: true, takeover: false });
    expect(await service(BOB)({ ...request, takeover: true })).toMatchObject({ ok: true, takeover: true });
    // Alice asks again without --takeover while Bob holds the role: refused ROLE_HELD.
    expect(await service(ALICE)(request)).toMatchObject({ ok: false, refusal: true, code: 'ROLE_HELD' });
    const broken = createBrokerService({ config, connect: () => Promise.reject(new Error('connect ETIMEDOUT 10.0.0.1:5432')), sslmode: 'verify-full', logger, identity: { trusted: ALICE } });
    expect(await broken({ action: 'status' })).toMatchObject({ ok: false, refusal: false });
    lines = output.flatMap((chunk) => chunk.split('\n')).filter((l) => l.trim()).map((l) => JSON.parse(l) as Line);
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await server?.stop();
  });

  it('each filter matches exactly its kind of line, and each line carries the dimension field', () => {
    const filters = templateFilters();
    expect(filters.map((f) => f.metric).sort()).toEqual(['BrokerErrors', 'BrokerRefusals', 'BrokerTakeovers']);
    const counted = (metric: string) => lines.filter((l) => matches(filters.find((f) => f.metric === metric)!.pattern, l));
    expect(counted('BrokerTakeovers').map((l) => [l.message, l.caller, l.previousHolder])).toEqual([['firefighter request', BOB, ALICE]]);
    expect(counted('BrokerRefusals').map((l) => [l.level, l.message, l.code])).toEqual([['WARN', 'firefighter request refused', 'ROLE_HELD']]);
    expect(counted('BrokerErrors').map((l) => [l.level, l.message])).toEqual([['ERROR', 'firefighter status failed']]);
    // The plain issue to Alice counts nowhere.
    expect(lines.filter((l) => filters.some((f) => matches(f.pattern, l)))).toHaveLength(3);
    for (const f of filters) {
      expect(f.dimensions).toEqual([{ Key: 'Broker', Value: '$.broker' }]);
      for (const l of lines) expect(l.broker).toBe('alarm-test');
    }
  });
});
