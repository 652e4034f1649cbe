import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The pure rooms (CONTRIBUTING.md): no database driver, no AWS SDK, no CDK, no environment, and arrows that point
// one way between the rooms (`above` names the rooms a file here must not import).
const IMPURE = ['pg', 'pg-*', '@aws-sdk/*', '@smithy/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'];
function pureRoom(files, above, extra) {
  const regexes = [`(^|/)(postgres|constructs|lambda|bin)/`, `(^|/)(${above})/`, ...(extra ? [extra] : [])];
  return [{
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: IMPURE, message: 'a pure room: pass what it needs in.' },
          ...regexes.map((regex) => ({ regex, message: 'the rooms import one way (CONTRIBUTING.md, "The rooms").' })),
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'a pure room: pass configuration in.' }],
    },
  }];
}

export default tseslint.config(
  { ignores: ['dist/**', 'cdk.out/**', 'node_modules/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-throw-literal': 'error',
    },
  },
  {
    // Tests mutate parsed JSON freely to build hostile inputs.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...pureRoom(['lib/spec/**/*.ts'], 'model|plan|drift|broker'),
  ...pureRoom(['lib/model/**/*.ts'], 'plan|drift|broker'),
  ...pureRoom(['lib/plan/**/*.ts'], 'drift|broker'),
  ...pureRoom(['lib/drift/**/*.ts'], 'broker'),
  // The broker's protocol is pure too, and sits below the broker service that uses it.
  ...pureRoom(['lib/broker/protocol/**/*.ts'], 'drift|plan', '^\\.\\./(?!protocol/)[^.]'),
);
