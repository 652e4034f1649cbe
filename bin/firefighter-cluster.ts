// `firefighter ... --cluster NAME`: finds the broker's function ARN and broker id in the SSM parameter the
// PasswordBroker construct writes (/cdk-aurora-firefighter/<cluster>/broker), so the on-call engineer types
// only the cluster name. Kept apart from bin/firefighter.ts so the argument parser stays small.
import { brokerParameterName, parseBrokerLocator } from '../lib/broker/protocol/broker-locator.js';

export interface LocateOptions {
  readonly profile?: string;
  readonly region?: string;
}

/** Reads one SSM parameter's value; undefined when it does not exist. The default uses @aws-sdk/client-ssm. */
export type GetParameter = (name: string, options: LocateOptions) => Promise<string | undefined>;

export interface LocatedBroker {
  readonly functionName: string;
  readonly brokerId: string;
  readonly region: string;
  /** The SSM access host and what it forwards to, when the stack has one (firefighter --tunnel). */
  readonly accessHost?: { readonly instanceId: string; readonly writerHost?: string; readonly port?: number };
}

/** The broker of `cluster`; errors name the parameter, the region and the fix. */
export async function locateBroker(cluster: string, options: LocateOptions, getParameter: GetParameter = ssmGetParameter): Promise<LocatedBroker> {
  const name = brokerParameterName(cluster);
  const value = await getParameter(name, options);
  if (value === undefined) {
    throw Object.assign(new Error(`no broker for cluster "${cluster}": SSM parameter ${name} does not exist${options.region ? ` in ${options.region}` : ' in your default region'}; check --cluster and pass --region of the broker's stack, or give --function and --broker-id (the stack outputs)`), { code: 'INVALID_INPUT' });
  }
  const locator = parseBrokerLocator(value, name);
  const accessHost = locator.accessHost
    ? { accessHost: { instanceId: locator.accessHost, ...(locator.writerHost && locator.port ? { writerHost: locator.writerHost, port: locator.port } : {}) } }
    : {};
  return { functionName: locator.functionArn, brokerId: locator.brokerId, region: locator.region, ...accessHost };
}

async function ssmGetParameter(name: string, options: LocateOptions): Promise<string | undefined> {
  // Loaded only here, so the other paths of the CLI never load the SSM client.
  const { SSMClient, GetParameterCommand, ParameterNotFound } = await import('@aws-sdk/client-ssm');
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const client = new SSMClient({
    credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  try {
    const out = await client.send(new GetParameterCommand({ Name: name }));
    return out.Parameter?.Value;
  } catch (error) {
    if (error instanceof ParameterNotFound) return undefined;
    throw error;
  }
}
