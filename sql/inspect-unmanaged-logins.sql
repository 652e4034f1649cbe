-- Unmanaged logins and what they hold on each managed database now, and what they would still hold after
-- apply (read-only; run by plan, verify and apply so nobody is locked out without being named).
-- $1: text[] managed role names; $2: text[] managed database names.
-- kept: privileges reached through explicit grants to roles the spec does not manage; PUBLIC's and the
-- current owner's privileges go (apply revokes PUBLIC and hands the database to the owner role).
SELECT COALESCE(pg_catalog.json_agg(pg_catalog.json_build_object(
    'role', r.rolname, 'database', d.datname,
    'connect', pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT'),
    'temporary', pg_catalog.has_database_privilege(r.oid, d.oid, 'TEMPORARY'),
    'owner', d.datdba OPERATOR(pg_catalog.=) r.oid,
    'kept', (SELECT COALESCE(pg_catalog.json_agg(DISTINCT a.privilege_type), '[]')
             FROM pg_catalog.aclexplode(d.datacl) a JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) a.grantee
             WHERE a.grantee OPERATOR(pg_catalog.<>) d.datdba
               AND NOT (g.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]))
               AND pg_catalog.pg_has_role(r.oid, a.grantee, 'USAGE')))
  ORDER BY d.datname, r.rolname), '[]') AS logins
FROM pg_catalog.pg_database d CROSS JOIN pg_catalog.pg_roles r
WHERE d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])
  AND r.rolcanlogin AND NOT r.rolsuper
  AND r.rolname OPERATOR(pg_catalog.<>) CURRENT_USER
  AND NOT (r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]))
  AND pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT,TEMPORARY');
