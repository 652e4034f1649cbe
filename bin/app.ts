// The example app: the reference scenario (cluster my-pg, database my-pg-db, schema my-pg-db-schema, the
// password broker) in one stack. `npx cdk synth` works offline with no AWS credentials: the stack is
// environment-agnostic and the Lambda code is prebuilt (`npm run build`).
//
// Context (all optional): requesters-ro / requesters-rw = comma-separated IAM role ARNs allowed to ask for
// a password; access-host=true adds the SSM access host (firefighter ... --connect --tunnel); e2e=true makes
// the stack fully deletable (no deletion protection, role model DESTROY) for scripts/deploy-e2e.sh.
// The outputs have fixed keys: scripts/deploy-e2e.sh reads every value it uses from them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FirefighterDatabase } from '../lib/constructs/index.js';
import { parseSpec } from '../lib/spec/validate.js';

export const EXAMPLE_STACK_NAME = 'FirefighterExample';

/** Builds the example into `app` (or a Stage of it); exported so the tests assert on exactly what `cdk synth` deploys. */
export function buildExample(app: Construct): { stack: Stack; database: FirefighterDatabase } {
  const spec = parseSpec(JSON.parse(readFileSync(new URL('../examples/reference.json', import.meta.url), 'utf8')));
  const list = (key: string): string[] =>
    String(app.node.tryGetContext(key) ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const e2e = String(app.node.tryGetContext('e2e')) === 'true';

  const stack = new Stack(app, EXAMPLE_STACK_NAME, {
    description: 'cdk-aurora-firefighter example: Aurora PostgreSQL my-pg with the role model and the password broker',
  });
  const database = new FirefighterDatabase(stack, 'MyPg', {
    spec,
    // The example's own outputs (below) have fixed keys; the construct's would repeat them under generated ones.
    broker: { readOnlyRequesters: list('requesters-ro'), readWriteRequesters: list('requesters-rw'), outputs: false },
    ...(String(app.node.tryGetContext('access-host')) === 'true' ? { enableAccessHost: true } : {}),
    ...(e2e ? { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY, roleModelRemovalPolicy: RemovalPolicy.DESTROY } : {}),
  });

  const broker = database.broker;
  const outputs: Record<string, string> = {
    ClusterEndpoint: database.cluster.clusterEndpoint.hostname,
    MasterSecretArn: database.masterSecret.secretArn,
    // What `firefighter --cluster` takes, and the database of the example spec.
    ClusterName: spec.cluster,
    DatabaseName: spec.databases[0]?.name ?? '',
    BrokerFunctionName: broker.function.functionName,
    BrokerId: broker.brokerId,
    BrokerLocatorParameter: broker.locatorParameter?.parameterName ?? '',
    ...(database.accessHost ? { AccessHostInstanceId: database.accessHost.instanceId } : {}),
  };
  for (const [key, value] of Object.entries(outputs)) new CfnOutput(stack, key, { value });
  return { stack, database };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildExample(new App());
}
