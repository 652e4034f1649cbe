// Issue 18, item 8: the broker's parts are switched off with boolean flags (enableEvents, enableAlarms,
// enableLocator), not `X | false` props; an option given with its switch off is refused, not silently ignored.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterDatabase, PasswordDelivery, type PasswordBrokerOptions } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

function build(broker: PasswordBrokerOptions, busOf?: (stack: Stack) => events.IEventBus) {
  const stack = new Stack(new App(), 'Switches');
  const db = new FirefighterDatabase(stack, 'MyPg', { spec, broker: { ...broker, ...(busOf ? { eventBus: busOf(stack) } : {}) } });
  return { db, template: Template.fromStack(stack) };
}

beforeAll(() => ensureBundles());

describe('broker switches', () => {
  it('enableEvents, enableAlarms and enableLocator: false leave out the bus, the alarms and the locator', () => {
    const { db, template } = build({ enableEvents: false, enableAlarms: false, enableLocator: false });
    expect(db.broker.eventBus).toBeUndefined();
    expect(db.broker.alarms).toBeUndefined();
    expect(db.broker.locatorParameter).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SSM::Parameter', 0);
  });

  it.each([
    ['eventBus', 'enableEvents', { enableEvents: false }, (stack: Stack) => new events.EventBus(stack, 'Bus')],
    ['alarms', 'enableAlarms', { enableAlarms: false, alarms: { refusalThreshold: 5 } }, undefined],
    ['locatorParameterName', 'enableLocator', { enableLocator: false, locatorParameterName: '/mine/broker' }, undefined],
  ] as const)('refuses %s with %s: false, naming both', (name, flag, options, bus) => {
    expect(() => build(options, bus)).toThrow(`Switches/MyPg/Broker: ${name} is given but ${flag} is false, so it would be ignored; remove ${name} or ${flag}: false`);
  });

  it('passwordSecrets is a plain object from role to secret', () => {
    const { db } = build({ delivery: PasswordDelivery.SECRET });
    expect(Object.keys(db.broker.passwordSecrets).sort()).toEqual(['my_pg_firefighter_ro', 'my_pg_firefighter_rw']);
  });
});
