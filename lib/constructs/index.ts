export * from './firefighter-database.js';
export * from './role-model.js';
export * from './password-broker.js';
export * from './broker-alarms.js';
export * from './access-host.js';
export { PermissionSetPolicy, type IdentityCenterGrantee } from './identity-center.js';
export type { BrokerGrantOptions } from './password-broker-grants.js';
export type { AllowlistEntry, BoundRoleEntry, PermissionSetEntry } from '../broker/protocol/allowlist.js';
export { bundleDir, type BundleName } from './bundles.js';
