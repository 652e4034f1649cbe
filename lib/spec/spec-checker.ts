// The collector every spec rule reports to: each problem with the field path that holds it (`databases[0].roles.app.name`),
// and the shared checks for the shapes that recur (objects with known keys, identifiers, booleans, connection limits).
import { identifierProblems, type IdentifierKind } from './identifier-rules.js';
import { didYouMean } from './suggest.js';
import { keysOf, rangeOf, SHAPES, type ShapeName } from './spec-shape.js';

export interface SpecIssue {
  /** e.g. `databases[0].roles.app.name` */
  readonly path: string;
  readonly message: string;
}

export class SpecError extends Error {
  constructor(readonly issues: readonly SpecIssue[]) {
    super(`invalid role-model spec:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'SpecError';
  }
}

export type Obj = Record<string, unknown>;

export class Checker {
  readonly issues: SpecIssue[] = [];

  fail(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  object(value: unknown, path: string, allowed: readonly string[], required: readonly string[]): Obj | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path || '(root)', `must be an object, got ${describe(value)}`);
      return undefined;
    }
    const obj = value as Obj;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail(join(path, key), `unknown key${didYouMean(key, allowed)}; allowed keys are ${allowed.join(', ')}`);
    }
    for (const key of required) {
      if (obj[key] === undefined) this.fail(join(path, key), 'is required');
    }
    return obj;
  }

  /** An object of one of the spec's shapes (spec-shape.ts): its keys known, its required keys present. */
  shape(value: unknown, path: string, name: ShapeName): Obj | undefined {
    return this.object(value, path, keysOf(name), SHAPES[name].required);
  }

  integer(value: unknown, path: string, range: { min: number; max: number }, note = ''): void {
    if (value === undefined) return;
    if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max) {
      this.fail(path, `must be an integer from ${range.min}${note} to ${range.max}, got ${describe(value)}`);
    }
  }

  identifier(value: unknown, path: string, kind: IdentifierKind): string | undefined {
    if (typeof value !== 'string' || value.length === 0) {
      this.fail(path, `must be a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    for (const problem of identifierProblems(value, kind)) this.fail(path, problem);
    return value;
  }

  connectionLimit(value: unknown, path: string): void {
    this.integer(value, path, rangeOf('clusterRole', 'connectionLimit'), ' (no limit)');
  }

  boolean(value: unknown, path: string): void {
    if (value !== undefined && typeof value !== 'boolean') this.fail(path, `must be true or false, got ${describe(value)}`);
  }
}

export function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** A value as an error message shows it: its type, and a string quoted and cut at 40 characters. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
