-- What `rolemodel init` reads from one existing database to write a starting spec (read-only).
-- Run inside that database: its schemas, who owns what in them, and every role of the cluster with what
-- init needs to decide whether it fits a slot. Objects are counted as the engine counts the objects it hands
-- to the owner (sql/inspect-database.sql): extension members and parts of another object are left out.
-- Every function, operator, cast and catalog is pg_catalog-qualified, as in every inspection query.
WITH schemas AS (
  SELECT n.oid, n.nspname, n.nspowner FROM pg_catalog.pg_namespace n
  WHERE n.nspname OPERATOR(pg_catalog.!~) '^pg_'
    AND n.nspname OPERATOR(pg_catalog.<>) ALL (ARRAY['information_schema', 'db_admin']::pg_catalog.name[])
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                    WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
                      AND d.objid OPERATOR(pg_catalog.=) n.oid AND d.deptype OPERATOR(pg_catalog.=) 'e')
), members AS (
  -- The engine's rule: what it neither checks nor hands to the owner is not counted here either.
  -- @include inspect-rule-members.sql
), owned AS (
  -- The objects the engine names in an ALTER ... OWNER (inspect-database.sql, owned with a kind): tables, views,
  -- materialized views, foreign tables, composite types, sequences no table owns (a serial or identity sequence
  -- follows its table and is not counted apart), routines, aggregates, types and domains, and the objects a
  -- schema's owner may drop but not alter. Keep both alike.
  SELECT c.relnamespace AS nsp, c.relowner AS owner
  FROM pg_catalog.pg_class c JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE (c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f', 'c']::pg_catalog."char"[])
         OR (c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" AND NOT EXISTS (
               SELECT FROM pg_catalog.pg_depend dep
               WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND dep.objid OPERATOR(pg_catalog.=) c.oid
                 AND dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                 AND dep.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::pg_catalog."char"[]))))
    -- A composite type's relation is internal to its type: what counts is whether the type belongs to an extension.
    -- (Two anti-joins, each on (classid, objid), so both hash: one NOT EXISTS over an OR would scan members per row.)
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND m.objid OPERATOR(pg_catalog.=) c.oid AND c.relkind OPERATOR(pg_catalog.<>) 'c'::pg_catalog."char")
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                      AND m.objid OPERATOR(pg_catalog.=) c.reltype AND c.relkind OPERATOR(pg_catalog.=) 'c'::pg_catalog."char")
  UNION ALL
  SELECT f.pronamespace, f.proowner
  FROM pg_catalog.pg_proc f JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) f.pronamespace
  WHERE NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) f.oid)
  UNION ALL
  SELECT t.typnamespace, t.typowner
  FROM pg_catalog.pg_type t JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) t.typnamespace
  WHERE t.typrelid OPERATOR(pg_catalog.=) 0::pg_catalog.oid AND t.typelem OPERATOR(pg_catalog.=) 0::pg_catalog.oid
    AND t.typtype OPERATOR(pg_catalog.<>) 'm'::pg_catalog."char"
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) t.oid)
  UNION ALL
  -- Extended statistics, collations, text search configurations and dictionaries, conversions, operators,
  -- operator classes and families.
  SELECT o.nsp, o.owner
  FROM (SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass AS cls, x.oid, x.stxnamespace AS nsp, x.stxowner AS owner FROM pg_catalog.pg_statistic_ext x
        UNION ALL SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, c.oid, c.collnamespace, c.collowner FROM pg_catalog.pg_collation c
        UNION ALL SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, c.oid, c.cfgnamespace, c.cfgowner FROM pg_catalog.pg_ts_config c
        UNION ALL SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, d.oid, d.dictnamespace, d.dictowner FROM pg_catalog.pg_ts_dict d
        UNION ALL SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, c.connamespace, c.conowner FROM pg_catalog.pg_conversion c
        UNION ALL SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprnamespace, o.oprowner FROM pg_catalog.pg_operator o
        UNION ALL SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, c.opcnamespace, c.opcowner FROM pg_catalog.pg_opclass c
        UNION ALL SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, f.opfnamespace, f.opfowner FROM pg_catalog.pg_opfamily f) o
  JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) o.nsp
  WHERE NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) o.cls AND m.objid OPERATOR(pg_catalog.=) o.oid)
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
