// The TypeScript blocks of README.md and docs/*.md as files a consumer's `tsc` compiles against the packed
// package. A block with no marker is a whole program; `<!-- check: ts fragment in a Stack -->` puts it in a
// Stack's constructor (`this` and `stack` are the stack), with the block's own imports hoisted and the inputs the
// surrounding text names (CONTEXT) declared with their types, so only what the reader sees is checked.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { allCodeBlocks, type CodeBlock } from '../support/markdown.js';

export const TS_LANGS = ['ts', 'typescript'];
export const FRAGMENT_IN_A_STACK = 'ts fragment in a Stack';

/** Inputs the docs' fragments take from the text around them, and their types (aliased imports, never clashing). */
const CONTEXT = `
declare const spec: import('cdk-aurora-firefighter').RoleModelSpec;
declare const oncallRole: import('aws-cdk-lib/aws-iam').IRole;
declare const incidentLeadRole: import('aws-cdk-lib/aws-iam').IRole;
declare const oncallTopic: import('aws-cdk-lib/aws-sns').ITopic;
declare const toSlack: import('aws-cdk-lib/aws-lambda').IFunction;
declare const appTaskRole: import('aws-cdk-lib/aws-iam').IRole;
declare const appService: import('aws-cdk-lib/aws-ec2').IConnectable;
`;

export interface WrittenBlock {
  readonly block: CodeBlock;
  /** Relative to the directory the blocks were written under. */
  readonly file: string;
}

/** Every TypeScript block of the docs. */
export function typescriptBlocks(): CodeBlock[] {
  return allCodeBlocks().filter((b) => TS_LANGS.includes(b.lang));
}

/** The source a consumer's tsc compiles for one block; throws on a marker this file does not know. */
export function wrapBlock(block: CodeBlock): string {
  if (block.check === undefined) return `${block.text}\nexport {};\n`;
  if (block.check !== FRAGMENT_IN_A_STACK) {
    throw new Error(`${block.file}:${block.line}: unknown check "${block.check}" on a TypeScript block; use <!-- check: ${FRAGMENT_IN_A_STACK} --> or none (a whole program)`);
  }
  const lines = block.text.split('\n');
  const imports = lines.filter((l) => /^import\s/.test(l));
  const body = lines.filter((l) => !/^import\s/.test(l));
  return [
    ...imports,
    "import * as __cdk from 'aws-cdk-lib';",
    "import type { Construct as __Construct } from 'constructs';",
    CONTEXT,
    'export class __DocStack extends __cdk.Stack {',
    '  constructor(scope: __Construct, id: string) {',
    '    super(scope, id);',
    '    const stack: __cdk.Stack = this;',
    '    void stack;',
    ...body.map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Writes each block to `<dir>/<page>-<line>.ts` and a tsconfig extending `baseConfig` that compiles just them. */
export function writeBlocks(dir: string, baseConfig: string): WrittenBlock[] {
  mkdirSync(dir, { recursive: true });
  const written = typescriptBlocks().map((block) => {
    const file = `${block.file.replace(/[/.]/g, '-')}-${block.line}.ts`;
    writeFileSync(path.join(dir, file), wrapBlock(block));
    return { block, file };
  });
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ extends: baseConfig, compilerOptions: { noEmit: true }, include: ['*.ts'] }, null, 2));
  return written;
}
