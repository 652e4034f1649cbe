// Synth-time checks of PasswordBroker props, each error naming the value and the fix.
import type { Construct } from 'constructs';
import type { RoleModelSpec } from '../../spec/spec.js';
import type { PasswordBrokerProps } from './password-broker-props.js';
import { validationError } from '../util.js';

/** Throws on props the broker would refuse or ignore; returns the checked reserved concurrency. */
export function checkBrokerProps(spec: RoleModelSpec, props: PasswordBrokerProps, scope: Construct): number | undefined {
  if (spec.passwordBroker.iam === false) {
    throw validationError(`passwordBroker.iam is false for "${spec.passwordBroker.name}"; the broker logs in with an IAM token, remove "iam": false from the spec`, scope);
  }
  const switchedOff: [string, string, boolean | undefined, unknown][] = [
    ['eventBus', 'enableEvents', props.enableEvents, props.eventBus],
    ['alarms', 'enableAlarms', props.enableAlarms, props.alarms],
    ['locatorParameterName', 'enableLocator', props.enableLocator, props.locatorParameterName],
  ];
  for (const [name, flag, enabled, option] of switchedOff) {
    if (enabled === false && option !== undefined) throw validationError(`${name} is given but ${flag} is false, so it would be ignored; remove ${name} or ${flag}: false`, scope);
  }
  const connectionLimit = spec.passwordBroker.connectionLimit ?? 3;
  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1 || (connectionLimit !== -1 && reserved > connectionLimit))) {
    throw validationError(`reservedConcurrentExecutions ${reserved} must be an integer from 1 to the broker user's connection limit (${connectionLimit}); lower it, leave it unset (the connection limit bounds the broker anyway) or raise passwordBroker.connectionLimit in the spec`, scope);
  }
  if (props.incidentIdPattern !== undefined) {
    try {
      new RegExp(props.incidentIdPattern);
    } catch {
      throw validationError(`incidentIdPattern ${JSON.stringify(props.incidentIdPattern)} is not a valid regular expression; fix its syntax`, scope);
    }
  }
  return reserved;
}
