// What a consumer gets: the library built and packed (`npm pack`), the tarball installed offline into a fresh
// CDK app with aws-cdk-lib and constructs as peers, and `cdk synth` run there with no network, no Docker,
// no esbuild and no AWS credentials. The build runs in a copy of the sources so the repo's dist/ is untouched,
// unless dist/ is newer than every source (as `npm test` leaves it): then that build is packed (support.ts).
// The tarball's file list is an allowlist (support.ts PACKED_FILES).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBlocks } from './doc-blocks.js';
import { buildAndPack, copyRuntimeDependencies, linkTemplateDependencies, NODE_MODULES, offlineEnv, PACKED_FILES, REPO, REQUIRED_FILES, run } from './support.js';

// The stock app's stack and jest test, written against the README's one-statement example. The test file is
// compiled by the template's own jest set-up (@swc/jest, CommonJS), so the package is loaded through require().
const STOCK_STACK = `import * as cdk from 'aws-cdk-lib/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { FirefighterAccess, FirefighterDatabase, parseSpec } from 'cdk-aurora-firefighter';

export class StockStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);
    const oncallRole = new iam.Role(this, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() });
    const db = new FirefighterDatabase(this, 'MyPg', {
      spec: parseSpec(JSON.parse(readFileSync('rolemodel.json', 'utf8'))),
    });
    db.broker.grantRequest(oncallRole, FirefighterAccess.READ_ONLY);
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

// What each public entry point gives through import and through require, and what a deep path gets.
const EXPORTS_PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const names = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort();
const refused = async (id) => {
  const codes = [];
  try { require(id); } catch (e) { codes.push(e.code); }
  try { await import(id); } catch (e) { codes.push(e.code); }
  return codes;
};
const root = await import('cdk-aurora-firefighter');
const engine = await import('cdk-aurora-firefighter/engine');
console.log(JSON.stringify({
  root: names(root),
  rootSame: require('cdk-aurora-firefighter').parseSpec === root.parseSpec,
  engine: names(engine),
  engineSame: require('cdk-aurora-firefighter/engine').applyRoleModel === engine.applyRoleModel,
  version: require('cdk-aurora-firefighter/package.json').version,
  deep: await refused('cdk-aurora-firefighter/dist/lib/index.js'),
  broker: await refused('cdk-aurora-firefighter/dist/lib/broker/service.js'),
}));
`;

let work: string;
let tarball: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'firefighter-pack-'));
  tarball = buildAndPack(work);
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  let files: string[];
  beforeAll(() => {
    files = run(work, 'tar', ['-tzf', tarball]).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  });

  it('holds only what a user needs: no sources, tests, benchmarks, CI scripts, source maps or CLI declarations', () => {
    expect(files.filter((f) => !PACKED_FILES.some((allowed) => allowed.test(f)))).toEqual([]);
    expect(files.filter((f) => /^(test|bench|\.ci|scripts|lib|lambda|bin|docs)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('holds the compiled library with its declarations, both CLIs, both Lambda bundles with their SQL, the SQL and the examples', () => {
    expect(REQUIRED_FILES.filter((f) => !files.includes(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('sql/')).sort()).toEqual(readdirSync(path.join(REPO, 'sql')).map((f) => `sql/${f}`).sort());
  });
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

  it('exports the constructs at the root and the engine at /engine, the same objects through import and require, and nothing deeper', () => {
    writeFileSync(path.join(appDir, 'exports.mjs'), EXPORTS_PROBE);
    const probe = JSON.parse(run(appDir, process.execPath, ['exports.mjs'])) as Record<string, unknown>;
    expect(probe.root).toEqual(expect.arrayContaining(['FirefighterDatabase', 'PasswordBroker', 'parseSpec', 'SpecError']));
    expect(probe.engine).toEqual(expect.arrayContaining(['applyRoleModel', 'planRoleModel', 'verifyRoleModel', 'withRoleModelLock', 'renderPlan']));
    expect(probe.engine).not.toContain('FirefighterDatabase');
    expect(probe).toMatchObject({ rootSame: true, engineSame: true, version: (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version });
    expect(probe.deep).toEqual(['ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
    expect(probe.broker).toEqual(['ERR_PACKAGE_PATH_NOT_EXPORTED', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
  });

  it('gives working rolemodel and firefighter commands, with no AWS SDK installed in the consumer', () => {
    const bin = path.join(appDir, 'node_modules', '.bin');
    const help = (name: string) => {
      const r = spawnSync(path.join(bin, name), ['--help'], { cwd: appDir, env: offlineEnv(), encoding: 'utf8', timeout: 60_000 });
      return `${r.stdout}${r.stderr}`;
    };
    expect(help('rolemodel')).toContain('usage: rolemodel plan|apply|verify');
    expect(help('firefighter')).toContain('usage: firefighter COMMAND [flags]');
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

  it('compiles every TypeScript block of README.md and docs/*.md against the packed package (the template\'s strict tsconfig)', () => {
    const written = writeBlocks(path.join(stockDir, 'doc-blocks'), '../tsconfig.json');
    expect(written.length).toBeGreaterThanOrEqual(5);
    const tsc = spawnSync(process.execPath, [path.join(stockDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'doc-blocks'], { cwd: stockDir, env: offlineEnv(), encoding: 'utf8', timeout: 300_000 });
    // Each error under the page and line of its block's opening fence.
    const errors = `${tsc.stdout}${tsc.stderr}`.split('\n').filter((l) => l.includes('error TS')).map((l) => {
      const hit = written.find((w) => l.startsWith(`doc-blocks/${w.file}(`));
      return hit ? `${hit.block.file}:${hit.block.line}: ${l}` : l;
    });
    expect(errors).toEqual([]);
    expect(tsc.status).toBe(0);
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
