// `npx tsx bench/synth.bench.ts [runs]`: what the example app deploys and what it costs to synthesize.
// Prints CloudFormation resource counts, custom resources, the Lambda bundle sizes, and the `cdk synth` wall time
// of the example app (bin/app.ts) against a bare aws-cdk-lib Aurora cluster app (bench/bare-aurora-app.ts),
// both through the real CLI, offline, alternating runs, median reported. Needs the bundles (`npm run build`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const REPO = path.resolve(import.meta.dirname, '..');
const CDK = path.join(REPO, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const runs = Number(process.argv[2] ?? 5);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${JSON.stringify(process.argv[2])}`);

const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

function synth(app: string, out: string): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [CDK, 'synth', '--quiet', '--no-notices', '-a', app, '-o', out], { cwd: REPO, env, stdio: 'pipe' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function templateStats(out: string): { resources: number; custom: Record<string, number>; lambdas: number } {
  const file = readdirSync(out).find((f) => f.endsWith('.template.json'));
  if (!file) throw new Error(`no template in ${out}`);
  const template = JSON.parse(readFileSync(path.join(out, file), 'utf8')) as { Resources: Record<string, { Type: string }> };
  const types = Object.values(template.Resources).map((r) => r.Type).filter((t) => t !== 'AWS::CDK::Metadata');
  const custom: Record<string, number> = {};
  for (const t of types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource')) custom[t] = (custom[t] ?? 0) + 1;
  return { resources: types.length, custom, lambdas: types.filter((t) => t === 'AWS::Lambda::Function').length };
}

const apps = { example: 'npx tsx bin/app.ts', bare: 'npx tsx bench/bare-aurora-app.ts' } as const;
const work = mkdtempSync(path.join(tmpdir(), 'synth-bench-'));
try {
  const times: Record<keyof typeof apps, number[]> = { example: [], bare: [] };
  // One warm-up each (tsx cache, disk cache), then alternate so drift hits both equally.
  for (const name of Object.keys(apps) as (keyof typeof apps)[]) synth(apps[name], path.join(work, `${name}-warmup`));
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(apps) as (keyof typeof apps)[]) times[name].push(synth(apps[name], path.join(work, `${name}-${i}`)));
  }
  const example = templateStats(path.join(work, 'example-0'));
  const bare = templateStats(path.join(work, 'bare-0'));
  const bundles = readdirSync(path.join(REPO, 'dist', 'lambda-bundles')).map((name) => {
    // index.mjs and the chunks it imports on first use.
    const dir = path.join(REPO, 'dist', 'lambda-bundles', name);
    const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.mjs')).map((f) => path.join(dir, f));
    return { name, bytes: files.reduce((n, f) => n + statSync(f).size, 0), gzip: files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0) };
  });
  const ratio = median(times.example) / median(times.bare);

  console.log(`| measure | example app (bin/app.ts) | bare Aurora app |`);
  console.log(`| --- | --- | --- |`);
  console.log(`| CloudFormation resources (without CDK metadata) | ${example.resources} | ${bare.resources} |`);
  console.log(`| custom resources | ${JSON.stringify(example.custom)} | ${JSON.stringify(bare.custom)} |`);
  console.log(`| Lambda functions | ${example.lambdas} | ${bare.lambdas} |`);
  console.log(`| \`cdk synth\` wall time, median of ${runs} | ${median(times.example).toFixed(0)} ms | ${median(times.bare).toFixed(0)} ms |`);
  console.log(`\nsynth time ratio example/bare: ${ratio.toFixed(2)}x (target <= 1.5x) ${ratio <= 1.5 ? 'OK' : 'OVER TARGET'}`);
  console.log(`runs (ms): example ${times.example.map((t) => t.toFixed(0)).join(', ')}; bare ${times.bare.map((t) => t.toFixed(0)).join(', ')}`);
  console.log('\n| bundle | minified | gzip |\n| --- | --- | --- |');
  for (const b of bundles) console.log(`| ${b.name} | ${(b.bytes / 1024).toFixed(0)} KiB | ${(b.gzip / 1024).toFixed(0)} KiB |`);
  const broker = bundles.find((b) => b.name === 'broker-handler');
  if (broker) console.log(`\nbroker bundle ${broker.bytes < 1024 * 1024 ? 'under' : 'OVER'} 1 MB (target: under 1 MB minified)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
