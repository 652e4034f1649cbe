// Which spec roles an IAM principal may be given `rds-db:connect` for: the logins that authenticate with an IAM
// token (the app, the migrator, further IAM logins of the spec). The broker's user is the broker's alone, and a
// role without `iam` would ignore the token: a grant for it would look like access and be none.
import type { RoleModel } from './model.js';

/** The spec's IAM login roles a person or an application may connect as. */
export function grantableIamLogins(model: Pick<RoleModel, 'managed'>): string[] {
  return model.managed.filter((r) => r.iam && r.login && r.kind !== 'broker').map((r) => r.name);
}

/** Why `role` cannot be granted `rds-db:connect`, naming the fix; undefined when it can. */
export function grantConnectProblem(model: Pick<RoleModel, 'managed'>, role: string): string | undefined {
  const grantable = grantableIamLogins(model);
  if (grantable.includes(role)) return undefined;
  const choose = grantable.length > 0 ? `grant one of ${grantable.join(', ')}` : 'set "iam": true on the app or migrator role in the spec';
  const managed = model.managed.find((r) => r.name === role);
  if (!managed) return `role "${role}" is not a role of the spec; ${choose}`;
  if (managed.kind === 'broker') return `role "${role}" is the password broker's user, which only the broker function connects as; ${choose}`;
  if (managed.kind === 'firefighterRo' || managed.kind === 'firefighterRw') return `role "${role}" is a firefighter role, which gets temporary passwords from the broker only; use broker.grantRequest(principal, 'ro' | 'rw'), or ${choose}`;
  if (!managed.login) return `role "${role}" cannot log in (a NOLOGIN group); ${choose}`;
  return `role "${role}" logs in with a password, not an IAM token, so rds-db:connect would give it nothing; set "iam": true on it in the spec, or ${choose}`;
}
