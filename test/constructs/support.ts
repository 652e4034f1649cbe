// Helpers for the construct tests: what a template references, and whether its resources form a cycle
// (CloudFormation rejects that at deploy time; `cdk synth` only warns).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Json; DependsOn?: string | string[] }>;

/** Logical ids a value refers to through Ref, Fn::GetAtt and ${X} in Fn::Sub. */
export function referencedIds(value: Json, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedIds(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') out.add(v);
      else if (key === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else if (key === 'Fn::GetAtt' && typeof v === 'string') out.add(v.split('.')[0] ?? v);
      else referencedIds(v, out);
    }
  }
  return out;
}

/** Edges of a template's dependency graph: DependsOn, Ref, Fn::GetAtt and Fn::Sub references between resources. */
function dependencyEdges(template: { Resources: Resources }): Map<string, string[]> {
  const ids = new Set(Object.keys(template.Resources));
  const edges = new Map<string, string[]>();
  for (const [id, r] of Object.entries(template.Resources)) {
    const deps = new Set(referencedIds(r.Properties));
    for (const d of [r.DependsOn ?? []].flat()) deps.add(d);
    edges.set(id, [...deps].filter((d) => ids.has(d)));
  }
  return edges;
}

/**
 * Every resource `id` waits for, directly or through others: what CloudFormation creates before it and, on
 * delete, removes only after it.
 */
export function dependencyClosure(template: { Resources: Resources }, id: string): Set<string> {
  const edges = dependencyEdges(template);
  const seen = new Set<string>();
  const queue = [...(edges.get(id) ?? [])];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(edges.get(next) ?? []));
  }
  return seen;
}

/** The first dependency cycle among a template's resources, or undefined. */
export function findCycle(template: { Resources: Resources }): string[] | undefined {
  const ids = new Set(Object.keys(template.Resources));
  const edges = dependencyEdges(template);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of ids) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The construct tests synthesize real assets: build the Lambda bundles once if they are missing. */
export function ensureBundles(): void {
  const missing = ['rolemodel-handler', 'broker-handler'].filter((n) => !existsSync(path.join(REPO, 'dist', 'lambda-bundles', n, 'index.mjs')));
  if (missing.length > 0) execFileSync(process.execPath, [path.join(REPO, 'scripts', 'bundle-lambdas.mjs')], { stdio: 'pipe' });
}
