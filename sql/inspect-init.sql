-- What `rolemodel init` reads from one existing database to write a starting spec (read-only).
-- Run inside that database: its schemas, who owns what in them, and every role of the cluster with what
-- init needs to decide whether it fits a slot. Objects that belong to an extension are left out, as the
-- engine leaves them out (lib/core/diff-database.ts).
-- Every function, operator, cast and catalog is pg_catalog-qualified, as in every inspection query.
WITH schemas AS (
  SELECT n.oid, n.nspname, n.nspowner FROM pg_catalog.pg_namespace n
  WHERE n.nspname OPERATOR(pg_catalog.!~) '^pg_'
    AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['information_schema', 'db_admin']::pg_catalog.name[])
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
                      AND d.objid OPERATOR(pg_catalog.=) n.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
), objects AS (
  SELECT c.relnamespace AS nsp, c.relowner AS owner, c.oid, 'pg_catalog.pg_class'::pg_catalog.regclass AS cls
    FROM pg_catalog.pg_class c
   WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'S', 'f']::pg_catalog.char[])
  UNION ALL
  SELECT p.pronamespace, p.proowner, p.oid, 'pg_catalog.pg_proc'::pg_catalog.regclass FROM pg_catalog.pg_proc p
), owned AS (
  SELECT o.nsp, o.owner FROM objects o JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) o.nsp
  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid OPERATOR(pg_catalog.=) o.cls AND d.objid OPERATOR(pg_catalog.=) o.oid
                      AND d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['e', 'i']::pg_catalog.char[]))
)
SELECT pg_catalog.json_build_object(
  'currentUser', current_user,
  'database', pg_catalog.current_database(),
  'databaseConnectionLimit', (SELECT d.datconnlimit FROM pg_catalog.pg_database d
                              WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()),
  'iamExists', pg_catalog.to_regrole('rds_iam') IS NOT NULL,
  'schemas', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                'name', s.nspname, 'owner', pg_catalog.pg_get_userbyid(s.nspowner),
                'objects', (SELECT pg_catalog.count(*) FROM owned o WHERE o.nsp OPERATOR(pg_catalog.=) s.oid))
              ORDER BY s.nspname), '[]') FROM schemas s),
  'owners', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('owner', x.owner, 'schema', x.schema, 'objects', x.n)
               ORDER BY x.schema, x.owner), '[]')
             FROM (SELECT pg_catalog.pg_get_userbyid(o.owner) AS owner, s.nspname AS schema, pg_catalog.count(*) AS n
                     FROM owned o JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) o.nsp GROUP BY 1, 2) x),
  'roles', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
              'name', r.rolname, 'login', r.rolcanlogin, 'superuser', r.rolsuper, 'connectionLimit', r.rolconnlimit,
              'iam', CASE WHEN pg_catalog.to_regrole('rds_iam') IS NOT NULL
                          THEN pg_catalog.pg_has_role(r.oid, pg_catalog.to_regrole('rds_iam')::pg_catalog.oid, 'MEMBER') ELSE false END,
              'comment', pg_catalog.shobj_description(r.oid, 'pg_authid'),
              'connect', pg_catalog.has_database_privilege(r.oid, pg_catalog.current_database(), 'CONNECT'))
            ORDER BY r.rolname), '[]')
            FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.!~) '^(pg_|rds_)' AND r.rolname OPERATOR(pg_catalog.<>) 'rdsadmin')
) AS facts;
