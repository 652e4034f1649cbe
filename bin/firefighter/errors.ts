// One error shape for every path of the firefighter CLI (usage, broker refusal, broker failure, AWS, local
// checks), printed as JSON with --json:
//   { "ok": false, "code": "<STABLE_CODE>", "message": "<what and what to do>", "refusal": <bool>, "exitCode": <n> }
// Exit codes: 0 done, 1 failure, 2 refused or invalid input (usage included), 3 pending approval.
import { exitCodeOf, redact } from '../../lib/broker/errors.js';

export const EXIT = { done: 0, failure: 1, refused: 2, pending: 3 } as const;

/** Codes of the CLI itself, beside the broker's (lib/broker/errors.ts). */
export const CLI_ERROR_CODES = {
  /** The command line is wrong (exit 2). */
  usage: 'USAGE',
  /** A local prerequisite is missing: psql, TLS, a CA file (exit 2, nothing was issued). */
  precondition: 'PRECONDITION',
  /** AWS refused or could not be reached (region, credentials, permissions, the function) (exit 1). */
  aws: 'AWS',
} as const;

export interface CliError {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
  readonly refusal: boolean;
  readonly exitCode: number;
  readonly details?: Readonly<Record<string, string>>;
}

export function cliError(code: string, message: string, details?: Readonly<Record<string, string>>): CliError {
  const exitCode = code === CLI_ERROR_CODES.usage || code === CLI_ERROR_CODES.precondition ? EXIT.refused : code === CLI_ERROR_CODES.aws ? EXIT.failure : exitCodeOf(code);
  return { ok: false, code, message, refusal: exitCode === EXIT.refused, exitCode, ...(details && Object.keys(details).length ? { details } : {}) };
}

/**
 * AWS SDK errors rewritten to say what to do. The SDK's own messages ("Region is missing", "Could not load
 * credentials from any providers") name neither the flag nor the command that fixes them.
 */
export function awsError(error: unknown, context: { functionName: string; profile?: string; region?: string }, secrets: readonly (string | undefined)[] = []): CliError {
  const name = String((error as { name?: unknown })?.name ?? 'Error');
  const raw = redact(String((error as Error)?.message ?? error), secrets).slice(0, 300);
  const profile = context.profile ?? process.env.AWS_PROFILE;
  const login = profile ? `aws sso login --profile ${profile}` : 'aws sso login --profile <your profile> (and pass --profile or set AWS_PROFILE)';
  let message: string;
  if (/region is missing/i.test(raw) || name === 'RegionMissingError') {
    message = 'no AWS region is configured; pass --region eu-west-1 or set AWS_REGION';
  } else if (/could not load credentials|CredentialsProviderError/i.test(`${name} ${raw}`)) {
    message = `no AWS credentials were found; run ${login}, or set AWS_PROFILE`;
  } else if (/ExpiredToken|token.*expired|SSO session.*expired|refresh.*failed/i.test(`${name} ${raw}`)) {
    message = `your AWS session has expired; run ${login}`;
  } else if (name === 'ResourceNotFoundException') {
    message = `the broker function ${context.functionName} does not exist in ${context.region ?? 'this region'}; check --function and --region (the stack output FirefighterFunction names it)`;
  } else if (name === 'AccessDeniedException' || /not authorized to perform/i.test(raw)) {
    message = `your AWS identity may not invoke ${context.functionName}; ask the owner of the PasswordBroker construct to add your role as a requester (${raw})`;
  } else if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket|network/i.test(`${name} ${raw}`)) {
    message = `AWS could not be reached (${name}: ${raw}); check your network, proxy or VPN, and --region`;
  } else {
    message = `AWS refused the call (${name}: ${raw})`;
  }
  return cliError(CLI_ERROR_CODES.aws, message, { awsError: name.slice(0, 64) });
}
