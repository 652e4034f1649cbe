// The example app: the reference scenario (cluster my-pg, database my-pg-db, schema my-pg-db-schema, the
// password broker) in one stack. `npx cdk synth` works offline with no AWS credentials: the stack is
// environment-agnostic and the Lambda code is prebuilt (`npm run build`).
//
// Context (all optional): requesters-ro / requesters-rw = comma-separated IAM role ARNs allowed to ask for
// a password; access-host=true adds the SSM access host (firefighter ... --connect --tunnel); e2e=true makes
// the stack fully deletable (no deletion protection, role model DESTROY) for scripts/deploy-e2e.sh.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { FirefighterDatabase } from '../lib/constructs/index.js';
import { parseSpec } from '../lib/spec/validate.js';

export const EXAMPLE_STACK_NAME = 'FirefighterExample';

/** Builds the example into `app`; exported so the tests assert on exactly what `cdk synth` deploys. */
export function buildExample(app: App): { stack: Stack; database: FirefighterDatabase } {
  const spec = parseSpec(JSON.parse(readFileSync(new URL('../examples/reference.json', import.meta.url), 'utf8')));
  const list = (key: string): string[] =>
    String(app.node.tryGetContext(key) ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const e2e = String(app.node.tryGetContext('e2e')) === 'true';

  const stack = new Stack(app, EXAMPLE_STACK_NAME, {
    description: 'cdk-aurora-firefighter example: Aurora PostgreSQL my-pg with the role model and the password broker',
  });
  const database = new FirefighterDatabase(stack, 'MyPg', {
    spec,
    broker: { readOnlyRequesters: list('requesters-ro'), readWriteRequesters: list('requesters-rw') },
    ...(String(app.node.tryGetContext('access-host')) === 'true' ? { accessHost: true } : {}),
    ...(e2e ? { deletionProtection: false, clusterRemovalPolicy: RemovalPolicy.DESTROY, roleModelRemovalPolicy: RemovalPolicy.DESTROY } : {}),
  });

  new CfnOutput(stack, 'ClusterEndpoint', { value: database.cluster.clusterEndpoint.hostname });
  new CfnOutput(stack, 'MasterSecretArn', { value: database.masterSecret.secretArn });
  // The broker's function name, broker id and SSM locator are outputs of the construct itself.
  return { stack, database };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildExample(new App());
}
