#!/usr/bin/env node
/* global process, console -- a Node script; the shared ESLint config declares no Node globals for .mjs */
// Turns the compiled library (dist/lib, ES modules from tsc) into CommonJS in place, file by file, and marks the
// folder CommonJS. Why one CommonJS copy and not two: a stock `cdk init app --language typescript` project runs its
// jest tests as CommonJS (`require`), an ES-module app can `import` CommonJS, and a single copy means a
// FirefighterDatabase made through `import` is the same class as one made through `require` (no dual-package hazard).
// aws-cdk-lib and cdk-nag ship the same way. Usage: node scripts/commonjs-lib.mjs [DIR] (default dist/lib)
import { transform } from 'esbuild';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return jsFiles(file);
    return name.endsWith('.js') ? [file] : [];
  });
}

async function main() {
  const dir = path.resolve(process.argv[2] ?? path.join(root, 'dist', 'lib'));
  const files = jsFiles(dir);
  if (files.length === 0) throw new Error(`no .js files in ${dir}; run "tsc -p tsconfig.build.json" first`);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const { code } = await transform(source, {
      loader: 'js',
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcefile: path.relative(dir, file),
      // The library finds its Lambda bundles and SQL files relative to its own file.
      define: { 'import.meta.url': '__firefighterModuleUrl' },
      banner: source.includes('import.meta.url') ? 'const __firefighterModuleUrl = require("node:url").pathToFileURL(__filename).href;' : '',
      logLevel: 'warning',
    });
    if (code.includes('import.meta')) throw new Error(`${file} still uses import.meta after the CommonJS transform; use import.meta.url only`);
    writeFileSync(file, code);
  }
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
  console.log(`converted ${files.length} files in ${path.relative(process.cwd(), dir) || '.'} to CommonJS`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
