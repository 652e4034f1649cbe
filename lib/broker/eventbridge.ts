// The EventBridge adapter for the broker's `publish`: one PutEvents entry per broker action. A rejected entry
// (PutEvents answers 200 with FailedEntryCount) is a failure too, so the audit line says the team was not told.
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BrokerEvent } from './events.js';

export interface EventBridgePublisherOptions {
  /** Built once per container; only `send` is used, so tests pass aws-sdk-client-mock's client. */
  readonly client: Pick<EventBridgeClient, 'send'>;
  /** The bus name or ARN. @default 'default' - the account's default event bus */
  readonly eventBus?: string;
}

export function eventBridgePublisher(options: EventBridgePublisherOptions): (event: BrokerEvent) => Promise<void> {
  const eventBus = options.eventBus ?? 'default';
  return async (event) => {
    const out = await options.client.send(new PutEventsCommand({
      Entries: [{ EventBusName: eventBus, Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail) }],
    }));
    if ((out.FailedEntryCount ?? 0) > 0) {
      const entry = out.Entries?.[0];
      throw new Error(`event bus ${eventBus} rejected the ${event.detailType} event: ${entry?.ErrorCode ?? 'no error code'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  };
}
