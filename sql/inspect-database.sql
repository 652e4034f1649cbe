-- Facts about one managed database, as one JSON document (read-only). Aggregates, so the cost of the
-- query grows with the number of objects but the number of statements does not.
-- $1: text[] application schemas; $2: text[] roles whose object access is checked;
-- $3: owner role and $4: admin role, both as quoted identifiers (to_regrole parses them); $5: text[] table privileges this server knows (MAINTAIN from 17).
WITH schemas AS (
  SELECT n.oid, n.nspname FROM pg_namespace n WHERE n.nspname = ANY ($1)
), roles AS (
  SELECT r.oid, r.rolname FROM pg_roles r WHERE r.rolname = ANY ($2)
), rels AS (
  SELECT c.oid, c.relnamespace, CASE WHEN c.relkind = 'S' THEN 'sequences' ELSE 'tables' END AS object_class
  FROM pg_class c JOIN schemas s ON s.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
), privileges AS (
  SELECT 'tables' AS object_class, p AS privilege FROM unnest($5::text[]) p
  UNION ALL SELECT 'sequences', p FROM unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) p
), rel_access AS (
  SELECT s.nspname, r.rolname, p.object_class, p.privilege,
         count(x.oid) AS total,
         count(x.oid) FILTER (WHERE CASE WHEN p.object_class = 'sequences'
                                         THEN has_sequence_privilege(r.oid, x.oid, p.privilege)
                                         ELSE has_table_privilege(r.oid, x.oid, p.privilege) END) AS granted
  FROM schemas s CROSS JOIN roles r CROSS JOIN privileges p
  LEFT JOIN rels x ON x.relnamespace = s.oid AND x.object_class = p.object_class
  GROUP BY 1, 2, 3, 4
), routine_access AS (
  SELECT s.nspname, r.rolname, count(f.oid) AS total,
         count(f.oid) FILTER (WHERE has_function_privilege(r.oid, f.oid, 'EXECUTE')) AS granted
  FROM schemas s CROSS JOIN roles r
  LEFT JOIN pg_proc f ON f.pronamespace = s.oid
  GROUP BY 1, 2
), owned AS (
  SELECT relowner AS owner FROM pg_class c JOIN schemas s ON s.oid = c.relnamespace
  UNION ALL SELECT proowner FROM pg_proc f JOIN schemas s ON s.oid = f.pronamespace
  UNION ALL SELECT typowner FROM pg_type t JOIN schemas s ON s.oid = t.typnamespace
    WHERE t.typrelid = 0 AND t.typelem = 0
), db_admin AS (
  SELECT n.oid, n.nspowner, n.nspacl FROM pg_namespace n WHERE n.nspname = 'db_admin'
)
SELECT json_build_object(
  'database', current_database(),
  'schemas', (SELECT coalesce(json_agg(json_build_object(
      'name', s.nspname, 'owner', pg_get_userbyid(n.nspowner),
      'publicPrivileges', (SELECT coalesce(json_agg(a.privilege_type), '[]')
                           FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE a.grantee = 0))
    ORDER BY s.nspname), '[]') FROM schemas s JOIN pg_namespace n ON n.oid = s.oid),
  'schemaAccess', (SELECT coalesce(json_agg(json_build_object(
      'schema', s.nspname, 'role', r.rolname,
      'usage', has_schema_privilege(r.oid, s.oid, 'USAGE'), 'create', has_schema_privilege(r.oid, s.oid, 'CREATE'))
    ORDER BY s.nspname, r.rolname), '[]') FROM schemas s CROSS JOIN roles r),
  'publicSchema', (SELECT json_build_object(
      'exists', count(*) > 0,
      'publicPrivileges', coalesce((SELECT json_agg(a.privilege_type) FROM pg_namespace n2,
                           aclexplode(coalesce(n2.nspacl, acldefault('n', n2.nspowner))) a
                           WHERE n2.nspname = 'public' AND a.grantee = 0), '[]'))
    FROM pg_namespace n WHERE n.nspname = 'public'),
  'publicSchemaCreate', (SELECT coalesce(json_agg(r.rolname ORDER BY r.rolname), '[]') FROM roles r
    WHERE to_regnamespace('public') IS NOT NULL AND has_schema_privilege(r.oid, 'public', 'CREATE')),
  'objectAccess', (
    SELECT coalesce(json_agg(json_build_object(
      'schema', g.nspname, 'role', g.rolname, 'objectClass', g.object_class, 'total', g.total, 'granted', g.granted)), '[]')
    FROM (
      SELECT nspname, rolname, object_class, max(total) AS total, json_object_agg(privilege, granted) AS granted
      FROM rel_access GROUP BY 1, 2, 3
      UNION ALL
      SELECT nspname, rolname, 'routines', total, json_build_object('EXECUTE', granted) FROM routine_access
    ) g),
  'publicRoutines', (SELECT count(*) FROM pg_proc f JOIN schemas s ON s.oid = f.pronamespace,
      aclexplode(coalesce(f.proacl, acldefault('f', f.proowner))) a
    WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'),
  'misowned', (SELECT coalesce(json_agg(json_build_object('owner', pg_get_userbyid(o.owner), 'count', o.n)), '[]')
    FROM (SELECT owner, count(*) AS n FROM owned WHERE owner <> to_regrole($3) OR to_regrole($3) IS NULL GROUP BY owner) o),
  'defaultAcl', (SELECT coalesce(json_agg(json_build_object(
      'role', pg_get_userbyid(d.defaclrole),
      'schema', (SELECT n.nspname FROM pg_namespace n WHERE n.oid = d.defaclnamespace),
      'objectType', d.defaclobjtype,
      'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
      'privilege', a.privilege_type)), '[]')
    FROM pg_default_acl d, aclexplode(d.defaclacl) a
    WHERE d.defaclrole IN (to_regrole($3), to_regrole($4))),
  'dbAdmin', (SELECT json_build_object(
      'exists', count(*) > 0,
      'owner', max(pg_get_userbyid(da.nspowner)),
      'comment', max(obj_description(da.oid, 'pg_namespace')),
      'schemaAcl', coalesce((SELECT json_agg(json_build_object(
                      'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                      'privilege', a.privilege_type))
                    FROM db_admin d2, aclexplode(coalesce(d2.nspacl, acldefault('n', d2.nspowner))) a
                    WHERE a.grantee <> d2.nspowner), '[]'),
      'executors', coalesce((SELECT json_agg(json_build_object(
                      'routine', f.oid::regprocedure::text,
                      'roles', (SELECT coalesce(json_agg(r.rolname ORDER BY r.rolname), '[]') FROM roles r
                                WHERE has_function_privilege(r.oid, f.oid, 'EXECUTE'))) ORDER BY f.oid::regprocedure::text)
                    FROM pg_proc f JOIN db_admin d3 ON d3.oid = f.pronamespace), '[]'),
      'tableAccess', coalesce((SELECT json_agg(DISTINCT r.rolname) FROM roles r, pg_class c JOIN db_admin d4 ON d4.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'v', 'S')
                      AND r.oid <> to_regrole($4)
                      AND (has_table_privilege(r.oid, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER')
                           OR (c.relkind = 'S' AND has_sequence_privilege(r.oid, c.oid, 'USAGE,SELECT,UPDATE')))), '[]'))
    FROM db_admin da)
) AS facts;
