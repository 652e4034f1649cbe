// Where the on-call CLI finds a cluster's password broker: one SSM parameter per broker, written by the
// PasswordBroker construct and read by `firefighter ... --cluster NAME`, so nobody types a function name or a
// broker id at 3 a.m. Shared by the construct (name, value) and the CLI (name, parse).
//
// No fixed name: the parameter of a broker is `/cdk-aurora-firefighter/<cluster>/<stack name>/broker`, so two
// stages of one app (staging and production of the same spec, stacks `Staging-X` and `Prod-X`) deploy side by side
// in one account and region. The CLI lists the cluster's path (GetParametersByPath) and takes the one broker it
// finds there, or asks for `--stack` when there are several.

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

/** CloudFormation stack names: a letter, then letters, digits and hyphens, at most 128. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** `/cdk-aurora-firefighter/<cluster>`: the path under which every broker of that cluster name has its parameter. */
export function brokerParameterPath(cluster: string): string {
  if (!CLUSTER_ID.test(cluster)) {
    throw new Error(`cluster ${JSON.stringify(cluster.slice(0, 80))} is not an Aurora cluster identifier (a letter, then letters, digits or hyphens, at most 63); pass the name of the cluster, e.g. --cluster my-pg`);
  }
  // The spec's cluster name, lowercased as RDS lowercases identifiers, so `--cluster My-PG` finds it too.
  return `${BROKER_PARAMETER_PREFIX}/${cluster.toLowerCase()}`;
}

/** `/cdk-aurora-firefighter/<cluster>/<stack name>/broker`: the parameter of the broker a stack deploys for a cluster. */
export function brokerParameterName(cluster: string, stackName: string): string {
  if (!STACK_NAME.test(stackName)) {
    throw new Error(`stack ${JSON.stringify(stackName.slice(0, 140))} is not a CloudFormation stack name (a letter, then letters, digits or hyphens, at most 128); pass the broker's stack, e.g. --stack Prod-FirefighterExample`);
  }
  return `${brokerParameterPath(cluster)}/${stackName}/broker`;
}

/** The stack name in a broker parameter's name under `path`, or undefined for any other parameter there. */
export function stackOfBrokerParameter(path: string, name: string): string | undefined {
  const rest = name.startsWith(`${path}/`) ? name.slice(path.length + 1) : '';
  const match = /^([A-Za-z][A-Za-z0-9-]{0,127})\/broker$/.exec(rest);
  return match?.[1];
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
