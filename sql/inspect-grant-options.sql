-- Grant options (WITH GRANT OPTION) held by managed roles or PUBLIC in the current database (read-only): on the
-- database itself, on every non-system schema and the tables, views, sequences, columns and routines in it, and
-- in default privileges. The model grants no option anywhere, so each one is drift: its holder may widen access
-- beyond the model (GRANT SELECT ON orders TO PUBLIC). Also read: every grant made by a role that is not the
-- object's owner on those objects, which a REVOKE GRANT OPTION ... CASCADE may take along (the core follows
-- the chains). An owner's own entry is no grant: the owner holds every option by owning the object.
-- Who can revoke a grant exactly: its grantor, by SET ROLE (16+: the SET option; 15: membership), with USAGE on
-- the schema to name the objects; the facts for lib/drift/checks/diff-wide-privileges.ts's choice are read per grant.
-- $1: text[] managed roles; $2: text[] application schemas.
-- Every function, operator and type is pg_catalog-qualified: this runs as the master inside a database
-- whose owner may plant overloads.
WITH roles AS (
  SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
), nsp AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl, n.nspname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]) AS listed
  FROM pg_catalog.pg_namespace n
  WHERE pg_catalog.left(n.nspname::pg_catalog.text, 3) OPERATOR(pg_catalog.<>) 'pg_'
    AND n.nspname OPERATOR(pg_catalog.<>) 'information_schema'
), grantor_right AS (
  -- @include inspect-rule-grantor-right.sql
), objects AS (
  -- Every object with an explicit ACL; key names it (a column shares its table's key).
  SELECT 'database'::pg_catalog.text AS object_class, ('d' OPERATOR(pg_catalog.||) d.oid::pg_catalog.text) AS key,
         NULL::pg_catalog.oid AS nspoid, NULL::pg_catalog.text AS nspname, false AS listed, d.datname::pg_catalog.text AS name,
         NULL::pg_catalog.text AS args, NULL::pg_catalog.text AS col, d.datdba AS owner, d.datacl AS acl,
         'pg_catalog.pg_database'::pg_catalog.regclass AS catalog, d.oid AS objoid
  FROM pg_catalog.pg_database d
  WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() AND d.datacl IS NOT NULL
  UNION ALL
  SELECT 'schema', 'n' OPERATOR(pg_catalog.||) n.oid::pg_catalog.text, n.oid, n.nspname, n.listed, NULL, NULL, NULL, n.nspowner, n.nspacl,
         'pg_catalog.pg_namespace'::pg_catalog.regclass, n.oid
  FROM nsp n WHERE n.nspacl IS NOT NULL
  UNION ALL
  SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" THEN 'sequence' ELSE 'table' END,
         'c' OPERATOR(pg_catalog.||) c.oid::pg_catalog.text, n.oid, n.nspname, n.listed, c.relname::pg_catalog.text, NULL, NULL, c.relowner, c.relacl,
         'pg_catalog.pg_class'::pg_catalog.regclass, c.oid
  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f', 'S']::pg_catalog."char"[]) AND c.relacl IS NOT NULL
  UNION ALL
  SELECT 'column', 'c' OPERATOR(pg_catalog.||) c.oid::pg_catalog.text, n.oid, n.nspname, n.listed, c.relname::pg_catalog.text, NULL,
         a.attname::pg_catalog.text, c.relowner, a.attacl, 'pg_catalog.pg_class'::pg_catalog.regclass, c.oid
  FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid
  JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE a.attacl IS NOT NULL AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f']::pg_catalog."char"[])
  UNION ALL
  SELECT 'routine', 'p' OPERATOR(pg_catalog.||) f.oid::pg_catalog.text, n.oid, n.nspname, n.listed, f.proname::pg_catalog.text,
         pg_catalog.oidvectortypes(f.proargtypes), NULL, f.proowner, f.proacl, 'pg_catalog.pg_proc'::pg_catalog.regclass, f.oid
  FROM pg_catalog.pg_proc f JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) f.pronamespace
  WHERE f.proacl IS NOT NULL
), held AS (
  -- The objects where a managed role (or PUBLIC) holds an option; only their ACLs are read further, so the cost of
  -- a clean database is one pass over the explicit ACLs.
  SELECT DISTINCT o.key FROM objects o
  -- An option shows as * in an ACL's text: a cheap test before the ACL is taken apart.
  WHERE pg_catalog.strpos(o.acl::pg_catalog.text, '*') OPERATOR(pg_catalog.>) 0 AND EXISTS (SELECT FROM pg_catalog.aclexplode(o.acl) x
                WHERE x.is_grantable AND x.grantee OPERATOR(pg_catalog.<>) o.owner
                  AND (x.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid OR x.grantee OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT r.oid FROM roles r))))
), acl AS (
  SELECT o.object_class, o.key, o.nspoid, o.nspname, o.listed, o.name, o.args, o.col, o.owner, o.catalog, o.objoid,
         x.grantor, x.grantee, x.privilege_type, x.is_grantable
  FROM objects o JOIN held h ON h.key OPERATOR(pg_catalog.=) o.key CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x
), options AS (
  SELECT a.*, CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE r.rolname::pg_catalog.text END AS role
  FROM acl a LEFT JOIN roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
  WHERE a.is_grantable AND a.grantee OPERATOR(pg_catalog.<>) a.owner
    AND (a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid OR r.oid IS NOT NULL)
)
SELECT pg_catalog.json_build_object(
  'applier', CURRENT_USER,
  'options', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'objectClass', o.object_class, 'key', o.key, 'schema', o.nspname, 'listed', o.listed, 'name', o.name, 'args', o.args,
      'column', o.col, 'role', o.role, 'privilege', o.privilege_type, 'grantor', pg_catalog.pg_get_userbyid(o.grantor),
      'byOwner', o.grantor OPERATOR(pg_catalog.=) o.owner, 'objectOwner', pg_catalog.pg_get_userbyid(o.owner),
      -- Extension members keep their owner; apply hands any other object in a listed schema to the owner role.
      'member', EXISTS (SELECT FROM pg_catalog.pg_depend e WHERE e.classid OPERATOR(pg_catalog.=) o.catalog
                        AND e.objid OPERATOR(pg_catalog.=) o.objoid AND e.deptype OPERATOR(pg_catalog.=) 'e'::pg_catalog."char"),
      'byApplier', pg_catalog.pg_get_userbyid(o.grantor) OPERATOR(pg_catalog.=) CURRENT_USER,
      'grantorSettable', pg_catalog.pg_has_role(CURRENT_USER, o.grantor, (SELECT g.privilege FROM grantor_right g)),
      -- A database or a schema is named without USAGE on anything.
      'schemaUsable', o.object_class OPERATOR(pg_catalog.=) ANY (ARRAY['database', 'schema']::pg_catalog.text[])
                      OR pg_catalog.has_schema_privilege(CURRENT_USER, o.nspoid, 'USAGE'),
      'grantorSchemaUsable', o.object_class OPERATOR(pg_catalog.=) ANY (ARRAY['database', 'schema']::pg_catalog.text[])
                      OR pg_catalog.has_schema_privilege(o.grantor, o.nspoid, 'USAGE'))
    ORDER BY o.role, o.privilege_type, o.object_class, o.nspname, o.name, o.args, o.col), '[]') FROM options o),
  -- Grants made by anyone but the owner on an object where a managed role (or PUBLIC) holds an option.
  'regrants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'key', a.key, 'column', a.col, 'grantor', pg_catalog.pg_get_userbyid(a.grantor),
      'grantee', CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::pg_catalog.text END,
      'privilege', a.privilege_type, 'grantable', a.is_grantable,
      -- Who may revoke it as its grantor: a column grant made from a table's option is revoked on its own.
      'byApplier', pg_catalog.pg_get_userbyid(a.grantor) OPERATOR(pg_catalog.=) CURRENT_USER,
      'grantorSettable', pg_catalog.pg_has_role(CURRENT_USER, a.grantor, (SELECT g.privilege FROM grantor_right g)),
      'schemaUsable', a.object_class OPERATOR(pg_catalog.=) ANY (ARRAY['database', 'schema']::pg_catalog.text[])
                      OR pg_catalog.has_schema_privilege(CURRENT_USER, a.nspoid, 'USAGE'),
      'grantorSchemaUsable', a.object_class OPERATOR(pg_catalog.=) ANY (ARRAY['database', 'schema']::pg_catalog.text[])
                      OR pg_catalog.has_schema_privilege(a.grantor, a.nspoid, 'USAGE'))
    ORDER BY a.key, a.col, a.grantee, a.privilege_type), '[]')
    FROM acl a WHERE a.grantor OPERATOR(pg_catalog.<>) a.owner AND a.grantor OPERATOR(pg_catalog.<>) a.grantee),
  -- Column grants whose grantor holds the option neither on the column nor on its table any more: a table's
  -- REVOKE GRANT OPTION ... CASCADE leaves the column grants made from it. Only its grantor holding the option
  -- again can revoke such a grant (a superuser's REVOKE acts as the owner).
  'orphans', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', o.nspname, 'name', o.name, 'column', o.col, 'grantor', pg_catalog.pg_get_userbyid(x.grantor),
      'grantee', CASE WHEN x.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(x.grantee)::pg_catalog.text END,
      'privilege', x.privilege_type)
    ORDER BY o.nspname, o.name, o.col, x.grantee, x.privilege_type), '[]')
    FROM objects o CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x
    WHERE o.object_class OPERATOR(pg_catalog.=) 'column' AND x.grantor OPERATOR(pg_catalog.<>) o.owner
      AND NOT pg_catalog.has_column_privilege(x.grantor, o.objoid, o.col,
            x.privilege_type OPERATOR(pg_catalog.||) ' WITH GRANT OPTION')),
  'defaults', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', pg_catalog.pg_get_userbyid(d.defaclrole), 'schema', n.nspname, 'objectType', d.defaclobjtype,
      'grantee', CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE r.rolname::pg_catalog.text END,
      'privilege', a.privilege_type, 'usable', pg_catalog.pg_has_role(CURRENT_USER, d.defaclrole, 'USAGE'))
    ORDER BY d.defaclrole, n.nspname, d.defaclobjtype, a.grantee, a.privilege_type), '[]')
    FROM pg_catalog.pg_default_acl d CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
    LEFT JOIN roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) d.defaclnamespace
    WHERE a.is_grantable AND a.grantee OPERATOR(pg_catalog.<>) d.defaclrole
      AND (a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid OR r.oid IS NOT NULL))
) AS facts;
