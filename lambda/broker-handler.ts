// The password broker Lambda: parses its configuration once, builds its clients once, and hands every event
// to lib/broker. Adapters only: an IAM auth token per database connection, STS for the caller's identity,
// Secrets Manager for `delivery: secret`, EventBridge for the team's events, and powertools' structured logger
// for the audit lines.
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import type { Context } from 'aws-lambda';
import { BROKER_CONFIG_ENV, parseBrokerConfig, type BrokerConfig } from '../lib/broker/protocol/broker-config.js';
import type { IssuedPassword } from '../lib/broker/db/connection.js';
import { eventBridgePublisher } from '../lib/broker/eventbridge.js';
import { discoveredInstances, type InstanceLookup } from '../lib/broker/instances.js';
import { createBrokerService, type AuditLogger, type BrokerResponse, type DeliveredSecret } from '../lib/broker/service.js';
import { defaultStsEndpoint, stsIdentityVerifier, type IdentityVerifier } from '../lib/broker/sts-identity.js';
import { once, resolveClient, type ClientSource } from './lazy-client.js';
import { rdsInstanceDiscovery } from './rds-instances.js';
import { brokerConnector, keepOneConnection, type BrokerTls, type PasswordProvider } from '../lib/postgres/broker-connection.js';

export interface BrokerHandlerDeps {
  readonly config: BrokerConfig;
  /** The broker's database password per connection: an IAM auth token in Lambda. */
  readonly password: PasswordProvider;
  readonly tls: BrokerTls;
  readonly verifyIdentity: IdentityVerifier;
  readonly logger: AuditLogger;
  /** Needed with `delivery: secret` (a client, or a function that makes it on first use). */
  readonly secrets?: ClientSource<Pick<SecretsManagerClient, 'send'>>;
  /** Needed with `eventBus` in the configuration. */
  readonly eventBridge?: Pick<EventBridgeClient, 'send'>;
  /** Where the cluster's instances are (an RDS lookup in Lambda). @default - config.instanceHosts */
  readonly instances?: InstanceLookup;
  /** Keep one connection open between invocations of a warm container (see keepOneConnection). @default false */
  readonly keepConnection?: boolean;
  readonly connectTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
}

export type BrokerHandler = (event: unknown, context?: Pick<Context, 'awsRequestId'>) => Promise<BrokerResponse>;

export function createBrokerHandler(deps: BrokerHandlerDeps): BrokerHandler {
  const { config } = deps;
  if (config.delivery === 'secret' && !deps.secrets) throw new Error('delivery "secret" needs a Secrets Manager client; pass secrets');
  if (config.eventBus !== undefined && !deps.eventBridge) throw new Error(`eventBus ${config.eventBus} needs an EventBridge client; pass eventBridge`);
  const connect = brokerConnector({
    port: config.port, user: config.brokerUser, password: deps.password, tls: deps.tls,
    ...(deps.connectTimeoutMs !== undefined ? { connectTimeoutMs: deps.connectTimeoutMs } : {}),
    ...(deps.statementTimeoutMs !== undefined ? { statementTimeoutMs: deps.statementTimeoutMs } : {}),
  });
  const kept = keepOneConnection(connect);
  const service = createBrokerService({
    config,
    ...(deps.keepConnection ? { connect: kept.connect, release: kept.release } : { connect }),
    sslmode: deps.tls.mode,
    logger: deps.logger,
    identity: { verify: deps.verifyIdentity },
    ...(deps.instances ? { instances: deps.instances } : {}),
    ...(config.delivery === 'secret' && deps.secrets ? { deliver: secretDelivery(config, deps.secrets) } : {}),
    ...(config.eventBus !== undefined && deps.eventBridge ? { publish: eventBridgePublisher({ client: deps.eventBridge, eventBus: config.eventBus }) } : {}),
  });
  return async (event, context) => {
    const response = await service(event, context?.awsRequestId);
    // The schedule retries and alarms on a failed invocation; people get the structured refusal instead.
    if (!response.ok && !response.refusal && isSweep(event)) throw new Error(response.message);
    return response;
  };
}

function isSweep(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as { action?: unknown }).action === 'sweep';
}

/** Writes host, port, database, username, password and expiry to the role's secret; returns only its ARN. */
function secretDelivery(config: BrokerConfig, source: ClientSource<Pick<SecretsManagerClient, 'send'>>): (issued: IssuedPassword) => Promise<DeliveredSecret> {
  return async (issued) => {
    const secretArn = config.secretArns?.[issued.role];
    if (!secretArn) throw new Error(`no secret is configured for role ${issued.role}; add it to secretArns`);
    const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const secrets = await resolveClient(source);
    await secrets.send(new PutSecretValueCommand({
      SecretId: secretArn,
      SecretString: JSON.stringify({
        host: issued.host, port: issued.port, database: issued.database, username: issued.username,
        password: issued.password, expiresAt: issued.expiresAt, sslmode: issued.sslmode,
      }),
    }));
    return { secretArn };
  };
}

/** One Signer per host: the host is part of what an IAM auth token is signed for. */
export function iamTokenProvider(config: BrokerConfig, region: string): PasswordProvider {
  const signers = new Map<string, Signer>();
  return (host) => {
    let signer = signers.get(host);
    if (!signer) {
      signer = new Signer({ hostname: host, port: config.port, username: config.brokerUser, region });
      signers.set(host, signer);
    }
    return signer.getAuthToken();
  };
}

/** Reads everything from the environment once, at cold start; a bad value fails the first invocation loudly. */
export function depsFromEnv(env: NodeJS.ProcessEnv): BrokerHandlerDeps {
  const raw = env[BROKER_CONFIG_ENV];
  if (!raw) throw new Error(`${BROKER_CONFIG_ENV} is not set; deploy the broker with the PasswordBroker construct`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${BROKER_CONFIG_ENV} is not valid JSON; deploy the broker with the PasswordBroker construct`);
  }
  const config = parseBrokerConfig(json);
  const region = env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set; the Lambda runtime sets it');
  const caFile = config.tls?.caFile;
  return {
    config,
    password: iamTokenProvider(config, region),
    // Without caFile: Node's trust store plus NODE_EXTRA_CA_CERTS, which the construct points at the RDS CAs.
    tls: { mode: 'verify-full', ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}) },
    verifyIdentity: stsIdentityVerifier({ brokerId: config.brokerId, endpoint: config.stsEndpoint ?? defaultStsEndpoint(region) }),
    logger: new Logger({ serviceName: 'firefighter-broker' }),
    // A warm container answers without a new TLS + IAM handshake; at most one connection per container.
    keepConnection: true,
    ...(config.delivery === 'secret' ? { secrets: once(async () => new (await import('@aws-sdk/client-secrets-manager')).SecretsManagerClient({ region })) } : {}),
    // Readers come and go after deploy: ask RDS (cached for a minute), short timeouts as for the bus.
    ...(config.rdsClusterIdentifier !== undefined ? {
      instances: discoveredInstances(config, rdsInstanceDiscovery(
        once(async () => new (await import('@aws-sdk/client-rds')).RDSClient({ region, maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 3000 } })),
        config.rdsClusterIdentifier)),
    } : {}),
    // Short timeouts and one retry: an unreachable bus (no endpoint, no NAT) costs a request seconds, not a minute.
    ...(config.eventBus !== undefined ? { eventBridge: new EventBridgeClient({ region, maxAttempts: 2, requestHandler: { connectionTimeout: 2000, requestTimeout: 3000 } }) } : {}),
  };
}

let cached: BrokerHandler | undefined;

/** The Lambda entry point. */
export async function handler(event: unknown, context: Context): Promise<BrokerResponse> {
  cached ??= createBrokerHandler(depsFromEnv(process.env));
  return cached(event, context);
}
