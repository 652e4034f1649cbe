// scripts/deploy-e2e.sh, "the first thing to run in a new account", cannot be run here (no AWS). What can be
// checked without it: shellcheck finds nothing, and `--dry-run` synthesizes the stack it would deploy and prints
// every command it would run, each value it reads after the deploy coming from an output that stack has, and
// without calling AWS at all (an `aws` on PATH that records its calls and fails).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tool } from '../support/tools.js';
import { ensureBundles, REPO } from './support.js';

const SCRIPT = path.join(REPO, 'scripts', 'deploy-e2e.sh');
const shellcheck = tool('shellcheck', 'apt-get install shellcheck');

describe('scripts/deploy-e2e.sh', () => {
  // Debian's shellcheck, installed by .ci/run; the project's other shell script is .ci/run itself.
  it.skipIf(!shellcheck.run)(`and .ci/run are shellcheck-clean${shellcheck.note}`, () => {
    const result = spawnSync('shellcheck', [SCRIPT, path.join(REPO, '.ci', 'run')], { encoding: 'utf8' });
    expect(result.error?.message).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  describe('--dry-run', () => {
    let bin: string;
    let output: string;
    let status: number | null;

    beforeAll(() => {
      ensureBundles();
      bin = mkdtempSync(path.join(tmpdir(), 'e2e-dry-run-'));
      // Any call to AWS is a failure of the dry run: this `aws` records it and fails.
      writeFileSync(path.join(bin, 'aws'), `#!/bin/sh\necho "$@" >> "${bin}/aws-calls"\nexit 1\n`);
      chmodSync(path.join(bin, 'aws'), 0o755);
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
      // One stream, in the order the script wrote it (the captured commands print to stderr).
      const result = spawnSync('bash', ['-c', 'bash "$0" --dry-run 2>&1', SCRIPT], {
        cwd: REPO, encoding: 'utf8', timeout: 240_000,
        env: { ...env, PATH: `${bin}:${process.env.PATH ?? ''}`, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_EC2_METADATA_DISABLED: 'true' },
      });
      output = `${result.stdout}${result.stderr}`;
      status = result.status;
    }, 300_000);
    afterAll(() => {
      if (bin) rmSync(bin, { recursive: true, force: true });
    });

    it('exits 0 without calling AWS', () => {
      expect(status, output).toBe(0);
      expect(() => readFileSync(path.join(bin, 'aws-calls'), 'utf8')).toThrow();
    });

    it('prints the preflight: who the caller is (a role, not its session) and the account\'s Lambda concurrency', () => {
      const commands = output.split('\n').filter((l) => l.startsWith('+ '));
      expect(commands.slice(0, 3)).toEqual([
        '+ aws sts get-caller-identity --query Arn --output text',
        '+ aws iam get-role --role-name \\<role\\ of\\ the\\ session\\> --query Role.Arn --output text',
        '+ aws lambda get-account-settings --query AccountLimit.UnreservedConcurrentExecutions --output text',
      ]);
    });

    it('prints the deploy, the CLI calls with values from the stack\'s outputs, and the destroy', () => {
      const commands = output.split('\n').filter((l) => l.startsWith('+ ')).slice(3);
      expect(commands.map((c) => c.split(' ').slice(1, 5).join(' '))).toEqual([
        'npm run build',
        'npx cdk deploy --require-approval',
        'npx tsx bin/firefighter.ts request',
        'npx tsx bin/firefighter.ts status',
        'npx tsx bin/firefighter.ts revoke',
        'npx cdk destroy --force',
        'aws cloudformation describe-stacks --stack-name',
      ]);
      const request = commands.find((c) => c.includes('firefighter.ts request')) ?? '';
      expect(request).toContain('--function \\<output\\ BrokerFunctionName\\> --broker-id \\<output\\ BrokerId\\> --database \\<output\\ DatabaseName\\>');
      expect(commands.find((c) => c.includes('firefighter.ts status'))).toContain('--cluster \\<output\\ ClusterName\\> --stack FirefighterExample');
      // The caller's role (never the session) is what the broker allowlists.
      expect(commands.find((c) => c.includes('cdk deploy'))).toContain('-c requesters-ro=\\<caller\\ role\\ ARN\\>');
      // No value left empty or unexpanded.
      expect(commands.filter((c) => /=''|\$\{|''\s/.test(c))).toEqual([]);
    });

    it('reads only outputs the synthesized stack has', () => {
      const template = JSON.parse(readFileSync(path.join(REPO, 'cdk.out', 'e2e-dry-run', 'FirefighterExample.template.json'), 'utf8')) as { Outputs: Record<string, unknown> };
      const read = [...new Set([...output.matchAll(/<output\\? (\w+)\\?>/g)].map((m) => m[1] as string))].sort();
      expect(read).toEqual(['BrokerFunctionName', 'BrokerId', 'BrokerLocatorParameter', 'ClusterEndpoint', 'ClusterName', 'DatabaseName']);
      expect(read.filter((key) => !(key in template.Outputs))).toEqual([]);
    });
  });
});
