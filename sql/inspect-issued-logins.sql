-- The per-person logins db_admin issued in this database and has not dropped (db_admin.firefighter_login): the
-- record that makes a member of a firefighter group a per-person login, rather than its name (issue 17, item 4).
-- Read as the admin role (it owns the table), read-only. $1: text[] the logins to look up (members of this
-- database's firefighter groups, granted by admin).
-- For each: whether it has expired, and what would keep the sweep from dropping it (the sweep moves large
-- objects to the database owner and drops default privileges itself; sql/db_admin_per_person_end.sql): the other
-- objects it owns here, and the other databases where it owns something or holds a privilege.
SELECT pg_catalog.json_build_object('logins', (
  SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
    'login', l.login,
    'role', l.role,
    'expired', l.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(),
    'expiresAt', pg_catalog.to_char(pg_catalog.timezone('UTC', l.expires_at), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'owns', ARRAY(
      SELECT pg_catalog.pg_describe_object(s.classid, s.objid, s.objsubid)
        FROM pg_catalog.pg_shdepend s
       WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.refobjid OPERATOR(pg_catalog.=) r.oid
         AND s.dbid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
         AND s.deptype OPERATOR(pg_catalog.=) 'o'
         AND s.classid OPERATOR(pg_catalog.<>) ALL (ARRAY['pg_catalog.pg_largeobject'::pg_catalog.regclass, 'pg_catalog.pg_default_acl'::pg_catalog.regclass])
       ORDER BY 1 LIMIT 20),
    'elsewhere', ARRAY(
      SELECT DISTINCT d.datname::pg_catalog.text
        FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.dbid
       WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.refobjid OPERATOR(pg_catalog.=) r.oid
         AND d.datname OPERATOR(pg_catalog.<>) pg_catalog.current_database()
       ORDER BY 1)
  ) ORDER BY l.login), '[]')
  FROM db_admin.firefighter_login l
  JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) l.login
  WHERE l.dropped_at IS NULL AND l.login OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.name[])
)) AS facts;
