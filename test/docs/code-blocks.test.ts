// The code blocks of README.md, CONTRIBUTING.md and docs/: shell commands are checked by shell-blocks.test.ts,
// SQL by test/integration/docs-sql.test.ts, TypeScript by test/pack/pack-and-synth.test.ts (each block compiled by
// tsc against the packed tarball in a stock `cdk init` app; test/pack/doc-blocks.ts wraps a block marked
// `<!-- check: ts fragment in a Stack -->`), JSON and the demo's output here; any other text block names the test
// that compares it with what the code prints (or says why none does). A block of another kind, or a SQL, JSON or
// text block without its `<!-- check: ... -->` marker, fails this file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBrokerConfig } from '../../lib/broker/protocol/broker-config.js';
import { EVENT_DETAIL_TYPES, EVENT_SOURCE } from '../../lib/broker/protocol/broker-events.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { allCodeBlocks } from '../support/markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const blocks = allCodeBlocks();
const reference = (): { databases: Record<string, unknown>[] } => JSON.parse(readFileSync(path.join(ROOT, 'examples/reference.json'), 'utf8'));

/** How each kind of block is checked, and by which file. */
const CHECKED_BY: Record<string, string> = {
  sh: 'test/docs/shell-blocks.test.ts', ts: 'test/pack/pack-and-synth.test.ts (tsc against the packed tarball)', typescript: 'test/pack/pack-and-synth.test.ts (tsc against the packed tarball)', sql: 'test/integration/docs-sql.test.ts',
  json: 'this file', text: 'this file (the demo output)', mermaid: 'none: a diagram, not code',
};

describe('code blocks in the docs', () => {
  it('are each of a kind some test checks', () => {
    const unknown = blocks.filter((b) => !(b.lang in CHECKED_BY)).map((b) => `${b.file}:${b.line} (${b.lang || 'no language'})`);
    expect(unknown).toEqual([]);
  });

  it('text blocks outside docs/demo.md (checked here) name the test that checks them, or say why none does', () => {
    const unsaid = blocks.filter((b) => b.lang === 'text' && b.file !== 'docs/demo.md')
      .filter((b) => !/^text (none: .+|.+ \((test\/[^)]+\.test\.ts)\))$/.test(b.check ?? '') || !existsSync(path.join(ROOT, /\((test\/[^)]+)\)/.exec(b.check ?? '')?.[1] ?? 'test')))
      .map((b) => `${b.file}:${b.line} (${b.check ?? 'no marker'})`);
    expect(unsaid).toEqual([]);
  });

  it('SQL and JSON blocks say how they are checked', () => {
    const bare = blocks.filter((b) => (b.lang === 'sql' || b.lang === 'json') && b.check === undefined).map((b) => `${b.file}:${b.line}`);
    expect(bare).toEqual([]);
  });

  const json = blocks.filter((b) => b.lang === 'json');
  it.each(json.map((b) => [`${b.file}:${b.line} (${b.check})`, b] as const))('JSON %s', (_where, b) => {
    if (b.check === 'json broker event') {
      const event = JSON.parse(b.text) as { source: string; 'detail-type': string; detail: { outcome: string } };
      expect(event.source).toBe(EVENT_SOURCE);
      expect(EVENT_DETAIL_TYPES).toContain(event['detail-type']);
      expect(event['detail-type']).toBe(`firefighter ${event.detail.outcome}`);
    } else if (b.check === 'json spec fragment of a database') {
      const spec = reference();
      spec.databases[0] = { ...spec.databases[0], ...(JSON.parse(`{${b.text}}`) as Record<string, unknown>) };
      expect(() => parseSpec(spec)).not.toThrow();
    } else if (b.check === 'json role trust policy binding session names') {
      const policy = JSON.parse(b.text) as { Statement: { Action: string; Condition?: { StringEquals?: Record<string, string> } }[] };
      expect(policy.Statement.some((st) => st.Action === 'sts:AssumeRole' && st.Condition?.StringEquals?.['sts:RoleSessionName'] === '${aws:username}')).toBe(true);
    } else if (b.check === 'json broker allowlist') {
      const base = { clusterId: 'c', brokerId: 'b', port: 5432, writerHost: 'h.example', instanceHosts: ['h.example'], brokerUser: 'u', delivery: 'response', firefighterLogins: 'per-person',
        databases: [{ name: 'd', firefighterRo: 'ro', firefighterRw: 'rw' }] };
      expect(parseBrokerConfig({ ...base, allowlist: JSON.parse(b.text) as unknown }).allowlist).toEqual(JSON.parse(b.text));
    } else {
      throw new Error(`${b.file}:${b.line}: unknown check "${b.check}"`);
    }
  });

  it('the demo output shown in docs/demo.md has only steps the demo runs', () => {
    const source = readdirSync(path.join(ROOT, 'bin/demo')).map((f) => readFileSync(path.join(ROOT, 'bin/demo', f), 'utf8')).join('\n');
    const labels = [...source.matchAll(/step\('([^']+)'/g)].map((m) => m[1]!);
    const shown = blocks.filter((b) => b.lang === 'text' && b.file === 'docs/demo.md')
      .flatMap((b) => b.text.split('\n')).map((l) => /^ {2}ok {4}(.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.filter((l) => !labels.some((label) => l.startsWith(`${label} `)))).toEqual([]);
  });
});
