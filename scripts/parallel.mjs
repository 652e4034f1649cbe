#!/usr/bin/env node
/* global process, console -- a Node script; the shared ESLint config declares no Node globals for .mjs */
// Runs npm scripts at the same time and fails if any fails: `node scripts/parallel.mjs typecheck lint build`.
// `npm test` uses it for its checks, which are single-threaded (tsc alone takes ~38 s of CPU): on two cores the
// three take about as long as the slowest, not as long as all three. Each script's output is printed whole
// when it ends, so the outputs do not interleave.
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
if (names.length === 0) {
  console.error('usage: node scripts/parallel.mjs SCRIPT... (npm script names)');
  process.exit(2);
}
const npm = process.env.npm_execpath;
const runs = names.map((name) => new Promise((resolve) => {
  const started = Date.now();
  // Inside `npm test`, npm_execpath is npm's own CLI: run it with this node, as npm does.
  const child = npm ? spawn(process.execPath, [npm, 'run', name], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('npm', ['run', name], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  child.on('close', (code) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`\n> ${name} (${code === 0 ? 'ok' : `failed, exit ${code}`}, ${seconds} s)\n${out}`);
    resolve({ name, code });
  });
}));
const failed = (await Promise.all(runs)).filter((r) => r.code !== 0);
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.map((r) => `npm run ${r.name}`).join(', ')}`);
  process.exit(1);
}
