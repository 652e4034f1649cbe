// What `import ... from 'cdk-aurora-firefighter'` gives: the constructs, the spec type and its parser.
// The engine (pg) and the broker are separate entry points so a CDK app never loads a database driver.
export * from './constructs/index.js';
export type * from './spec/spec.js';
export { parseSpec, SpecError, type SpecIssue } from './spec/validate.js';
