// Routing the broker's events (lib/broker/protocol/broker-events.ts): the bus the broker publishes to, and rules that
// match one broker's events (source, detail-types, detail.broker) and send them to a target.
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { EVENT_OUTCOMES, EVENT_SOURCE } from '../../broker/protocol/broker-events.js';
import type { BrokerEventRuleOptions, BrokerNotifyTopicOptions } from './password-broker-props.js';
import { validationError } from '../util.js';



/** The bus for `eventBus` (undefined with `enableEvents: false`); the account's default bus when none is given. */
export function brokerEventBus(scope: Construct, bus: events.IEventBus | false | undefined): events.IEventBus | undefined {
  if (bus === false) return undefined;
  return bus ?? events.EventBus.fromEventBusName(scope, 'DefaultEventBus', 'default');
}

/** What the Lambda passes to PutEvents: the name for a bus of this account, the ARN for another account's. */
export function eventBusReference(scope: Construct, bus: events.IEventBus): string {
  const stack = Stack.of(scope);
  const sameAccount = JSON.stringify(stack.resolve(bus.env.account)) === JSON.stringify(stack.resolve(stack.account));
  return sameAccount ? bus.eventBusName : bus.eventBusArn;
}

export function brokerEventRule(scope: Construct, id: string, bus: events.IEventBus | undefined, brokerId: string, options: BrokerEventRuleOptions): events.Rule {
  if (!bus) throw validationError(`rule "${id}" needs the broker's events, and this broker was built with enableEvents: false; remove enableEvents: false`, scope);
  const outcomes = options.outcomes ?? [...EVENT_OUTCOMES];
  const unknown = outcomes.filter((o) => !(EVENT_OUTCOMES as readonly string[]).includes(o));
  if (outcomes.length === 0 || unknown.length > 0) {
    throw validationError(`rule "${id}" outcomes ${JSON.stringify(outcomes)} must be a non-empty list of BrokerEventOutcome values (${EVENT_OUTCOMES.join(', ')})`, scope);
  }
  return new events.Rule(scope, id, {
    eventBus: bus,
    description: options.description ?? `Firefighter events of broker ${brokerId}`,
    // detail.broker: two brokers publishing to one bus do not see each other's events.
    eventPattern: { source: [EVENT_SOURCE], detailType: outcomes.map((o) => `firefighter ${o}`), detail: { broker: [brokerId] } },
    ...(options.target ? { targets: [options.target] } : {}),
  });
}

export function snsTarget(topic: sns.ITopic, options: BrokerNotifyTopicOptions): events.IRuleTarget {
  return new targets.SnsTopic(topic, { ...(options.message ? { message: options.message } : {}) });
}
