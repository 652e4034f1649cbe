// `firefighter ... --cluster NAME [--stack STACK]`: finds the broker's function ARN and broker id in the SSM
// parameter the PasswordBroker construct writes (/cdk-aurora-firefighter/<cluster>/<stack>/broker), so the on-call
// engineer types only the cluster name. Without --stack it lists the cluster's path and takes the one broker there;
// two stages of one app in one account and region are two brokers, and then --stack picks one. Kept apart from
// bin/firefighter.ts so the argument parser stays small.
import { brokerParameterName, brokerParameterPath, parseBrokerLocator, stackOfBrokerParameter } from '../lib/broker/protocol/broker-locator.js';

export interface LocateOptions {
  readonly profile?: string;
  readonly region?: string;
  /** The broker's stack, when several stacks deploy a broker for clusters of this name. */
  readonly stack?: string;
}

/** Reads one SSM parameter's value; undefined when it does not exist. The default uses @aws-sdk/client-ssm. */
export type GetParameter = (name: string, options: LocateOptions) => Promise<string | undefined>;
/** Every parameter under a path, recursively (GetParametersByPath). The default uses @aws-sdk/client-ssm. */
export type ListParameters = (path: string, options: LocateOptions) => Promise<{ readonly name: string; readonly value: string }[]>;

export interface LocatedBroker {
  readonly functionName: string;
  readonly brokerId: string;
  readonly region: string;
  /** The SSM access host and what it forwards to, when the stack has one (firefighter --tunnel). */
  readonly accessHost?: { readonly instanceId: string; readonly writerHost?: string; readonly port?: number };
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT' });
}

/** The broker of `cluster` (in `options.stack` when given); errors name the parameter or path, the region and the fix. */
export async function locateBroker(cluster: string, options: LocateOptions, getParameter: GetParameter = ssmGetParameter, listParameters: ListParameters = ssmListParameters): Promise<LocatedBroker> {
  const where = options.region ? ` in ${options.region}` : ' in your default region';
  let name: string;
  let value: string | undefined;
  if (options.stack !== undefined) {
    name = brokerParameterName(cluster, options.stack);
    value = await getParameter(name, options);
    if (value === undefined) {
      throw invalid(`no broker for cluster "${cluster}" in stack ${options.stack}: SSM parameter ${name} does not exist${where}; check --cluster and --stack (drop --stack to list the brokers) and pass --region of the broker's stack, or give --function and --broker-id (the stack outputs)`);
    }
  } else {
    const path = brokerParameterPath(cluster);
    const found = (await listParameters(path, options)).filter((p) => stackOfBrokerParameter(path, p.name) !== undefined);
    if (found.length === 0) {
      throw invalid(`no broker for cluster "${cluster}": no SSM parameter under ${path}/${where}; check --cluster and pass --region of the broker's stack, or give --function and --broker-id (the stack outputs)`);
    }
    if (found.length > 1) {
      const stacks = found.map((p) => stackOfBrokerParameter(path, p.name)).sort();
      throw invalid(`${found.length} brokers serve clusters named "${cluster}"${where} (stacks ${stacks.join(', ')}); pass --stack with one of them, e.g. --stack ${stacks[0]}`);
    }
    name = (found[0] as { name: string }).name;
    value = (found[0] as { value: string }).value;
  }
  const locator = parseBrokerLocator(value, name);
  const accessHost = locator.accessHost
    ? { accessHost: { instanceId: locator.accessHost, ...(locator.writerHost && locator.port ? { writerHost: locator.writerHost, port: locator.port } : {}) } }
    : {};
  return { functionName: locator.functionArn, brokerId: locator.brokerId, region: locator.region, ...accessHost };
}

async function ssmClient(options: LocateOptions) {
  // Loaded only here, so the other paths of the CLI never load the SSM client.
  const ssm = await import('@aws-sdk/client-ssm');
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const client = new ssm.SSMClient({
    credentials: fromNodeProviderChain(options.profile ? { profile: options.profile } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  });
  return { ssm, client };
}

async function ssmGetParameter(name: string, options: LocateOptions): Promise<string | undefined> {
  const { ssm, client } = await ssmClient(options);
  try {
    const out = await client.send(new ssm.GetParameterCommand({ Name: name }));
    return out.Parameter?.Value;
  } catch (error) {
    if (error instanceof ssm.ParameterNotFound) return undefined;
    throw error;
  }
}

async function ssmListParameters(path: string, options: LocateOptions): Promise<{ name: string; value: string }[]> {
  const { ssm, client } = await ssmClient(options);
  const found: { name: string; value: string }[] = [];
  for await (const page of ssm.paginateGetParametersByPath({ client }, { Path: path, Recursive: true })) {
    for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) found.push({ name: p.Name, value: p.Value });
  }
  return found;
}
