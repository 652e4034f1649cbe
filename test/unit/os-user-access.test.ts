// The run-wide check in test/support/global-setup.ts: as root, a checkout the server's OS user cannot reach must
// stop the run with the path and the fix, not with initdb EACCES in every file.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embeddedInitdbs, serverOsUser, unreachableMessage } from '../support/os-user-access.js';

const asRoot = userInfo().uid === 0;

describe.skipIf(!asRoot)('the embedded server OS user check (as root)', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'os-user-access-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const user = serverOsUser();

  function fakeInitdb(dirMode: number): string {
    const home = path.join(root, `home-${dirMode.toString(8)}`);
    const bin = path.join(home, 'native', 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'initdb'), '#!/bin/sh\necho "initdb (PostgreSQL) 17"\n', { mode: 0o755 });
    chmodSync(home, dirMode);
    return path.join(bin, 'initdb');
  }

  it('names the directory the server user cannot search and the fix', () => {
    expect(user).toBeDefined();
    const initdb = fakeInitdb(0o700);
    const message = unreachableMessage(initdb, user!);
    expect(message).toContain(`it cannot run ${initdb} (`);
    expect(message).toContain(`${path.join(root, 'home-700')} is not searchable by other users`);
    expect(message).toContain(`chmod o+x ${path.join(root, 'home-700')}`);
    expect(message).toContain('not /root');
  });

  it('passes a checkout the server user can reach, including the installed binaries', () => {
    expect(unreachableMessage(fakeInitdb(0o755), user!)).toBeUndefined();
    const installed = embeddedInitdbs();
    expect(installed.length).toBeGreaterThan(0);
    for (const initdb of installed) expect(unreachableMessage(initdb, user!)).toBeUndefined();
  });
});
