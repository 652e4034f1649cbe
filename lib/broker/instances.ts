// Which instances the broker ends sessions on. Sessions and pg_terminate_backend are per instance, and a
// cluster's readers change after deploy (added by autoscaling or by hand, removed, replaced), so the Lambda asks
// the cloud at run time (lambda/rds-instances.ts) and keeps the answer for a short while. Without discovery
// (the CLI's --direct mode, tests) the configured list is the answer.
import type { BrokerConfig } from './protocol/broker-config.js';
import { redact } from './errors.js';

/** The cluster's instance endpoints as the cloud reports them now, writer first. */
export type InstanceDiscovery = () => Promise<readonly string[]>;

export interface InstanceView {
  /** Every instance to reach. */
  readonly hosts: readonly string[];
  /** Configured (deployed) instances that are no longer in the cluster: skipped, and reported. */
  readonly gone: readonly string[];
  /** Why the hosts are a stale or configured list rather than a fresh answer, when discovery failed. */
  readonly problem?: string;
}

export interface InstanceLookup {
  /** The instances now, from the cache while it is fresh. */
  current(): Promise<InstanceView>;
  /** Asks the cloud again (after an instance failed: it may have gone away since the cached answer). */
  refresh(): Promise<InstanceView>;
}

export interface InstanceLookupOptions {
  /** How long an answer is reused. @default 60_000 */
  readonly ttlMs?: number;
  /**
   * How long after a failed lookup the cloud is not asked again: without an RDS endpoint each attempt waits for
   * its timeouts (seconds), which every call would otherwise pay. @default 60_000
   */
  readonly failureBackoffMs?: number;
  /** For tests. @default Date.now */
  readonly now?: () => number;
}

/** The configured list, unchanged: for --direct mode and wherever the cloud cannot be asked. */
export function staticInstances(config: Pick<BrokerConfig, 'instanceHosts'>): InstanceLookup {
  const view: InstanceView = { hosts: config.instanceHosts, gone: [] };
  return { current: async () => view, refresh: async () => view };
}

/**
 * Discovered instances, cached for `ttlMs`. When discovery fails the last answer (or, before any, the configured
 * list) is used and the view says why, so a throttled or denied API call never stops a sweep.
 */
export function discoveredInstances(config: Pick<BrokerConfig, 'instanceHosts'>, discover: InstanceDiscovery, options: InstanceLookupOptions = {}): InstanceLookup {
  const ttl = options.ttlMs ?? 60_000;
  const backoff = options.failureBackoffMs ?? 60_000;
  const now = options.now ?? Date.now;
  let cached: { hosts: readonly string[]; at: number } | undefined;
  let failed: { why: string; at: number } | undefined;
  const view = (hosts: readonly string[], problem?: string): InstanceView => ({
    hosts, gone: config.instanceHosts.filter((h) => !hosts.includes(h)), ...(problem ? { problem } : {}),
  });
  const fallback = (why: string): InstanceView => (cached
    ? view(cached.hosts, `${why}; used the list from ${Math.round((now() - cached.at) / 1000)} s ago`)
    : { hosts: config.instanceHosts, gone: [], problem: `${why}; used the deployed list` });
  async function ask(afterFailure = false): Promise<InstanceView> {
    // A refresh comes after an instance failed: whether it went away is worth one more question, backoff or not.
    if (!afterFailure && failed && now() - failed.at < backoff) {
      return fallback(`${failed.why} ${Math.round((now() - failed.at) / 1000)} s ago, not asked again for ${Math.round(backoff / 1000)} s`);
    }
    try {
      const hosts = [...new Set(await discover())];
      if (hosts.length === 0) throw new Error('the cluster reported no instance with an endpoint');
      cached = { hosts, at: now() };
      failed = undefined;
      return view(hosts);
    } catch (error) {
      // An SDK message may quote a signed URL or an access key id; the view ends up in responses and audit lines.
      const message = redact(String((error as Error)?.message ?? error)).slice(0, 200);
      failed = { why: `instance discovery failed (${(error as Error)?.name ?? 'Error'}: ${message})`, at: now() };
      return fallback(failed.why);
    }
  }
  return {
    current: () => (cached && now() - cached.at < ttl ? Promise.resolve(view(cached.hosts)) : ask()),
    refresh: () => ask(true),
  };
}

/** What one invocation learnt about the instances, for its response and audit line. */
export class InstanceNotes {
  readonly gone = new Set<string>();
  readonly problems = new Set<string>();
  note(view: InstanceView): void {
    for (const host of view.gone) this.gone.add(host);
    if (view.problem) this.problems.add(view.problem);
  }
  /** `instancesGone` and `instanceLookup`, only when there is something to say. */
  report(): { instancesGone?: string[]; instanceLookup?: string } {
    return {
      ...(this.gone.size > 0 ? { instancesGone: [...this.gone].sort() } : {}),
      ...(this.problems.size > 0 ? { instanceLookup: [...this.problems].join('; ') } : {}),
    };
  }
}
