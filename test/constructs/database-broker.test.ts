// Issue 18, item 8: `db.broker` is there whenever the broker is (no optional chaining), and names the prop when not.
import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { FirefighterAccess, FirefighterDatabase, PasswordBroker, PasswordDelivery } from '../../lib/constructs/index.js';
import { parseSpec } from '../../lib/spec/validate.js';
import { ensureBundles, REPO } from './support.js';

const spec = parseSpec(JSON.parse(readFileSync(`${REPO}/examples/reference.json`, 'utf8')));

beforeAll(() => ensureBundles());

describe('FirefighterDatabase.broker', () => {
  it('is the broker by default, typed without undefined', () => {
    const stack = new Stack(new App(), 'Db');
    const db = new FirefighterDatabase(stack, 'MyPg', { spec });
    const broker: PasswordBroker = db.broker;
    broker.grantRequest(new iam.Role(stack, 'Oncall', { assumedBy: new iam.AccountRootPrincipal() }), FirefighterAccess.READ_ONLY);
    expect(broker).toBeInstanceOf(PasswordBroker);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 3);
  });

  it('throws, naming enableBroker, when the broker was left out', () => {
    const stack = new Stack(new App(), 'Db');
    const db = new FirefighterDatabase(stack, 'MyPg', { spec, enableBroker: false });
    expect(() => db.broker).toThrow('Db/MyPg: broker: this FirefighterDatabase was built with enableBroker: false, so it has no password broker; remove enableBroker: false to deploy one');
    expect(stack.node.findAll().filter((c) => c instanceof PasswordBroker)).toEqual([]);
  });

  it('refuses broker options with enableBroker: false', () => {
    expect(() => new FirefighterDatabase(new Stack(new App(), 'Db'), 'MyPg', { spec, enableBroker: false, broker: { delivery: PasswordDelivery.SECRET } }))
      .toThrow('Db/MyPg: broker options are given but enableBroker is false, so there is no broker to apply them to; remove the broker options or enableBroker: false');
  });
});
