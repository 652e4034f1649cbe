// The JSON Schema of a role-model spec (draft-07, for editors and CI), written from the table the validator
// reads (spec-shape.ts). `npm run schema` writes it to schema/rolemodel.schema.json; a test fails when that file
// is stale and checks that the schema and parseSpec agree on every example and on hostile specs.
// The schema checks shapes, names and ranges; parseSpec also checks what spans fields (unique names, per-person
// options, searchPath within the database's schemas), durations' bounds, and names' length in bytes.
import { reservedNames, type IdentifierKind } from './identifier-rules.js';
import { SHAPES, type Rule, type ShapeName } from './spec-shape.js';

type JsonSchema = Record<string, unknown>;

/** `public` -> `[pP][uU][bB][lL][iI][cC]`: JSON Schema patterns have no case-insensitive flag. */
function anyCase(word: string): string {
  return [...word].map((ch) => (ch.toLowerCase() === ch.toUpperCase() ? ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : `[${ch.toLowerCase()}${ch.toUpperCase()}]`)).join('');
}

/** What identifier-rules.ts refuses, as far as a pattern can say it (the 63 is characters here, bytes there). */
function identifier(kind: IdentifierKind, alsoAllowed: readonly string[] = []): JsonSchema {
  const reserved = reservedNames(kind);
  const rules: JsonSchema[] = [
    // No control, format or separator character (text-rules.ts), no white space at either end.
    { type: 'string', minLength: 1, maxLength: 63, pattern: '^(?!\\s)[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}]*(?<!\\s)$' },
  ];
  if (kind !== 'database') rules.push({ not: { type: 'string', pattern: `^(?:${anyCase('pg_')}|${anyCase('rds_')})` } });
  if (reserved.names.length > 0) {
    rules.push(reserved.caseInsensitive ? { not: { type: 'string', pattern: `^(?:${reserved.names.map(anyCase).join('|')})$` } } : { not: { enum: reserved.names } });
  }
  const schema = { description: `a ${kind} name`, allOf: rules };
  return alsoAllowed.length > 0 ? { anyOf: [{ enum: alsoAllowed }, schema] } : schema;
}

function ruleSchema(rule: Rule): JsonSchema {
  switch (rule.kind) {
    case 'identifier':
      return identifier(rule.of, rule.alsoAllowed);
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: rule.min, maximum: rule.max };
    case 'enum':
      return { enum: [...rule.values] };
    case 'string':
      return {
        type: 'string', description: rule.description,
        ...(rule.pattern ? { pattern: rule.pattern.source } : {}),
        ...(rule.minLength !== undefined ? { minLength: rule.minLength } : {}),
        ...(rule.maxLength !== undefined ? { maxLength: rule.maxLength } : {}),
      };
    case 'array':
      return { type: 'array', items: ruleSchema(rule.items), ...(rule.minItems ? { minItems: rule.minItems } : {}), ...(rule.unique ? { uniqueItems: true } : {}) };
    case 'object':
      return { $ref: `#/definitions/${rule.shape}` };
  }
}

function shapeSchema(name: ShapeName): JsonSchema {
  const shape = SHAPES[name];
  return {
    description: shape.description,
    type: 'object',
    properties: Object.fromEntries(Object.entries(shape.fields).map(([key, rule]) => [key, ruleSchema(rule as Rule)])),
    ...(shape.required.length > 0 ? { required: [...shape.required] } : {}),
    additionalProperties: false,
  };
}

export const SCHEMA_ID = 'https://github.com/cdk-aurora-firefighter/cdk-aurora-firefighter/schema/rolemodel.schema.json';

/** The whole schema; deterministic, so the committed file can be compared with it. */
export function specJsonSchema(): JsonSchema {
  const { description, ...root } = shapeSchema('root');
  const names = (Object.keys(SHAPES) as ShapeName[]).filter((n) => n !== 'root');
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'rolemodel spec',
    description: `${String(description)}. Written by \`npm run schema\` from lib/spec/spec-shape.ts; rolemodel plan|apply|verify check more (lib/spec/validate.ts)`,
    ...root,
    definitions: Object.fromEntries(names.map((n) => [n, shapeSchema(n)])),
  };
}
