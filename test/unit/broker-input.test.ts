// Strict parsing of broker events: the valid shapes, defaults, and at least 200 generated hostile inputs, each
// refused with INVALID_INPUT and a message that names the field but never repeats a long value.
import { describe, expect, it } from 'vitest';
import { BrokerInputError, parseBrokerInput, type InputRules } from '../../lib/broker/protocol/broker-input.js';
import { incidentIdMatcher } from '../../lib/broker/protocol/broker-config.js';
import { hostileInputs } from '../support/hostile-broker-inputs.js';

const rules: InputRules = { incidentId: incidentIdMatcher({ incidentIdPattern: 'INC-[0-9]+' }), incidentIdHint: 'INC-[0-9]+', databases: ['my-pg-db', 'other-db'] };
const request = () => ({ action: 'request', role: 'ro', incidentId: 'INC-1', reason: 'orders stuck' } as Record<string, unknown>);
const revoke = () => ({ action: 'revoke', role: 'rw', incidentId: 'INC-1' } as Record<string, unknown>);

describe('parseBrokerInput', () => {
  it('fills the defaults: 2 hours, no takeover, the default revoke reason', () => {
    expect(parseBrokerInput(request(), rules)).toEqual({ action: 'request', access: 'ro', incidentId: 'INC-1', reason: 'orders stuck', hours: 2, takeover: false });
    expect(parseBrokerInput(revoke(), rules)).toEqual({ action: 'revoke', access: 'rw', incidentId: 'INC-1', reason: 'revoked by the requester' });
    expect(parseBrokerInput({ action: 'sweep' }, rules)).toEqual({ action: 'sweep' });
    expect(parseBrokerInput({ action: 'status' }, rules)).toEqual({ action: 'status' });
  });

  it('keeps a reason with SQL in it verbatim: it is text, bound as a parameter', () => {
    const reason = `'; DROP ROLE my_pg_admin; --`;
    expect(parseBrokerInput({ ...request(), reason, hours: 1, takeover: true, database: 'other-db' }, rules)).toMatchObject({ reason, hours: 1, takeover: true, database: 'other-db' });
  });

  it.each([
    [{ ...request(), hours: '2' }, 'hours: must be the number 1 or 2, got a string of 1 characters'],
    [{ ...request(), hours: NaN }, 'hours: must be the number 1 or 2, got the number NaN'],
    [{ ...request(), role: 'admin' }, 'role: must be "ro" or "rw", got "admin"'],
    [{ ...request(), incidentId: 'CHG-1' }, 'incidentId: does not match this broker\'s incident id format (INC-[0-9]+); use your ticket\'s id'],
    [{ ...request(), reason: 'x'.repeat(1001) }, 'reason: is 1001 characters; the limit is 1000'],
    [{ ...request(), reason: 'line\nforged' }, 'reason: contains the invisible or control character U+000A at position 5; type the text again without it'],
    [{ ...request(), incidentId: 'INC-\u200b1' }, 'incidentId: contains the invisible or control character U+200B at position 5; type the text again without it'],
    [{ ...request(), incidentId: '\ufeffINC-1' }, 'incidentId: contains the invisible or control character U+FEFF at position 1; type the text again without it'],
    [{ ...request(), reason: 'cancel \u061corder 17' }, 'reason: contains the invisible or control character U+061C at position 8; type the text again without it'],
    [{ ...request(), incidentId: 'INC-1 ' }, 'incidentId: starts or ends with white space; remove it'],
    [{ ...request(), reason: '\u00a0orders stuck' }, 'reason: starts or ends with white space; remove it'],
    [{ ...request(), database: 'postgres' }, 'database: must be one of "my-pg-db", "other-db", got a string of 8 characters'],
    [{ ...request(), password: 'x' }, 'password: is not accepted by request; allowed keys are action, role, incidentId, reason, hours, takeover, endSessions, database, identity'],
    [{ action: 'sweep', role: 'ro' }, 'role: is not accepted by sweep; allowed keys are action'],
    [{ action: 'DROP' }, 'action: must be one of request, revoke, status, sweep, extend, approve, deny, history, requests, got a string of 4 characters'],
    [null, '(event): must be a JSON object with an "action", got null'],
  ])('refuses %j with a message naming the field', (event, message) => {
    expect(() => parseBrokerInput(event, rules)).toThrow(new BrokerInputError('x', 'x').constructor as never);
    expect(() => parseBrokerInput(event, rules)).toThrow(message);
  });

  const generated = [...hostileInputs(request), ...hostileInputs(revoke, ['action', 'role', 'incidentId'])];

  it('has at least 200 generated hostile inputs', () => {
    expect(generated.length).toBeGreaterThanOrEqual(200);
  });

  it.each(generated.map((g) => [g.name, g.event] as const))('refuses %s', (_name, event) => {
    let error: unknown;
    try {
      parseBrokerInput(event, rules);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BrokerInputError);
    const message = (error as Error).message;
    expect(message.length).toBeLessThan(300);
    // eslint-disable-next-line no-control-regex -- a refusal must not carry the control characters it refused
    expect(message).not.toMatch(/[\u0000-\u001f\u202e]/);
  });
});
