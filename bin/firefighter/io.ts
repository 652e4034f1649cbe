// What the firefighter CLI reads and writes, injected so tests run it without a terminal, psql or AWS.
import type { BrokerResponse } from '../../lib/broker/service.js';
import type { GetParameter, ListParameters } from '../firefighter-cluster.js';
import type { LambdaOptions } from './lambda.js';
import type { TunnelDeps } from './tunnel.js';
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Runs psql with this environment and no arguments; resolves to its exit code. */
  readonly psql?: (env: NodeJS.ProcessEnv) => Promise<number>;
  /** Whether psql can be started; checked before anything is issued with --connect. @default - `psql --version` runs (assumed when psql is injected) */
  readonly psqlAvailable?: () => Promise<boolean>;
  /** Sends an event to the broker Lambda; the default uses @aws-sdk/client-lambda. */
  readonly invoke?: (options: LambdaOptions, event: Record<string, unknown>) => Promise<BrokerResponse>;
  /** Reads the broker locator from SSM (--cluster); the default uses @aws-sdk/client-ssm. */
  readonly getParameter?: GetParameter;
  /** Lists the broker locators under a cluster's path in SSM (--cluster without --stack); the default uses @aws-sdk/client-ssm. */
  readonly listParameters?: ListParameters;
  /** PATH lookups, the AWS CLI child and port checks of --tunnel. */
  readonly tunnel?: Partial<TunnelDeps>;
}
