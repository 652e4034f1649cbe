// Vitest global set-up of the PostgreSQL tests: checks, once and before any test file starts a server, what would
// otherwise make every PostgreSQL test fail with the same low-level error; then makes each tested major's
// template cluster (pg-template.ts), so the parallel files copy it instead of each making it at once.
import { testedMajors } from './embedded-server.js';
import { embeddedInitdbs, serverOsUser, unreachableMessage } from './os-user-access.js';
import { ensureTemplate } from './pg-template.js';

export async function setup(): Promise<void> {
  if (process.env.PG_TEST_URL !== undefined || process.env.PG_TEST_DRIVER === 'testcontainers') return;
  const user = serverOsUser();
  if (user) {
    for (const initdb of embeddedInitdbs()) {
      const message = unreachableMessage(initdb, user);
      if (message) throw new Error(message);
    }
  }
  await Promise.all(testedMajors().map((major) => ensureTemplate(major)));
}
