// Who is running verify (issue 10.7): the master (CREATEROLE, or SET ROLE admin), the spec's verifier, or a
// login that cannot see what verify needs; that last one is refused by name rather than allowed to report
// drift that is not there.
import type pg from 'pg';
import type { RoleModelSpec } from '../spec/spec.js';
import { quoteIdent } from '../plan/sql-text.js';

export type VerifySession = { readonly kind: 'master' | 'verifier'; readonly user: string };

const WHO = `SELECT current_user::pg_catalog.text AS "user", r.rolcreaterole AS createrole,
  pg_catalog.to_regrole($1) IS NOT NULL AS "adminExists",
  CASE WHEN pg_catalog.to_regrole($1) IS NULL THEN false
       WHEN pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 160000
         THEN pg_catalog.pg_has_role(current_user, pg_catalog.to_regrole($1)::pg_catalog.oid, 'SET')
       ELSE pg_catalog.pg_has_role(current_user, pg_catalog.to_regrole($1)::pg_catalog.oid, 'MEMBER') END AS "canSetAdmin"
  FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) current_user`;

export async function verifySession(client: pg.Client, spec: RoleModelSpec): Promise<VerifySession> {
  const admin = spec.admin.name;
  const { rows } = await client.query<{ user: string; createrole: boolean; adminExists: boolean; canSetAdmin: boolean }>(WHO, [quoteIdent(admin)]);
  const me = rows[0];
  if (!me) throw new Error('cannot read the current role from pg_roles');
  if (spec.verifier && me.user === spec.verifier.name) return { kind: 'verifier', user: me.user };
  if (me.createrole || me.canSetAdmin || !me.adminExists) return { kind: 'master', user: me.user };
  const verifier = spec.verifier
    ? `or as the spec's verifier ${spec.verifier.name}`
    : 'or name a verifier in the spec ("verifier": {"name": "my_pg_verifier", "iam": true}), apply it, and verify as that login';
  throw new Error(`cannot verify as ${me.user}: it is neither the master (no CREATEROLE, cannot SET ROLE ${admin}, which db_admin's allowlist and audit need) nor the spec's verifier; run verify as the master, ${verifier}`);
}
