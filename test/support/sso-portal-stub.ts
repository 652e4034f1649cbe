// A local IAM Identity Center portal for `aws sso login` profiles: the SDK's SSO credential provider reads the
// cached token `aws sso login` wrote and calls GetRoleCredentials (GET /federation/credentials), which this
// answers with the role credentials it was given, for the token it was given only. The SDK reaches it through
// AWS_ENDPOINT_URL_SSO; the profile and the token cache live in a temporary HOME.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SsoPortal {
  /** Environment that makes the SDK's default chain use the profile `profile` through this portal. */
  readonly env: Record<string, string>;
  readonly profile: string;
  /** GetRoleCredentials calls answered, by "account/role". */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startSsoPortal(options: { account: string; permissionSet: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string } }): Promise<SsoPortal> {
  const token = `sso-access-token-${randomBytes(8).toString('hex')}`;
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/federation/credentials' || req.headers['x-amz-sso_bearer_token'] !== token) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Session token not found or invalid"}');
      return;
    }
    calls.push(`${url.searchParams.get('account_id')}/${url.searchParams.get('role_name')}`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ roleCredentials: { ...options.credentials, expiration: Date.now() + 3_600_000 } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const home = mkdtempSync(join(tmpdir(), 'sso-home-'));
  const startUrl = 'https://example.awsapps.com/start';
  const profile = 'oncall-sso';
  mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
  writeFileSync(join(home, '.aws', 'config'), `[profile ${profile}]\nsso_start_url = ${startUrl}\nsso_region = eu-west-1\nsso_account_id = ${options.account}\nsso_role_name = ${options.permissionSet}\nregion = eu-west-1\n`);
  writeFileSync(join(home, '.aws', 'credentials'), '');
  // What `aws sso login` leaves for a legacy (sso_start_url) profile: the file is named by sha1 of the start URL.
  const cache = createHash('sha1').update(startUrl).digest('hex');
  writeFileSync(join(home, '.aws', 'sso', 'cache', `${cache}.json`), JSON.stringify({ startUrl, region: 'eu-west-1', accessToken: token, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
  return {
    env: { HOME: home, AWS_CONFIG_FILE: join(home, '.aws', 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'), AWS_ENDPOINT_URL_SSO: `http://127.0.0.1:${port}` },
    profile,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
