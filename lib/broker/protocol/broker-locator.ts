// Where the on-call CLI finds a cluster's password broker: one SSM parameter per cluster, written by the
// PasswordBroker construct and read by `firefighter ... --cluster NAME`, so nobody types a function name or a
// broker id at 3 a.m. Shared by the construct (name, value) and the CLI (name, parse).

import { CLUSTER_ID } from '../../spec/identifier-rules.js';

export const BROKER_PARAMETER_PREFIX = '/cdk-aurora-firefighter';

/** The value of the parameter: JSON, versioned so a newer CLI can still read what an older construct wrote. */
export interface BrokerLocator {
  readonly version: 1;
  readonly cluster: string;
  /** Full ARN: the CLI invokes it in the region (and account) it names. */
  readonly functionArn: string;
  /** What the caller's identity proof is bound to. */
  readonly brokerId: string;
  /** Instance id of the SSM access host that `--tunnel` forwards through, when the stack has one. */
  readonly accessHost?: string;
  /** With accessHost: the writer endpoint and port the tunnel forwards to. */
  readonly writerHost?: string;
  readonly port?: number;
}

export const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):\d{12}:function:[A-Za-z0-9_-]{1,64}$/;

/** `/cdk-aurora-firefighter/<cluster>/broker`; RDS lowercases cluster identifiers, so this does too. */
export function brokerParameterName(cluster: string): string {
  if (!CLUSTER_ID.test(cluster)) {
    throw new Error(`cluster ${JSON.stringify(cluster.slice(0, 80))} is not an Aurora cluster identifier (a letter, then letters, digits or hyphens, at most 63); pass the name of the cluster, e.g. --cluster my-pg`);
  }
  return `${BROKER_PARAMETER_PREFIX}/${cluster.toLowerCase()}/broker`;
}

/** Parses the parameter's value; the error names the parameter and what to do. */
export function parseBrokerLocator(text: string, parameterName: string): BrokerLocator & { region: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`parameter ${parameterName} does not hold JSON; it is written by the PasswordBroker construct, redeploy the stack or pass --function and --broker-id`);
  }
  const v = value as Partial<Record<keyof BrokerLocator, unknown>>;
  const arn = typeof v.functionArn === 'string' ? FUNCTION_ARN.exec(v.functionArn) : null;
  if (typeof value !== 'object' || value === null || v.version !== 1 || !arn || typeof v.brokerId !== 'string' || v.brokerId.length === 0 || typeof v.cluster !== 'string') {
    throw new Error(`parameter ${parameterName} is not a broker locator of version 1 ({ version, cluster, functionArn, brokerId }); upgrade the firefighter CLI or redeploy the stack`);
  }
  // Optional and newer than version 1's first readers: a malformed one is ignored, not fatal (--access-host wins anyway).
  const accessHost = typeof v.accessHost === 'string' && INSTANCE_ID.test(v.accessHost) ? { accessHost: v.accessHost } : {};
  const writer = typeof v.writerHost === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(v.writerHost) && typeof v.port === 'number' && Number.isInteger(v.port) && v.port > 0 && v.port < 65536
    ? { writerHost: v.writerHost, port: v.port } : {};
  return { version: 1, cluster: v.cluster, functionArn: v.functionArn as string, brokerId: v.brokerId, region: arn[1] as string, ...accessHost, ...writer };
}
