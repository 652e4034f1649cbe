// The broker's actions by name: one module each. Adding an action: its input in protocol/broker-input.ts, its
// module here (allowlists, audit fields, run), and, if it differs between shared and per-person logins, a method
// on BrokerMode (modes/mode.ts) with both implementations.
import type { BrokerInput } from '../protocol/broker-input.js';
import type { ActionHandler } from './action.js';
import { decide } from './decide.js';
import { extend } from './extend.js';
import { history } from './history.js';
import { request } from './request.js';
import { requests } from './requests.js';
import { revoke } from './revoke.js';
import { status } from './status.js';
import { sweep } from './sweep.js';

type Table = { readonly [A in BrokerInput['action']]: ActionHandler<Extract<BrokerInput, { action: A }>> };

const ACTIONS: Table = { request, revoke, extend, approve: decide, deny: decide, status, sweep, history, requests };

/** The module that runs this input's action. */
export function actionOf<I extends BrokerInput>(input: I): ActionHandler<I> {
  return ACTIONS[input.action] as unknown as ActionHandler<I>;
}
