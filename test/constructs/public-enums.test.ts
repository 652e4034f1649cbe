// The enums of the public construct API (jsii has no string literal types, so choices are enums, as in aws-cdk-lib)
// carry the strings the broker runtime and the deployed templates read: a renamed value would change a template
// or make the broker refuse its own configuration, so each value is pinned here, against the runtime's own lists.
import { describe, expect, it } from 'vitest';
import {
  AUDIT_METRIC_OUTCOMES, AuditMetricKind, BrokerEventOutcome, BundleName, FirefighterAccess, LambdaEndpoints, PasswordDelivery,
} from '../../lib/index.js';
import { firefighterRole, parseBrokerConfig, type BrokerConfig, type FirefighterAccess as RuntimeAccess } from '../../lib/broker/protocol/broker-config.js';
import { EVENT_OUTCOMES } from '../../lib/broker/protocol/broker-events.js';

// The construct enums are the runtime's types (checked by tsc with the test files).
const accessIsRuntimeAccess: RuntimeAccess = FirefighterAccess.READ_ONLY as FirefighterAccess;
const deliveryIsRuntimeDelivery: BrokerConfig['delivery'] = PasswordDelivery.RESPONSE as PasswordDelivery;

const config = (delivery: PasswordDelivery) => parseBrokerConfig({
  clusterId: 'my-pg', brokerId: 'b', port: 5432, writerHost: 'h.example', instanceHosts: ['h.example'], brokerUser: 'my_pg_password_broker',
  databases: [{ name: 'my-pg-db', firefighterRo: 'my_pg_firefighter_ro', firefighterRw: 'my_pg_firefighter_rw' }],
  allowlist: { [FirefighterAccess.READ_ONLY]: ['arn:aws:iam::123456789012:role/oncall'], [FirefighterAccess.READ_WRITE]: [] },
  delivery,
  ...(delivery === PasswordDelivery.SECRET ? { secretArns: {
    my_pg_firefighter_ro: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ro', my_pg_firefighter_rw: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rw',
  } } : {}),
});

describe('the public API\'s enums carry the strings the runtime expects', () => {
  it('FirefighterAccess: the broker\'s allowlist keys, each naming its firefighter role', () => {
    expect({ ...FirefighterAccess }).toEqual({ READ_ONLY: 'ro', READ_WRITE: 'rw' });
    expect(accessIsRuntimeAccess).toBe('ro');
    const parsed = config(PasswordDelivery.RESPONSE);
    expect(Object.keys(parsed.allowlist)).toEqual(['ro', 'rw']);
    expect(firefighterRole(parsed, FirefighterAccess.READ_ONLY)?.role).toBe('my_pg_firefighter_ro');
    expect(firefighterRole(parsed, FirefighterAccess.READ_WRITE)?.role).toBe('my_pg_firefighter_rw');
  });

  it('PasswordDelivery: each value is a delivery the broker\'s configuration parser accepts', () => {
    expect({ ...PasswordDelivery }).toEqual({ RESPONSE: 'response', SECRET: 'secret' });
    expect(deliveryIsRuntimeDelivery).toBe('response');
    for (const delivery of Object.values(PasswordDelivery)) expect(config(delivery).delivery).toBe(delivery);
  });

  it('BrokerEventOutcome: exactly the outcomes the broker publishes, in its order', () => {
    expect(Object.values(BrokerEventOutcome)).toEqual([...EVENT_OUTCOMES]);
    expect(BrokerEventOutcome.ISSUED).toBe('issued');
    expect(BrokerEventOutcome.SWEPT).toBe('swept');
  });

  it('AuditMetricKind: one metric per audit outcome the broker writes', () => {
    expect({ ...AuditMetricKind }).toEqual({ ERRORS: 'errors', REFUSALS: 'refusals', TAKEOVERS: 'takeovers' });
    expect(AUDIT_METRIC_OUTCOMES).toEqual({ errors: 'failed', refusals: 'refused', takeovers: 'takeover' });
    for (const outcome of Object.values(AUDIT_METRIC_OUTCOMES)) expect(EVENT_OUTCOMES).toContain(outcome);
  });

  it('LambdaEndpoints and BundleName keep the strings of the templates and the package layout', () => {
    expect({ ...LambdaEndpoints }).toEqual({ AUTO: 'auto', CREATE: 'create', EXISTING: 'existing' });
    expect({ ...BundleName }).toEqual({ ROLEMODEL_HANDLER: 'rolemodel-handler', BROKER_HANDLER: 'broker-handler' });
  });
});
