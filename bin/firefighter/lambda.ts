// The broker Lambda as the CLI reaches it: the locator in SSM (--cluster), then an invoke carrying an identity
// proof signed with the caller's credentials. The AWS SDK is loaded only here, so --direct needs nothing but pg.
import { parseBrokerInput } from '../../lib/broker/protocol/broker-input.js';
import { proofBinding } from '../../lib/broker/protocol/proof-binding.js';
import type { BrokerResponse } from '../../lib/broker/service.js';
import { locateBroker, type GetParameter, type ListParameters, type LocatedBroker } from '../firefighter-cluster.js';
import { awsError, type CliError } from './errors.js';

export interface LambdaOptions {
  readonly functionName: string;
  readonly brokerId: string;
  readonly profile?: string;
  readonly region?: string;
  readonly stsEndpoint?: string;
  /** Set with --cluster: functionName and brokerId are then read from SSM before the invoke. */
  readonly cluster?: string;
  /** With --cluster: the broker's stack (--stack), when several stacks have a broker for that cluster name. */
  readonly stack?: string;
}

/**
 * The SDK's 9-line NodeVersionSupportWarning on Node 20 (a version this package supports) says nothing a
 * firefighter can act on mid-incident, and printed before the answer it buries it. The SDK reads this variable
 * (@aws-sdk/core emitWarningIfUnsupportedVersion) when its first client is made: SSM with --cluster, else Lambda.
 */
function quietSdkVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** With --cluster: the function ARN, broker id and region (and the access host) from the cluster's SSM parameter. */
export async function located(options: LambdaOptions, getParameter?: GetParameter, listParameters?: ListParameters): Promise<{ lambda: LambdaOptions; accessHost?: LocatedBroker['accessHost'] }> {
  quietSdkVersionWarning();
  if (options.cluster === undefined) return { lambda: options };
  const broker = await locateBroker(options.cluster, options, getParameter, listParameters);
  const { cluster: _cluster, stack: _stack, ...rest } = options;
  const lambda = { ...rest, functionName: broker.functionName, brokerId: options.brokerId || broker.brokerId, region: options.region ?? broker.region };
  return { lambda, ...(broker.accessHost ? { accessHost: broker.accessHost } : {}) };
}

/** The default invoke: signs the identity proof with the caller's credentials and invokes the function. */
export async function invokeLambda(options: LambdaOptions, event: Record<string, unknown>): Promise<BrokerResponse> {
  quietSdkVersionWarning();
  try {
    return await invokeLambdaOnce(options, event);
  } catch (error) {
    throw new AwsFailure(awsError(error, options));
  }
}

/** An AWS failure already turned into the CLI's error shape. */
export class AwsFailure extends Error {
  constructor(readonly shaped: CliError) {
    super(shaped.message);
  }
}

async function invokeLambdaOnce(options: LambdaOptions, event: Record<string, unknown>): Promise<BrokerResponse> {
  // Loaded only here, so --direct runs with nothing but pg installed.
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const { signIdentityProof, defaultStsEndpoint } = await import('../../lib/broker/sts-identity.js');
  const credentials = fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const client = new LambdaClient({ credentials, ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) });
  const region = await client.config.region();
  // The proof is signed for exactly this event (action, access, incident, a digest of the rest), parsed the way
  // the broker parses it so that defaults count the same; the broker's own rules (databases, incident format)
  // are checked there.
  const input = parseBrokerInput(event, { incidentId: () => true, incidentIdHint: '', databases: typeof event.database === 'string' ? [event.database] : [] });
  const identity = input.action === 'sweep' ? undefined : await signIdentityProof({
    credentials: await credentials(), region, endpoint: options.stsEndpoint ?? defaultStsEndpoint(region), brokerId: options.brokerId,
    binding: proofBinding(input),
  });
  const out = await client.send(new InvokeCommand({ FunctionName: options.functionName, Payload: Buffer.from(JSON.stringify({ ...event, ...(identity ? { identity } : {}) })) }));
  const text = Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8');
  if (out.FunctionError) {
    let message = text;
    try {
      message = String((JSON.parse(text) as { errorMessage?: unknown }).errorMessage ?? text);
    } catch {
      // not JSON: keep the text
    }
    return { ok: false, code: 'FAILURE', message: `the broker function failed: ${message.slice(0, 500)}`, refusal: false };
  }
  return JSON.parse(text) as BrokerResponse;
}
