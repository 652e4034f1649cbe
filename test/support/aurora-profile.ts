// The Aurora profile every test server gets: what the Aurora operator sets up before the customer connects,
// and the rules Aurora enforces at login that a stock PostgreSQL would not.
//
// 1. Roles (AWS: "Understanding PostgreSQL roles and permissions", "Restricting password management").
//    rds_superuser holds exactly what AWS documents: on 16+ pg_checkpoint, pg_monitor, pg_signal_backend,
//    pg_use_reserved_connections, rds_password, rds_replication; on 15 pg_monitor, pg_signal_backend,
//    rds_password, rds_replication. Never rds_iam, never pg_read_all_data. The master is
//    `LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE`, member of rds_superuser, and can GRANT rds_iam without
//    having its privileges: on 15 CREATEROLE lets it grant any non-superuser role, so rds_superuser is no member
//    of rds_iam at all; on 16+ granting needs ADMIN OPTION, so rds_superuser holds rds_iam WITH ADMIN OPTION,
//    INHERIT FALSE, SET FALSE.
// 2. rds.force_ssl = 1: pg_hba has `hostssl` lines only, so a plaintext connection finds no entry.
// 3. The rds_iam rule: a role with the privileges of rds_iam logs in with an IAM token only. Aurora checks the
//    token as a cleartext password inside TLS (pg_hba `pam`). Here the emulated IAM service is
//    `issueIamToken(role)`: it sets a token-sized password on the role and adds the role to the file
//    `iam_token_roles`, which pg_hba names in a `password` (cleartext) line before every other customer line.
//    Any other login of a role that holds rds_iam must fail, and how that is checked differs per major:
//    - 15: pg_hba `+rds_iam reject`. On 15 `+role` matches members, and membership is what gives privileges
//      (the master is no member of rds_iam), so this is Aurora's rule exactly.
//    - 17: pg_hba's `+role` also matches grants without INHERIT (the master's ADMIN-only grant of rds_iam, its
//      ADMIN-only grants of the roles it creates), which would lock out a master Aurora lets in. So a login
//      event trigger (in template1 and postgres, hence in every database) refuses a session whose user has
//      the privileges of rds_iam (pg_has_role ... USAGE) unless it authenticated through the token line
//      (system_user starts with `password:`).
//    - 16: the same `+role` problem and no login event triggers, and no SQL runs before a session starts. So the
//      members of rds_iam (in the hba sense) authenticate through `radius` against a small RADIUS server in a
//      worker thread of the test process (iam-radius.mjs): it refuses a role that has the privileges of
//      rds_iam and otherwise checks the password against the role's SCRAM verifier, so the master keeps its
//      password login exactly while it does not inherit rds_iam. (RADIUS caps passwords at 128 characters,
//      which is why tokens take the `password` line.)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PgMajor } from './pg-major.js';

export const SUPERUSER = 'rdsadmin';
/** The bootstrap superuser's password: test set-up only, never the code under test. */
export const SUPERUSER_PASSWORD = 'bootstrap-superuser-only';
export const MASTER_USER = 'postgres';
export const MASTER_PASSWORD = 'aurora-like-master-password';
/** The file pg_hba.conf includes (`@iam_token_roles`): roles the emulated IAM service issued a token for. */
export const IAM_TOKEN_FILE = 'iam_token_roles';
// A name no role has, so the included list is never empty (an empty user list is a pg_hba syntax error).
const NO_TOKEN_ROLE = 'no-iam-token-issued-yet';

/** What AWS documents that rds_superuser holds, per major (it also holds what pg_monitor contains). */
export function rdsSuperuserRoles(major: PgMajor): string[] {
  return major >= 16
    ? ['pg_checkpoint', 'pg_monitor', 'pg_signal_backend', 'pg_use_reserved_connections', 'rds_password', 'rds_replication']
    : ['pg_monitor', 'pg_signal_backend', 'rds_password', 'rds_replication'];
}

export function tokenFileText(roles: readonly string[]): string {
  return [NO_TOKEN_ROLE, ...roles].map((r) => `"${r.replace(/"/g, '""')}"`).join('\n') + '\n';
}

export interface HbaOptions {
  readonly major: PgMajor;
  /** 16 only: where the RADIUS checker listens, and the shared secret. */
  readonly radius?: { readonly port: number; readonly secret: string };
}

/** pg_hba.conf of an Aurora-like server: TLS only, the superuser first, tokens in cleartext inside TLS. */
export function hbaConf({ major, radius }: HbaOptions): string {
  const net = '127.0.0.1/32';
  const lines = [
    '# Aurora-like (test/support/aurora-profile.ts): hostssl only, like rds.force_ssl = 1.',
    `hostssl all         ${SUPERUSER} ${net} scram-sha-256`,
    `hostssl replication ${SUPERUSER} ${net} scram-sha-256`,
    '# IAM tokens (the emulated IAM service issued one): a cleartext password inside TLS, like Aurora\'s pam.',
    `hostssl all @${IAM_TOKEN_FILE} ${net} password`,
  ];
  if (major === 15) lines.push('# 15: a member of rds_iam without a token cannot log in.', `hostssl all +rds_iam ${net} reject`);
  if (major === 16) {
    if (!radius) throw new Error('a postgresql 16 aurora profile needs the rds_iam radius checker');
    lines.push(
      '# 16: members of rds_iam in any form ask the checker, which refuses those with its privileges.',
      `hostssl all +rds_iam ${net} radius radiusservers=127.0.0.1 radiusports=${radius.port} radiussecrets="${radius.secret}"`,
    );
  }
  lines.push(`hostssl all all ${net} scram-sha-256`);
  return lines.join('\n') + '\n';
}

/** The 17 rule: a login event trigger in a database (created in template1, so every new database has it). */
export const LOGIN_RULE_SQL = `
CREATE FUNCTION pg_catalog.rds_iam_login_rule() RETURNS event_trigger LANGUAGE plpgsql
  SET search_path = pg_catalog AS $rule$
BEGIN
  -- A superuser has the privileges of every role; only rdsadmin is one here, and Aurora does not apply pam to it.
  IF pg_catalog.pg_has_role(SESSION_USER, 'rds_iam', 'USAGE')
     AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = SESSION_USER)
     AND pg_catalog.starts_with(COALESCE(SYSTEM_USER, ''), 'password:') IS NOT TRUE THEN
    RAISE EXCEPTION 'PAM authentication failed for user "%"', SESSION_USER
      USING ERRCODE = 'invalid_password',
            HINT = 'the role has the privileges of rds_iam, so it must log in with an IAM token (aurora-like test server)';
  END IF;
END
$rule$;
CREATE EVENT TRIGGER rds_iam_login_rule ON login EXECUTE FUNCTION pg_catalog.rds_iam_login_rule();
`;

/** The operator's set-up, as the bootstrap superuser. */
export function rolesSql(major: PgMajor): string {
  return `
    CREATE ROLE rds_superuser NOLOGIN;
    CREATE ROLE rds_iam NOLOGIN;
    CREATE ROLE rds_password NOLOGIN;
    CREATE ROLE rds_replication NOLOGIN;
    GRANT ${rdsSuperuserRoles(major).join(', ')} TO rds_superuser WITH ADMIN OPTION;
    ${major >= 16 ? 'GRANT rds_iam TO rds_superuser WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;' : ''}
    CREATE ROLE ${MASTER_USER} WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE NOREPLICATION
      VALID UNTIL 'infinity' PASSWORD '${MASTER_PASSWORD}';
    GRANT rds_superuser TO ${MASTER_USER};
  `;
}

/** Applies the roles (and on 17 the login rule) through a superuser connection. */
export async function applyProfileSql(superuser: (database: string) => pg.ClientConfig, major: PgMajor, options: { loginRule: boolean }): Promise<void> {
  const run = async (database: string, sql: string) => {
    const client = new pg.Client(superuser(database));
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run('postgres', rolesSql(major));
  if (options.loginRule && major >= 17) {
    for (const db of ['template1', 'postgres']) await run(db, LOGIN_RULE_SQL);
  }
}

/**
 * An emulated RDS IAM auth token: the shape of the real one (a presigned `connect` URL, ~1000 characters with
 * a session token), random, so each call is a distinct credential.
 */
export function fakeIamToken(host: string, port: number, user: string): string {
  const hex = (n: number) => randomBytes(n).toString('hex');
  const session = randomBytes(600).toString('base64').replace(/[+/=]/g, (c) => ({ '+': '%2B', '/': '%2F', '=': '%3D' })[c] ?? c);
  return `${host}:${port}/?Action=connect&DBUser=${encodeURIComponent(user)}&X-Amz-Algorithm=AWS4-HMAC-SHA256`
    + `&X-Amz-Credential=ASIA${hex(8).toUpperCase()}%2F20260101%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date=20260101T000000Z`
    + `&X-Amz-Expires=900&X-Amz-Security-Token=${session}&X-Amz-SignedHeaders=host&X-Amz-Signature=${hex(32)}`;
}
