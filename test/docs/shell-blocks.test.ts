// Every shell command in README.md, CONTRIBUTING.md and docs/ is run (the CLIs) or resolved (npm scripts,
// paths), so a renamed flag, subcommand or script fails here instead of at 3 a.m. The only substitution: a
// database host becomes a closed port on 127.0.0.1, so a command that parses gets as far as connecting.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCodeBlocks, type CodeBlock } from '../support/markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string> };
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

/** Shell words of one command line: quotes removed, `# comments` dropped. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '#' && !inWord) break;
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${line}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The commands of a block: continuation lines joined, comment-only lines dropped, `a && b` split. */
export function commandsOf(block: Pick<CodeBlock, 'text'>): string[][] {
  const joined = block.text.replace(/\\\n/g, ' ').split('\n');
  return joined.flatMap((l) => l.split(' && ')).map(shellWords).filter((w) => w.length > 0);
}

const closedPortUrl = (url: string): string => url.replace(/@[^/?]+/, '@127.0.0.1:1');

interface Run { status: number | null; out: string }
function run(cli: 'rolemodel' | 'firefighter', args: string[], cwd: string): Run {
  const r = spawnSync(TSX, [path.join(ROOT, 'bin', `${cli}.ts`), ...args], {
    cwd, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_PROFILE: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent', PGCONNECT_TIMEOUT: '2' },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Runs or resolves one documented command; throws for a command this test has no rule for. */
function checkCommand(words: string[], cwd: string): void {
  let w = [...words];
  while (/^[A-Z_]+=/.test(w[0] ?? '')) w = w.slice(1);
  if (w[0] === 'npx' && w[1] === '-p') {
    expect(w[2], 'npx -p names this package').toBe(PKG.name);
    w = w.slice(3);
  } else if (w[0] === 'npx' && (w[1] === 'rolemodel' || w[1] === 'firefighter')) {
    w = w.slice(1);
  }
  const [cmd, ...args] = w;
  if (cmd === 'npm') {
    if (args[0] === 'ci' || args[0] === 'test') return;
    if (args[0] === 'run') return void expect(Object.keys(PKG.scripts), `npm run ${args[1]}`).toContain(args[1]);
    if (args[0] === 'install') return void expect(args.filter((a) => !a.startsWith('-')).slice(1), 'npm install installs this package').toEqual([PKG.name]);
    throw new Error(`npm ${args[0]}: no rule for it in this test`);
  }
  if (cmd === 'npx' && args[0] === 'vitest') return void args.slice(2).filter((a) => !a.startsWith('-')).forEach((p) => expect(existsSync(path.join(ROOT, p)), p).toBe(true));
  if (cmd === 'npx' && args[0] === 'cdk') return void expect(existsSync(path.join(ROOT, 'cdk.json'))).toBe(true);
  if (cmd === 'node' && args[0] === 'firefighter.mjs') return void expect(args.slice(1)).toEqual(['--help']);
  if (cmd === 'rolemodel') {
    // init writes the spec the next command reads: it must not exist before init, and must after.
    const spec = path.join(cwd, 'rolemodel.json');
    if (args[0] === 'init') rmSync(spec, { force: true });
    else copyFileSync(path.join(ROOT, 'examples/reference.json'), spec);
    const r = run('rolemodel', args.map((a, i) => (args[i - 1] === '--database-url' ? closedPortUrl(a) : a)), cwd);
    expect(r.out, `rolemodel ${args.join(' ')}`).not.toMatch(/unknown option|unexpected argument|usage:/i);
    expect(r.out, `rolemodel ${args.join(' ')}`).toMatch(/127\.0\.0\.1|ECONNREFUSED/);
    return;
  }
  if (cmd === 'firefighter') {
    const r = run('firefighter', [...args, '--json'], cwd);
    const answer = JSON.parse(r.out.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { code?: string };
    expect(answer.code, `firefighter ${args.join(' ')}: ${r.out}`).toBeDefined();
    expect(answer.code, `firefighter ${args.join(' ')}: ${r.out}`).not.toBe('USAGE');
    return;
  }
  throw new Error(`${words.join(' ')}: no rule for this command in test/docs/shell-blocks.test.ts`);
}

describe('shell commands in the docs', () => {
  const blocks = allCodeBlocks().filter((b) => b.lang === 'sh');
  const cwd = mkdtempSync(path.join(tmpdir(), 'docs-sh-'));

  it('finds the blocks it checks', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s', (_where, block) => {
    for (const words of commandsOf(block)) checkCommand(words, cwd);
  });
});

describe('the shell-word reader', () => {
  it.each([
    ['a "b c" d # e', ['a', 'b c', 'd']],
    ["x --reason 'it is' --connect", ['x', '--reason', 'it is', '--connect']],
    ['# only a comment', []],
  ])('%s', (line, words) => expect(shellWords(line)).toEqual(words));
});
