// What a consumer gets: the library built and packed (`npm pack`), the tarball installed offline into a fresh
// CDK app with aws-cdk-lib and constructs as peers, and `cdk synth` run there with no network, no Docker,
// no esbuild and no AWS credentials. The build runs in a copy of the sources so the repo's dist/ is untouched.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const NODE_MODULES = path.join(REPO, 'node_modules');
const SOURCES = ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'bin', 'lambda', 'sql', 'examples', 'scripts'];

/** No credentials, no proxy that works: any download attempt fails instead of silently succeeding. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !/^(https?|no)_proxy$/i.test(k)));
  return {
    ...env,
    HTTP_PROXY: 'http://127.0.0.1:9',
    HTTPS_PROXY: 'http://127.0.0.1:9',
    npm_config_offline: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
}

/**
 * The package's runtime dependencies (pg and what it needs), copied from this checkout's node_modules into a
 * consumer's, so `npm install --offline` finds them installed and never asks the registry for their metadata:
 * `npm ci` caches tarballs, not the metadata an install by range needs, so a fresh cache would say ENOTCACHED.
 */
function copyRuntimeDependencies(into: string): string[] {
  const own = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const copied: string[] = [];
  const visit = (name: string, optional: boolean): void => {
    if (copied.includes(name)) return;
    const from = path.join(NODE_MODULES, name);
    if (!existsSync(from)) {
      if (optional) return;
      throw new Error(`${name} is not installed in ${NODE_MODULES}; run npm ci`);
    }
    copied.push(name);
    cpSync(from, path.join(into, 'node_modules', name), { recursive: true, dereference: true });
    const pkg = JSON.parse(readFileSync(path.join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, true);
  };
  for (const dep of Object.keys(own.dependencies ?? {})) visit(dep, false);
  return copied;
}

/** Runs a command offline; returns its stdout (and its stderr too with `withStderr`, where jest reports). */
function run(cwd: string, command: string, args: string[], withStderr = false): string {
  try {
    if (!withStderr) return execFileSync(command, args, { cwd, env: offlineEnv(), stdio: 'pipe', encoding: 'utf8', timeout: 300_000 });
    const result = spawnSync(command, args, { cwd, env: offlineEnv(), encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) throw Object.assign(new Error(`exit ${result.status}`), { stdout: result.stdout, stderr: result.stderr });
    return `${result.stdout}${result.stderr}`;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

// The stock app's stack and jest test, written against the README's one-statement example. The test file is
// compiled by the template's own jest set-up (@swc/jest, CommonJS), so the package is loaded through require().
const STOCK_STACK = `import * as cdk from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { FirefighterDatabase, parseSpec } from 'cdk-aurora-firefighter';

export class StockStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const oncallRole = new iam.Role(this, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() });
    const db = new FirefighterDatabase(this, 'MyPg', {
      spec: parseSpec(JSON.parse(readFileSync('rolemodel.json', 'utf8'))),
    });
    db.broker?.grantRequest(oncallRole, 'ro');
  }
}
`;

const STOCK_TEST = `import * as cdk from 'aws-cdk-lib/core';
import { Template } from 'aws-cdk-lib/assertions';
import { FirefighterDatabase } from 'cdk-aurora-firefighter';
import * as Stock from '../lib/stock-stack';

test('Aurora cluster with the role model and the broker', () => {
  const app = new cdk.App();
  const stack = new Stock.StockStack(app, 'MyTestStack');
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::RDS::DBCluster', 1);
  template.resourceCountIs('Custom::FirefighterRoleModel', 1);
  template.resourceCountIs('AWS::SSM::Parameter', 1);
  // The stack's construct is an instance of the class this file imported: one copy of the library.
  expect(stack.node.findAll().filter((c) => c instanceof FirefighterDatabase)).toHaveLength(1);
});
`;

/**
 * Points every dependency of the generated package.json at this checkout's node_modules (`file:` links), so the
 * template's toolchain (jest, @swc/jest, tsx, typescript, aws-cdk-lib) installs offline.
 */
function linkTemplateDependencies(appDir: string): void {
  const file = path.join(appDir, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;
  for (const field of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(pkg[field] ?? {})) {
      if (!existsSync(path.join(NODE_MODULES, name))) throw new Error(`the cdk init template needs ${name}, which is not in ${NODE_MODULES}; add it to devDependencies`);
      (pkg[field] as Record<string, string>)[name] = `file:${path.join(NODE_MODULES, name)}`;
    }
  }
  writeFileSync(file, JSON.stringify(pkg, null, 2));
}

const CONSUMER_APP = `
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { createRequire } from 'node:module';
import { FirefighterDatabase } from 'cdk-aurora-firefighter';

if (typeof FirefighterDatabase !== 'function') {
  throw new Error('cdk-aurora-firefighter does not export FirefighterDatabase: lib/index.ts must re-export ./constructs/index.js');
}
// One copy of the construct classes whichever way the package is loaded (no dual-package hazard).
if (createRequire(import.meta.url)('cdk-aurora-firefighter').FirefighterDatabase !== FirefighterDatabase) {
  throw new Error('import and require of cdk-aurora-firefighter give two different FirefighterDatabase classes');
}
const spec = JSON.parse(readFileSync(new URL('./node_modules/cdk-aurora-firefighter/examples/reference.json', import.meta.url), 'utf8'));
const app = new App();
new FirefighterDatabase(new Stack(app, 'Consumer'), 'Db', { spec });
app.synth();
`;

let work: string;
let tarball: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'firefighter-pack-'));
  const src = path.join(work, 'src');
  for (const entry of SOURCES) {
    if (existsSync(path.join(REPO, entry))) cpSync(path.join(REPO, entry), path.join(src, entry), { recursive: true });
  }
  symlinkSync(NODE_MODULES, path.join(src, 'node_modules'), 'dir');
  // The package's own build (npm run build): declarations and JS, CommonJS, then the Lambda bundles.
  run(src, process.execPath, [path.join(NODE_MODULES, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  run(src, process.execPath, ['scripts/commonjs-lib.mjs']);
  run(src, process.execPath, ['scripts/bundle-lambdas.mjs']);
  const packed = JSON.parse(run(src, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work])) as { filename: string }[];
  tarball = path.join(work, packed[0]?.filename ?? 'missing.tgz');
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed library in a fresh ES-module CDK app', () => {
  let appDir: string;

  beforeAll(() => {
    appDir = path.join(work, 'app');
    mkdirSync(appDir);
    writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(path.join(appDir, 'cdk.json'), JSON.stringify({ app: 'node app.mjs' }));
    writeFileSync(path.join(appDir, 'app.mjs'), CONSUMER_APP);
    // Peers from the local node_modules (linked), the tarball from its file, its own dependencies already in place:
    // nothing is read from npm's cache or the registry.
    copyRuntimeDependencies(appDir);
    run(appDir, 'npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball, path.join(NODE_MODULES, 'aws-cdk-lib'), path.join(NODE_MODULES, 'constructs')]);
    run(appDir, process.execPath, [path.join(NODE_MODULES, 'aws-cdk', 'bin', 'cdk'), 'synth', '--quiet', '--no-notices', '--no-version-reporting']);
  }, 240_000);

  it('ships the compiled library, both Lambda bundles and the SQL, and no sources or tests', () => {
    const files = run(work, 'tar', ['-tzf', tarball]).split('\n').filter(Boolean);
    expect(files).toEqual(expect.arrayContaining([
      'package/dist/lib/constructs/firefighter-database.js',
      'package/dist/lib/constructs/firefighter-database.d.ts',
      'package/dist/lambda-bundles/rolemodel-handler/index.mjs',
      'package/dist/lambda-bundles/rolemodel-handler/sql/db_admin.sql',
      'package/dist/lambda-bundles/broker-handler/index.mjs',
      'package/examples/reference.json',
    ]));
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.includes('/test/'))).toEqual([]);
  });

  it('gives working rolemodel and firefighter commands, with no AWS SDK installed in the consumer', () => {
    const bin = path.join(appDir, 'node_modules', '.bin');
    const help = (name: string) => {
      const r = spawnSync(path.join(bin, name), ['--help'], { cwd: appDir, env: offlineEnv(), encoding: 'utf8', timeout: 60_000 });
      return `${r.stdout}${r.stderr}`;
    };
    expect(help('rolemodel')).toContain('usage: rolemodel plan|apply|verify');
    expect(help('firefighter')).toContain('usage: firefighter request ro|rw');
    expect(readdirSync(path.join(appDir, 'node_modules'))).not.toContain('@aws-sdk');
  });

  it('installs without esbuild or Docker tooling in the consumer', () => {
    const installed = readdirSync(path.join(appDir, 'node_modules'));
    expect(installed).toContain('cdk-aurora-firefighter');
    expect(installed).not.toContain('esbuild');
  });

  it('synthesizes the stack with one role-model resource per database and the prebuilt handler code as assets', () => {
    const out = path.join(appDir, 'cdk.out');
    const template = JSON.parse(readFileSync(path.join(out, 'Consumer.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'Custom::FirefighterRoleModel')).toHaveLength(1);
    expect(types).toContain('AWS::RDS::DBCluster');
    const packaged = readFileSync(path.join(appDir, 'node_modules', 'cdk-aurora-firefighter', 'dist', 'lambda-bundles', 'rolemodel-handler', 'index.mjs'), 'utf8');
    const assets = readdirSync(out).filter((d) => d.startsWith('asset.'));
    expect(assets.some((d) => existsSync(path.join(out, d, 'index.mjs')) && readFileSync(path.join(out, d, 'index.mjs'), 'utf8') === packaged)).toBe(true);
  });
});

describe('the packed library in a stock `cdk init app --language typescript` project', () => {
  let stockDir: string;
  let jestOutput: string;

  beforeAll(() => {
    stockDir = path.join(work, 'stock');
    mkdirSync(stockDir);
    run(stockDir, process.execPath, [path.join(NODE_MODULES, 'aws-cdk', 'bin', 'cdk'), 'init', 'app', '--language', 'typescript', '--generate-only']);
    writeFileSync(path.join(stockDir, 'lib', 'stock-stack.ts'), STOCK_STACK);
    writeFileSync(path.join(stockDir, 'test', 'stock.test.ts'), STOCK_TEST);
    cpSync(path.join(REPO, 'examples', 'reference.json'), path.join(stockDir, 'rolemodel.json'));
    linkTemplateDependencies(stockDir);
    copyRuntimeDependencies(stockDir);
    run(stockDir, 'npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball]);
    jestOutput = run(stockDir, 'npm', ['test'], true);
    // The template's cdk.json: `npx tsc && npx tsx bin/stock.ts`, so the app is type-checked as CommonJS too.
    run(stockDir, path.join(stockDir, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--no-version-reporting']);
  }, 900_000);

  it('runs the template\'s jest test (CommonJS, require) against the one-statement example', () => {
    expect(readFileSync(path.join(stockDir, 'jest.config.js'), 'utf8')).toContain('@swc/jest');
    expect(jestOutput).toContain('PASS test/stock.test.ts');
    expect(jestOutput).toMatch(/Tests:\s+1 passed, 1 total/);
  });

  it('synthesizes the stock app with cdk synth', () => {
    const template = JSON.parse(readFileSync(path.join(stockDir, 'cdk.out', 'StockStack.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'Custom::FirefighterRoleModel')).toHaveLength(1);
    expect(types).toContain('AWS::RDS::DBCluster');
  });
});

describe('the CLI alone, as `npm install -g cdk-aurora-firefighter` on an on-call laptop', () => {
  it('installs without aws-cdk-lib or constructs (optional peers) and answers --version', () => {
    const laptop = path.join(work, 'laptop');
    mkdirSync(laptop);
    writeFileSync(path.join(laptop, 'package.json'), JSON.stringify({ name: 'laptop', private: true }));
    copyRuntimeDependencies(laptop);
    // Offline: a required peer would make npm ask the registry for aws-cdk-lib and fail with ENOTCACHED.
    run(laptop, 'npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball]);
    const installed = readdirSync(path.join(laptop, 'node_modules'));
    expect(installed).toContain('cdk-aurora-firefighter');
    expect(installed.filter((n) => n === 'aws-cdk-lib' || n === 'constructs')).toEqual([]);
    const version = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect(run(laptop, path.join(laptop, 'node_modules', '.bin', 'firefighter'), ['--version']).trim()).toBe(version);
  }, 120_000);
});
