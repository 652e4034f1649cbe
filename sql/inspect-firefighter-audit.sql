-- The broker's last word on each firefighter password: per role (or per-person login), the latest audit row
-- that gave or took validity, with its expiry formatted as sql/inspect-firefighter-passwords.sql formats
-- rolvaliduntil. A password matches the broker only if that latest row gave it exactly this expiry (an expiry
-- copied from an older, since expired, issue does not). Read as the admin role (it owns the audit tables),
-- read-only. $1: text[] shared-mode roles; $2: text[] per-person logins.
SELECT pg_catalog.json_build_object(
  'shared', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('name', x.name, 'action', x.action, 'until', x.until)), '[]')
    FROM (
      SELECT DISTINCT ON (a.role) a.role::pg_catalog.text AS name, a.action,
             pg_catalog.to_char(pg_catalog.timezone('UTC', a.expires_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS until
        FROM db_admin.firefighter_audit a
       WHERE a.role OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
         -- Not 'end-sessions' (sql/db_admin_holder.sql): it records a takeover's ended sessions, not a validity.
         AND a.action OPERATOR(pg_catalog.=) ANY (ARRAY['issue', 'takeover', 'reissue', 'extend', 'expire']::pg_catalog.text[])
       ORDER BY a.role, a.id DESC
    ) x),
  'logins', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('name', y.name, 'action', y.action, 'until', y.until)), '[]')
    FROM (
      SELECT DISTINCT ON (a.login) a.login::pg_catalog.text AS name, a.action,
             pg_catalog.to_char(pg_catalog.timezone('UTC', a.expires_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS until
        FROM db_admin.firefighter_login_audit a
       WHERE a.login OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])
         AND a.action OPERATOR(pg_catalog.=) ANY (ARRAY['issue', 'reissue', 'extend', 'revoke', 'drop']::pg_catalog.text[])
       ORDER BY a.login, a.id DESC
    ) y)
) AS facts;
