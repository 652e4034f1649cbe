// Vitest global set-up: checks, once and before any test file starts a server, what would otherwise make every
// PostgreSQL test fail with the same low-level error.
import { embeddedInitdbs, serverOsUser, unreachableMessage } from './os-user-access.js';

export function setup(): void {
  if (process.env.PG_TEST_URL !== undefined || process.env.PG_TEST_DRIVER === 'testcontainers') return;
  const user = serverOsUser();
  if (!user) return;
  for (const initdb of embeddedInitdbs()) {
    const message = unreachableMessage(initdb, user);
    if (message) throw new Error(message);
  }
}
