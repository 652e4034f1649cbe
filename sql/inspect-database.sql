-- Facts about one managed database, as one JSON document (read-only). Aggregates, so the cost of the
-- query grows with the number of objects but the number of statements does not.
-- $1: text[] application schemas; $2: text[] roles whose object access is checked;
-- $3: owner role and $4: admin role, both as quoted identifiers (to_regrole parses them); $5: text[] table privileges this server knows (MAINTAIN from 17).
-- Every function, operator, type and catalog is pg_catalog-qualified: this runs as the master inside a
-- database whose owner may plant overloads in public and in the application schemas (the session also
-- pins search_path in lib/postgres/connection.ts; keep both).
WITH schemas AS (
  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
), roles AS (
  SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])
), owner_role AS (
  SELECT pg_catalog.to_regrole($3::pg_catalog.text)::pg_catalog.oid AS oid
), admin_role AS (
  SELECT pg_catalog.to_regrole($4::pg_catalog.text)::pg_catalog.oid AS oid
), members AS (
  -- @include inspect-rule-members.sql
), relations AS (
  -- @include inspect-rule-relations.sql
), rels AS (
  SELECT c.oid, c.relnamespace,
         CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" THEN 'sequences' ELSE 'tables' END AS object_class
  FROM relations c JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) c.relnamespace
), routines AS (
  SELECT f.oid, f.pronamespace, f.proowner, f.proacl, f.proname, f.proargtypes, f.prokind, f.prosecdef
  FROM pg_catalog.pg_proc f JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) f.pronamespace
  WHERE NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) f.oid)
), privileges AS (
  SELECT 'tables'::pg_catalog.text AS object_class, p AS privilege FROM pg_catalog.unnest($5::pg_catalog.text[]) p
  UNION ALL SELECT 'sequences', p FROM pg_catalog.unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']::pg_catalog.text[]) p
), rel_access AS (
  SELECT s.nspname, r.rolname, p.object_class, p.privilege,
         pg_catalog.count(x.oid) AS total,
         pg_catalog.count(x.oid) FILTER (WHERE CASE WHEN p.object_class OPERATOR(pg_catalog.=) 'sequences'
                                         THEN pg_catalog.has_sequence_privilege(r.oid, x.oid, p.privilege)
                                         ELSE pg_catalog.has_table_privilege(r.oid, x.oid, p.privilege) END) AS granted
  FROM schemas s CROSS JOIN roles r CROSS JOIN privileges p
  LEFT JOIN rels x ON x.relnamespace OPERATOR(pg_catalog.=) s.oid AND x.object_class OPERATOR(pg_catalog.=) p.object_class
  GROUP BY 1, 2, 3, 4
), routine_access AS (
  SELECT s.nspname, r.rolname, pg_catalog.count(f.oid) AS total,
         pg_catalog.count(f.oid) FILTER (WHERE pg_catalog.has_function_privilege(r.oid, f.oid, 'EXECUTE')) AS granted
  FROM schemas s CROSS JOIN roles r
  LEFT JOIN routines f ON f.pronamespace OPERATOR(pg_catalog.=) s.oid
  GROUP BY 1, 2
), owned AS (
  -- Every object in the application schemas with its owner. kind and name are filled for the objects an
  -- ALTER ... OWNER names (indexes, owned sequences, array and multirange types follow their parent).
  SELECT c.relowner AS owner, s.nspname,
         CASE WHEN c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::pg_catalog."char"[]) THEN 'TABLE'
              WHEN c.relkind OPERATOR(pg_catalog.=) 'v'::pg_catalog."char" THEN 'VIEW'
              WHEN c.relkind OPERATOR(pg_catalog.=) 'm'::pg_catalog."char" THEN 'MATERIALIZED VIEW'
              WHEN c.relkind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char" THEN 'FOREIGN TABLE'
              WHEN c.relkind OPERATOR(pg_catalog.=) 'c'::pg_catalog."char" THEN 'TYPE'
              WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" AND NOT EXISTS (
                SELECT 1 FROM pg_catalog.pg_depend dep
                WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND dep.objid OPERATOR(pg_catalog.=) c.oid
                  AND dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND dep.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::pg_catalog."char"[])) THEN 'SEQUENCE'
         END AS kind,
         c.relname::pg_catalog.text AS name, NULL::pg_catalog.text AS args, false AS secdef
  FROM pg_catalog.pg_class c JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) c.relnamespace
  -- A composite type's relation is internal to its type: what counts is whether the type belongs to an extension.
  -- (Two anti-joins, each on (classid, objid), so both hash: one NOT EXISTS over an OR would scan members per row.)
  WHERE NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                      AND m.objid OPERATOR(pg_catalog.=) c.oid AND c.relkind OPERATOR(pg_catalog.<>) 'c'::pg_catalog."char")
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                      AND m.objid OPERATOR(pg_catalog.=) c.reltype AND c.relkind OPERATOR(pg_catalog.=) 'c'::pg_catalog."char")
  UNION ALL
  SELECT f.proowner, s.nspname, CASE WHEN f.prokind OPERATOR(pg_catalog.=) 'a'::pg_catalog."char" THEN 'AGGREGATE' ELSE 'ROUTINE' END,
         f.proname::pg_catalog.text, pg_catalog.oidvectortypes(f.proargtypes), f.prosecdef
  FROM routines f JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) f.pronamespace
  UNION ALL
  SELECT t.typowner, s.nspname,
         CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd'::pg_catalog."char" THEN 'DOMAIN'
              WHEN t.typtype OPERATOR(pg_catalog.<>) 'm'::pg_catalog."char" THEN 'TYPE' END,
         t.typname::pg_catalog.text, NULL, false
  FROM pg_catalog.pg_type t JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) t.typnamespace
  WHERE t.typrelid OPERATOR(pg_catalog.=) 0::pg_catalog.oid AND t.typelem OPERATOR(pg_catalog.=) 0::pg_catalog.oid
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) t.oid)
  UNION ALL
  -- The other objects a schema holds whose ALTER needs their owner (a schema's owner may drop them, not alter
  -- them): extended statistics, collations, text search configurations and dictionaries, conversions,
  -- operators (args: their operand types, NONE for a prefix operator), operator classes and families (args: the
  -- access method). Text search parsers and templates have no owner.
  SELECT o.owner, s.nspname, o.kind, o.name, o.args, false
  FROM (SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass AS cls, x.oid, x.stxnamespace AS nsp, x.stxowner AS owner,
               'STATISTICS'::pg_catalog.text AS kind, x.stxname::pg_catalog.text AS name, NULL::pg_catalog.text AS args
        FROM pg_catalog.pg_statistic_ext x
        UNION ALL
        SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, c.oid, c.collnamespace, c.collowner, 'COLLATION', c.collname::pg_catalog.text, NULL
        FROM pg_catalog.pg_collation c
        UNION ALL
        SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, c.oid, c.cfgnamespace, c.cfgowner, 'TEXT SEARCH CONFIGURATION', c.cfgname::pg_catalog.text, NULL
        FROM pg_catalog.pg_ts_config c
        UNION ALL
        SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, d.oid, d.dictnamespace, d.dictowner, 'TEXT SEARCH DICTIONARY', d.dictname::pg_catalog.text, NULL
        FROM pg_catalog.pg_ts_dict d
        UNION ALL
        SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, c.connamespace, c.conowner, 'CONVERSION', c.conname::pg_catalog.text, NULL
        FROM pg_catalog.pg_conversion c
        UNION ALL
        SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprnamespace, o.oprowner, 'OPERATOR', o.oprname::pg_catalog.text,
               pg_catalog.concat(CASE WHEN o.oprleft OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END,
                                 ', ', pg_catalog.format_type(o.oprright, NULL))
        FROM pg_catalog.pg_operator o
        UNION ALL
        SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, c.opcnamespace, c.opcowner, 'OPERATOR CLASS', c.opcname::pg_catalog.text, a.amname::pg_catalog.text
        FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.opcmethod
        UNION ALL
        SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, f.opfnamespace, f.opfowner, 'OPERATOR FAMILY', f.opfname::pg_catalog.text, a.amname::pg_catalog.text
        FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) f.opfmethod) o
  JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) o.nsp
  WHERE NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) o.cls AND m.objid OPERATOR(pg_catalog.=) o.oid)
), misowned AS (
  SELECT o.* FROM owned o, owner_role w WHERE w.oid IS NULL OR o.owner OPERATOR(pg_catalog.<>) w.oid
), db_admin AS (
  SELECT n.oid, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'db_admin'
)
SELECT pg_catalog.json_build_object(
  'database', pg_catalog.current_database(),
  -- The statement audit's extension (lib/drift/checks/diff-pgaudit-extension.ts): whether the engine creates it
  -- here, where it is, and whether each schema it is or would be in is one the database's owner cannot touch
  -- (owned by a superuser or an rds_superuser member that is no managed role, CREATE for nobody else).
  'pgaudit', pg_catalog.json_build_object(
    'loaded', EXISTS (SELECT 1 FROM pg_catalog.pg_settings s
                      WHERE s.name OPERATOR(pg_catalog.=) 'pgaudit.log' AND s.context OPERATOR(pg_catalog.=) 'superuser'),
    'available', EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions a WHERE a.name OPERATOR(pg_catalog.=) 'pgaudit'),
    'installedIn', (SELECT n.nspname FROM pg_catalog.pg_extension e
                    JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
                    WHERE e.extname OPERATOR(pg_catalog.=) 'pgaudit'),
    'schemas', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
        'name', n.nspname, 'owner', pg_catalog.pg_get_userbyid(n.nspowner),
        'trusted', EXISTS (SELECT 1 FROM pg_catalog.pg_roles o WHERE o.oid OPERATOR(pg_catalog.=) n.nspowner
                             AND (o.rolsuper OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles su
                                                        WHERE su.rolname OPERATOR(pg_catalog.=) 'rds_superuser'
                                                          AND pg_catalog.pg_has_role(o.oid, su.oid, 'MEMBER'))))
                   AND NOT EXISTS (SELECT 1 FROM (SELECT oid FROM owner_role UNION ALL SELECT oid FROM admin_role
                                                  UNION ALL SELECT oid FROM roles) m WHERE m.oid OPERATOR(pg_catalog.=) n.nspowner)
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(n.nspacl) a
                                   WHERE a.privilege_type OPERATOR(pg_catalog.=) 'CREATE' AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner))
        ORDER BY n.nspname), '[]')
      FROM pg_catalog.pg_namespace n
      WHERE n.nspname OPERATOR(pg_catalog.=) 'pgaudit'
         OR n.oid OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT e.extnamespace FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pgaudit')))
  ),
  'schemas', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', s.nspname, 'owner', pg_catalog.pg_get_userbyid(n.nspowner),
      -- An owner can revoke its own rights on its schema; then its migrations fail with "permission denied".
      'ownerUsage', pg_catalog.has_schema_privilege(n.nspowner, n.oid, 'USAGE'), 'ownerCreate', pg_catalog.has_schema_privilege(n.nspowner, n.oid, 'CREATE'),
      -- Whether the applying user already holds the owner's privileges (ALTER SCHEMA ... OWNER needs them).
      'ownerHeld', pg_catalog.pg_has_role(n.nspowner, 'USAGE'),
      'publicPrivileges', (SELECT coalesce(pg_catalog.json_agg(a.privilege_type), '[]')
                           FROM pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
                           WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid))
    ORDER BY s.nspname), '[]') FROM schemas s JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) s.oid),
  'schemaAccess', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', s.nspname, 'role', r.rolname,
      'usage', pg_catalog.has_schema_privilege(r.oid, s.oid, 'USAGE'), 'create', pg_catalog.has_schema_privilege(r.oid, s.oid, 'CREATE'))
    ORDER BY s.nspname, r.rolname), '[]') FROM schemas s CROSS JOIN roles r),
  'publicSchema', (SELECT pg_catalog.json_build_object(
      'exists', pg_catalog.count(*) OPERATOR(pg_catalog.>) 0,
      'publicPrivileges', coalesce((SELECT pg_catalog.json_agg(a.privilege_type) FROM pg_catalog.pg_namespace n2,
                           pg_catalog.aclexplode(coalesce(n2.nspacl, pg_catalog.acldefault('n', n2.nspowner))) a
                           WHERE n2.nspname OPERATOR(pg_catalog.=) 'public' AND a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid), '[]'))
    FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'public'),
  'publicSchemaCreate', (SELECT coalesce(pg_catalog.json_agg(r.rolname ORDER BY r.rolname), '[]')
    FROM roles r, pg_catalog.pg_namespace n
    WHERE n.nspname OPERATOR(pg_catalog.=) 'public' AND pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')),
  'objectAccess', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', g.nspname, 'role', g.rolname, 'objectClass', g.object_class, 'total', g.total, 'granted', g.granted)), '[]')
    FROM (
      SELECT nspname, rolname, object_class, pg_catalog.max(total) AS total, pg_catalog.json_object_agg(privilege, granted) AS granted
      FROM rel_access GROUP BY 1, 2, 3
      UNION ALL
      SELECT nspname, rolname, 'routines', total, pg_catalog.json_build_object('EXECUTE', granted) FROM routine_access
    ) g),
  'publicRoutines', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('schema', p.nspname, 'names', p.names)), '[]')
    FROM (SELECT s.nspname, pg_catalog.json_agg(f.oid::pg_catalog.regprocedure::pg_catalog.text ORDER BY f.oid::pg_catalog.regprocedure::pg_catalog.text) AS names
          FROM routines f JOIN schemas s ON s.oid OPERATOR(pg_catalog.=) f.pronamespace
          WHERE EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(f.proacl, pg_catalog.acldefault('f', f.proowner))) a
                        WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid AND a.privilege_type OPERATOR(pg_catalog.=) 'EXECUTE')
          GROUP BY s.nspname) p),
  'misowned', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('owner', pg_catalog.pg_get_userbyid(o.owner), 'count', o.n, 'names', o.names)), '[]')
    FROM (SELECT owner, pg_catalog.count(*) AS n,
                 pg_catalog.json_agg(pg_catalog.concat(pg_catalog.quote_ident(nspname), '.', pg_catalog.quote_ident(name), '(' OPERATOR(pg_catalog.||) args OPERATOR(pg_catalog.||) ')')
                                     ORDER BY nspname, name, args) AS names
          FROM misowned GROUP BY owner) o),
  'misownedObjects', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'kind', m.kind, 'schema', m.nspname, 'name', m.name, 'args', m.args,
      'owner', pg_catalog.pg_get_userbyid(m.owner), 'securityDefiner', m.secdef) ORDER BY m.kind, m.nspname, m.name, m.args), '[]')
    FROM misowned m WHERE m.kind IS NOT NULL),
  'defaultAcl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', pg_catalog.pg_get_userbyid(d.defaclrole),
      'schema', (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid OPERATOR(pg_catalog.=) d.defaclnamespace),
      'objectType', d.defaclobjtype,
      'grantee', CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
      'privilege', a.privilege_type)), '[]')
    FROM pg_catalog.pg_default_acl d, pg_catalog.aclexplode(d.defaclacl) a
    WHERE d.defaclrole OPERATOR(pg_catalog.=) ANY (ARRAY[(SELECT oid FROM owner_role), (SELECT oid FROM admin_role)])),
  'dbAdmin', (SELECT pg_catalog.json_build_object(
      'exists', pg_catalog.count(*) OPERATOR(pg_catalog.>) 0,
      'owner', pg_catalog.max(pg_catalog.pg_get_userbyid(da.nspowner)::pg_catalog.text),
      'comment', pg_catalog.max(pg_catalog.obj_description(da.oid, 'pg_namespace')),
      'schemaAcl', coalesce((SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                      'grantee', CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                      'privilege', a.privilege_type))
                    FROM db_admin d2, pg_catalog.aclexplode(coalesce(d2.nspacl, pg_catalog.acldefault('n', d2.nspowner))) a
                    WHERE a.grantee OPERATOR(pg_catalog.<>) d2.nspowner), '[]'),
      'executors', coalesce((SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                      'routine', f.oid::pg_catalog.regprocedure::pg_catalog.text,
                      'roles', (SELECT coalesce(pg_catalog.json_agg(r.rolname ORDER BY r.rolname), '[]') FROM roles r
                                WHERE pg_catalog.has_function_privilege(r.oid, f.oid, 'EXECUTE')))
                      ORDER BY f.oid::pg_catalog.regprocedure::pg_catalog.text)
                    FROM pg_catalog.pg_proc f JOIN db_admin d3 ON d3.oid OPERATOR(pg_catalog.=) f.pronamespace), '[]'),
      'tableAccess', coalesce((SELECT pg_catalog.json_agg(DISTINCT r.rolname) FROM roles r, pg_catalog.pg_class c
                    JOIN db_admin d4 ON d4.oid OPERATOR(pg_catalog.=) c.relnamespace
                    WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'S']::pg_catalog."char"[])
                      AND r.oid OPERATOR(pg_catalog.<>) (SELECT oid FROM admin_role)
                      AND (pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
                           OR (c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char"
                               AND pg_catalog.has_sequence_privilege(r.oid, c.oid, 'USAGE,SELECT,UPDATE')))), '[]'))
    FROM db_admin da)
) AS facts;
