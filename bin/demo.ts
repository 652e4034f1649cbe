// npm run demo [-- --keep] [--major 15|16|17]
// The whole story on an embedded PostgreSQL prepared like Aurora (NOSUPERUSER master, TLS), with no AWS
// account and no Docker, through the code the Lambdas run: the role-model custom-resource handler and the
// broker handler, each given local adapters instead of AWS clients. Every step prints one line with its
// evidence; the run exits 1 if any step did not behave as described, so it doubles as a smoke test.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseSpec } from '../lib/spec/validate.js';
import { startEmbeddedServer, MASTER_USER, type PgMajor } from '../test/support/embedded-server.js';
import { makeTls } from '../test/support/tls.js';
import { runRoleModelStep, type DemoContext } from './demo/rolemodel-steps.js';
import { runBrokerSteps } from './demo/broker-steps.js';
import { runPerPersonSteps } from './demo/per-person-steps.js';
import { Report } from './demo/report.js';
import { printTryIt } from './demo/keep.js';

// The AWS SDK warns that its 2027 releases will need Node 22; irrelevant to a local demo, so keep other warnings only.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning')) console.error(`${w.name}: ${w.message}`);
});

const { values } = parseArgs({
  options: { keep: { type: 'boolean', default: false }, major: { type: 'string', default: '17' } },
});
const major = Number(values.major) as PgMajor;
if (![15, 16, 17].includes(major)) {
  console.error(`demo: --major must be 15, 16 or 17, got ${JSON.stringify(values.major)}`);
  process.exit(2);
}

const spec = parseSpec(JSON.parse(readFileSync(new URL('../examples/reference.json', import.meta.url), 'utf8')));
const started = Date.now();
const report = new Report();
const tls = makeTls();
const server = await startEmbeddedServer({ major, tls, keepDataDir: values.keep });
const ctx: DemoContext = {
  spec,
  server,
  tls,
  report,
  database: 'my-pg-db',
  schema: 'my-pg-db-schema',
  connect: async (user: string, password: string, database = 'my-pg-db') => {
    const client = new pg.Client({ host: server.host, port: server.port, user, password, database, ssl: { ca: tls.ca }, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  },
};

console.log(`cdk-aurora-firefighter demo: PostgreSQL ${major} on 127.0.0.1:${server.port} (embedded, TLS verified against a local CA), master "${MASTER_USER}" is NOSUPERUSER like Aurora's\n`);
try {
  await runRoleModelStep(ctx);
  await runBrokerSteps(ctx);
  await runPerPersonSteps(ctx);
} catch (error) {
  report.fail('demo', `stopped: ${(error as Error).message}`);
} finally {
  const ok = report.summary((Date.now() - started) / 1000);
  if (values.keep) {
    await printTryIt(ctx);
    process.on('SIGINT', () => void server.stop().then(() => process.exit(ok ? 0 : 1)));
  } else {
    await server.stop();
    process.exit(ok ? 0 : 1);
  }
}
