-- What unmanaged logins reach in a managed database only through PUBLIC, where apply takes it from PUBLIC
-- (read-only; plan and apply name them before anything changes, lib/plan/lockout-objects.ts).
-- Apply leaves PUBLIC nothing in the application schemas (the schema, its tables, sequences, columns and
-- routines; extension members keep what their extension gave), revokes the listed privileges on schema public and
-- USAGE on foreign servers and wrappers.
-- $1: text[] application schemas; $2: text[] managed role names; $3: text[] privileges apply revokes from PUBLIC
-- on schema public.
-- A login keeps what it reaches through its own grants, a role it belongs to, or owning the object.
-- Every function, operator and type is pg_catalog-qualified: this runs as the master inside a database whose
-- owner may plant overloads.
WITH logins AS (
  SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r
  WHERE r.rolcanlogin AND NOT r.rolsuper AND r.rolname OPERATOR(pg_catalog.<>) CURRENT_USER
    AND NOT (r.rolname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]))
    AND pg_catalog.has_database_privilege(r.oid, pg_catalog.current_database(), 'CONNECT')
), nsp AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
), members AS (
  -- @include inspect-rule-members.sql
), relations AS (
  -- @include inspect-rule-relations.sql
), rels AS (
  SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, n.nspname
  FROM relations c JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
), public_held AS (
  -- (class, name, owner, the object's whole ACL, privilege) for every privilege PUBLIC holds that apply revokes.
  SELECT 'schema'::pg_catalog.text AS object_class, pg_catalog.quote_ident(n.nspname) AS name, n.nspowner AS owner,
         coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner)) AS acl, a.privilege_type
  FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
  WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
    AND (n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
         OR (n.nspname OPERATOR(pg_catalog.=) 'public' AND a.privilege_type OPERATOR(pg_catalog.=) ANY ($3::pg_catalog.text[])))
  UNION ALL
  SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" THEN 'sequences' ELSE 'tables' END,
         pg_catalog.concat(pg_catalog.quote_ident(c.nspname), '.', pg_catalog.quote_ident(c.relname)), c.relowner, c.relacl, a.privilege_type
  FROM rels c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
  WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
  UNION ALL
  SELECT 'columns', pg_catalog.concat(pg_catalog.quote_ident(c.nspname), '.', pg_catalog.quote_ident(c.relname), ' (', pg_catalog.quote_ident(t.attname), ')'),
         c.relowner, pg_catalog.array_cat(t.attacl, coalesce(c.relacl, ARRAY[]::pg_catalog.aclitem[])), a.privilege_type
  FROM rels c JOIN pg_catalog.pg_attribute t ON t.attrelid OPERATOR(pg_catalog.=) c.oid AND t.attnum OPERATOR(pg_catalog.>) 0
    AND NOT t.attisdropped AND t.attacl IS NOT NULL
  CROSS JOIN LATERAL pg_catalog.aclexplode(t.attacl) a
  WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
  UNION ALL
  SELECT 'routines', f.oid::pg_catalog.regprocedure::pg_catalog.text, f.proowner, coalesce(f.proacl, pg_catalog.acldefault('f', f.proowner)), a.privilege_type
  FROM pg_catalog.pg_proc f JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) f.pronamespace
  CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(f.proacl, pg_catalog.acldefault('f', f.proowner))) a
  WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) f.oid)
  UNION ALL
  -- USAGE on foreign servers and wrappers (lib/drift/checks/diff-foreign-servers.ts): apply revokes PUBLIC's.
  SELECT 'foreign servers', pg_catalog.quote_ident(s.srvname), s.srvowner, s.srvacl, a.privilege_type
  FROM pg_catalog.pg_foreign_server s CROSS JOIN LATERAL pg_catalog.aclexplode(s.srvacl) a
  WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
  UNION ALL
  SELECT 'foreign data wrappers', pg_catalog.quote_ident(w.fdwname), w.fdwowner, w.fdwacl, a.privilege_type
  FROM pg_catalog.pg_foreign_data_wrapper w CROSS JOIN LATERAL pg_catalog.aclexplode(w.fdwacl) a
  WHERE a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid
), losses AS (
  SELECT l.rolname, p.object_class, p.privilege_type, p.name
  FROM logins l JOIN public_held p ON NOT pg_catalog.pg_has_role(l.oid, p.owner, 'USAGE')
  WHERE NOT EXISTS (SELECT FROM pg_catalog.aclexplode(p.acl) e
                    WHERE e.grantee OPERATOR(pg_catalog.<>) 0::pg_catalog.oid AND e.privilege_type OPERATOR(pg_catalog.=) p.privilege_type
                      AND pg_catalog.pg_has_role(l.oid, e.grantee, 'USAGE'))
)
SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
    'role', g.rolname, 'objectClass', g.object_class, 'privilege', g.privilege_type, 'names', g.names)
  ORDER BY g.rolname, g.object_class, g.privilege_type), '[]') AS losses
FROM (SELECT rolname, object_class, privilege_type, pg_catalog.json_agg(DISTINCT name) AS names FROM losses GROUP BY 1, 2, 3) g;
