// The broker Lambda's configuration as the construct writes it. Mirrors `BrokerConfig` of
// lib/core/broker-config.ts (agreed with the broker); values may still be CDK tokens here.
export const BROKER_CONFIG_ENV = 'FIREFIGHTER_BROKER_CONFIG';

export interface BrokerConfigShape {
  readonly clusterId: string;
  readonly brokerId: string;
  readonly port: number;
  readonly writerHost: string;
  readonly instanceHosts: string[];
  readonly brokerUser: string;
  readonly databases: { name: string; firefighterRo: string; firefighterRw: string }[];
  readonly allowlist: { ro: string[]; rw: string[] };
  readonly incidentIdPattern?: string;
  readonly delivery: 'response' | 'secret';
  readonly secretArns?: Record<string, string>;
  readonly stsEndpoint?: string;
  readonly tls?: { caFile?: string };
}
