export * from './firefighter-database.js';
export * from './role-model.js';
export * from './password-broker.js';
export * from './broker-alarms.js';
export * from './access-host.js';
export { bundleDir, type BundleName } from './bundles.js';
