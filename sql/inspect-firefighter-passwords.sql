-- Firefighter passwords that did not come from the broker (issue 10, item 4), as one JSON document.
-- Run inside a managed database, read-only. $1: text[] firefighter roles (shared mode: the logins);
-- $2: text[] per-person groups, whose logins are named `<group>_<6 hex>` (sql/db_admin_per_person.sql).
--
-- Nobody but a superuser reads pg_authid, so whether a role has a password at all is unknowable here; what is
-- visible is rolvaliduntil. The engine creates firefighter roles already expired (VALID UNTIL 1970), and the
-- broker only ever sets a validity of 1 or 2 hours from the server clock. So a LOGIN role whose validity is
-- unset (NULL) or infinite, more than 2 hours away, or in the future without an audit row of the broker for
-- exactly that expiry (read by lib/postgres/inspect-passwords.ts) holds a password someone set by hand.
-- Time is judged by the server clock, never the client's.
SELECT pg_catalog.json_build_object(
  'roles', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', r.rolname,
      'kind', CASE WHEN r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) THEN 'shared' ELSE 'login' END,
      'group', CASE WHEN r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) THEN r.rolname::pg_catalog.text
                    ELSE pg_catalog.regexp_replace(r.rolname::pg_catalog.text, '_[0-9a-f]{6}$', '') END,
      'validUntil', CASE WHEN r.rolvaliduntil IS NULL THEN NULL
                         WHEN r.rolvaliduntil OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.timestamptz THEN 'infinity'
                         ELSE pg_catalog.to_char(pg_catalog.timezone('UTC', r.rolvaliduntil), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END,
      'beyondMax', r.rolvaliduntil OPERATOR(pg_catalog.>) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) '2 hours'::pg_catalog.interval)
    ) ORDER BY r.rolname), '[]')
    FROM pg_catalog.pg_roles r
    WHERE r.rolcanlogin
      AND (r.rolvaliduntil IS NULL OR r.rolvaliduntil OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp())
      AND (r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
           OR (r.rolname OPERATOR(pg_catalog.~) '_[0-9a-f]{6}$'
               AND pg_catalog.regexp_replace(r.rolname::pg_catalog.text, '_[0-9a-f]{6}$', '') OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]))))
) AS facts;
