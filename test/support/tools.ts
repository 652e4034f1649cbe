// Tools from outside npm that a test runs (Debian's shellcheck, cfn-lint). A fresh machine has only what the
// project installs: .ci/run installs them and names them in REQUIRED_TOOLS, so on CI a missing tool fails the
// test instead of skipping it; elsewhere the test is skipped and its name says why.
import { spawnSync } from 'node:child_process';

export interface Tool {
  /** Run the test: the tool is on PATH, or it is required (and the test then fails on its absence). */
  readonly run: boolean;
  /** Appended to the test's name when it is skipped. */
  readonly note: string;
}

export function tool(name: string, install: string, env: NodeJS.ProcessEnv = process.env): Tool {
  const present = spawnSync(name, ['--version'], { encoding: 'utf8' }).status === 0;
  const required = (env.REQUIRED_TOOLS ?? '').split(',').map((t) => t.trim()).includes(name);
  return { run: present || required, note: present || required ? '' : ` (SKIPPED: ${name} is not installed; ${install})` };
}
