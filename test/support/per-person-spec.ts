// The reference spec with per-person firefighter logins: room for 20 concurrent broker connections, a
// search_path guardrail on ro, at most 25 ro and 5 rw logins, read-write approval.
import { readFileSync } from 'node:fs';
import type { RoleModelSpec } from '../../lib/spec/spec.js';
import { parseSpec } from '../../lib/spec/validate.js';

export const reference = JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8')) as RoleModelSpec;
const db0 = reference.databases[0]!;
export const perPersonSpec = parseSpec({
  ...reference,
  firefighterLogins: 'per-person',
  passwordBroker: { ...reference.passwordBroker, connectionLimit: 30 },
  databases: [{
    ...db0,
    readWriteApproval: true,
    roles: {
      ...db0.roles,
      firefighterRo: { ...db0.roles.firefighterRo, maxLogins: 25, guardrails: { ...db0.roles.firefighterRo.guardrails, searchPath: ['my-pg-db-schema', 'public'] } },
      firefighterRw: { ...db0.roles.firefighterRw, maxLogins: 5 },
    },
  }],
});
