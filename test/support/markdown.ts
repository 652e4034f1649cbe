// Code blocks of the project's Markdown pages, with the `<!-- check: ... -->` marker that says how a test runs
// each one (the comment on the line before the fence, a blank line allowed between).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CodeBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  /** The marker's text after `check:`, or undefined. */
  readonly check?: string;
  readonly text: string;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** README.md, CONTRIBUTING.md, CHANGELOG.md and every page in docs/, relative to the repository root. */
export function markdownPages(): string[] {
  const top = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].filter((f) => { try { readFileSync(path.join(ROOT, f)); return true; } catch { return false; } });
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return [...top, ...docs];
}

export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`${file}:${i + 1}: code block never closed`);
    const before = lines[i - 1]?.trim() === '' ? lines[i - 2] : lines[i - 1];
    const check = /^<!-- check: (.+) -->$/.exec(before?.trim() ?? '')?.[1];
    blocks.push({ file, line: i + 1, lang: open[1] ?? '', check, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

export function allCodeBlocks(): CodeBlock[] {
  return markdownPages().flatMap(codeBlocks);
}
