// Helpers of the pack tests: the package built and packed the way `npm publish` would, offline installs into
// fresh consumer projects, and what the tarball may hold.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const NODE_MODULES = path.join(REPO, 'node_modules');
export const SOURCES = ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'bin', 'lambda', 'sql', 'schema', 'examples', 'scripts'];

/** No credentials, no proxy that works: any download attempt fails instead of silently succeeding. */
export function offlineEnv(): NodeJS.ProcessEnv {
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
export function copyRuntimeDependencies(into: string): string[] {
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
export function run(cwd: string, command: string, args: string[], withStderr = false): string {
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

/**
 * Points every dependency of the generated package.json at this checkout's node_modules (`file:` links), so the
 * template's toolchain (jest, @swc/jest, tsx, typescript, aws-cdk-lib) installs offline.
 */
export function linkTemplateDependencies(appDir: string): void {
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


/** What the build writes last or relies on: dist/ is only as fresh as the oldest of these. */
const BUILD_OUTPUTS = ['dist/lib/package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/bin/rolemodel.js', 'dist/bin/firefighter.mjs',
  'dist/lambda-bundles/rolemodel-handler/index.mjs', 'dist/lambda-bundles/broker-handler/index.mjs'];
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'bin', 'lambda', 'sql', 'scripts'];

function newestChange(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(entry).map((name) => newestChange(path.join(entry, name))));
}

/**
 * True when the repo's dist/ was built after the last change to anything the build reads, as `npm test` leaves
 * it (`npm run build` empties dist/ first, so nothing stale is in it): the pack test packs that build instead of
 * building again (the build costs ~25 s of CPU).
 */
export function distIsFresh(): boolean {
  const built = Math.min(...BUILD_OUTPUTS.map((f) => (existsSync(path.join(REPO, f)) ? statSync(path.join(REPO, f)).mtimeMs : 0)));
  return built > 0 && built > Math.max(...BUILD_INPUTS.map((e) => newestChange(path.join(REPO, e))));
}

/**
 * Copies the package's sources into `src` and builds them there (npm run build: declarations and JS, CommonJS,
 * the Lambda bundles and the CLI bundle), or copies the repo's fresh dist/; then packs with npm as publish would.
 * Returns the tarball's path.
 */
export function buildAndPack(work: string): string {
  const src = path.join(work, 'src');
  for (const entry of SOURCES) {
    if (existsSync(path.join(REPO, entry))) cpSync(path.join(REPO, entry), path.join(src, entry), { recursive: true });
  }
  symlinkSync(NODE_MODULES, path.join(src, 'node_modules'), 'dir');
  if (distIsFresh()) {
    cpSync(path.join(REPO, 'dist'), path.join(src, 'dist'), { recursive: true });
  } else {
    run(src, process.execPath, [path.join(NODE_MODULES, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
    run(src, process.execPath, ['scripts/commonjs-lib.mjs']);
    run(src, process.execPath, ['scripts/bundle-lambdas.mjs']);
  }
  const packed = JSON.parse(run(src, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work])) as { filename: string }[];
  return path.join(work, packed[0]?.filename ?? 'missing.tgz');
}

/**
 * Everything the tarball may hold (paths inside `package/`): the compiled library with its declarations, the two
 * CLIs, the prebuilt Lambda bundles with their SQL, the reviewable SQL and the example specs, and npm's own
 * files. No sources, tests, benchmarks, CI scripts, source maps or declarations of the CLIs.
 */
export const PACKED_FILES: readonly RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^dist\/lib\/package\.json$/,
  /^dist\/lib\/([a-z0-9-]+\/)*[a-z0-9-]+\.(js|d\.ts)$/,
  /^dist\/bin\/rolemodel\.js$/,
  /^dist\/bin\/rolemodel\/[a-z0-9-]+\.js$/,
  /^dist\/bin\/firefighter\.mjs$/,
  /^dist\/lambda-bundles\/(rolemodel|broker)-handler\/(index|chunks\/[A-Za-z0-9-]+)\.mjs$/,
  /^dist\/lambda-bundles\/(rolemodel|broker)-handler\/sql\/[a-z0-9_-]+\.sql$/,
  /^sql\/[a-z0-9_-]+\.sql$/,
  /^examples\/[a-z0-9-]+\.json$/,
  /^schema\/rolemodel\.schema\.json$/,
];

/** Files the tarball must hold: what a consumer's import, require, bin or synth reaches first. */
export const REQUIRED_FILES: readonly string[] = [
  'package.json', 'README.md', 'LICENSE', 'CHANGELOG.md',
  'dist/lib/package.json', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/postgres/engine.js', 'dist/lib/postgres/engine.d.ts',
  'dist/lib/constructs/firefighter-database.js', 'dist/lib/constructs/firefighter-database.d.ts',
  'dist/bin/rolemodel.js', 'dist/bin/firefighter.mjs',
  'dist/lambda-bundles/rolemodel-handler/index.mjs', 'dist/lambda-bundles/rolemodel-handler/sql/db_admin.sql',
  'dist/lambda-bundles/broker-handler/index.mjs', 'dist/lambda-bundles/broker-handler/sql/db_admin.sql',
  'sql/db_admin.sql', 'sql/inspect-cluster.sql', 'examples/reference.json', 'schema/rolemodel.schema.json',
];
