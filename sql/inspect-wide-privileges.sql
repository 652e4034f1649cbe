-- Privileges of managed roles the per-schema counts of inspect-database.sql cannot see (read-only):
--   columnGrants: column-level grants (pg_attribute.attacl) in every non-system schema, db_admin included;
--   otherGrants:  privileges granted directly to a managed role on a schema the spec does not list and on
--                 the tables, sequences and routines in it (db_admin's objects are checked with db_admin);
--   defaultGrants: default privileges (pg_default_acl) of any role that grant something to a managed role;
--   foreignGrants: USAGE on foreign servers and foreign-data wrappers held by PUBLIC or a managed role;
--   ownedOutside: schemas and objects outside the listed schemas owned by a checked role or admin (admin's
--                 db_admin exempt): an owner may alter, truncate and drop them (lib/drift/checks/diff-owned-outside.ts).
-- Only what pg_attribute.attacl and the object ACLs name is read, so the cost follows the number of explicit
-- grants, not the number of objects. Extension members and internal parts are exempt (inspect-rule-members.sql).
-- $1: text[] application schemas; $2: text[] roles whose privileges are checked; $3: text the admin role.
-- Who can revoke a grant exactly: its grantor, by SET ROLE (16+: the SET option of the membership; 15: any
-- membership), with USAGE on the schema to name the objects.
-- Every function, operator and type is pg_catalog-qualified: this runs as the master inside a database
-- whose owner may plant overloads.
WITH nsp AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) AS listed
  FROM pg_catalog.pg_namespace n
  WHERE pg_catalog.left(n.nspname::pg_catalog.text, 3) OPERATOR(pg_catalog.<>) 'pg_'
    AND n.nspname OPERATOR(pg_catalog.<>) 'information_schema'
    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
                    AND d.objid OPERATOR(pg_catalog.=) n.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'::pg_catalog."char")
), roles AS (
  SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])
), members AS (
  -- @include inspect-rule-members.sql
), relations AS (
  -- @include inspect-rule-relations.sql
), grantor_right AS (
  -- @include inspect-rule-grantor-right.sql
), rels AS (
  SELECT c.oid, c.relname, c.relkind, c.relowner, c.relacl, n.oid AS nspoid, n.nspname, n.listed
  FROM relations c JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
), column_grants AS (
  -- Listed schemas: grants to the role itself or to PUBLIC (the effective view inspect-database.sql takes);
  -- other schemas: grants to the role itself (what PUBLIC may do there is the customer's decision).
  SELECT c.nspname, c.relname, c.listed, a.attname, r.rolname, x.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid AS via_public,
         x.privilege_type, pg_catalog.pg_get_userbyid(x.grantor) AS grantor, x.grantor OPERATOR(pg_catalog.=) c.relowner AS by_owner,
         pg_catalog.pg_get_userbyid(x.grantor) OPERATOR(pg_catalog.=) CURRENT_USER AS by_applier,
         pg_catalog.pg_has_role(CURRENT_USER, x.grantor, (SELECT g.privilege FROM grantor_right g)) AS grantor_settable,
         pg_catalog.has_schema_privilege(CURRENT_USER, c.nspoid, 'USAGE') AS schema_usable,
         pg_catalog.has_schema_privilege(x.grantor, c.nspoid, 'USAGE') AS grantor_schema_usable,
         pg_catalog.has_table_privilege(r.oid, c.oid, x.privilege_type) AS table_level
  FROM rels c
  JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0
    AND NOT a.attisdropped AND a.attacl IS NOT NULL
  CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) x
  JOIN roles r ON x.grantee OPERATOR(pg_catalog.=) r.oid OR (c.listed AND x.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid)
), other_grants AS (
  -- A grantee that is also the grantor is an owner's own entry (what it holds by owning the object), not a grant.
  SELECT n.oid AS nspoid, n.nspname, 'schema'::pg_catalog.text AS object_class, NULL::pg_catalog.text AS name, NULL::pg_catalog.text AS args,
         x.grantee, x.grantor, x.privilege_type
  FROM nsp n JOIN pg_catalog.pg_namespace s ON s.oid OPERATOR(pg_catalog.=) n.oid
  CROSS JOIN LATERAL pg_catalog.aclexplode(s.nspacl) x
  WHERE NOT n.listed AND n.nspname OPERATOR(pg_catalog.<>) 'db_admin' AND x.grantee OPERATOR(pg_catalog.<>) x.grantor
  UNION ALL
  SELECT c.nspoid, c.nspname, CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" THEN 'sequences' ELSE 'tables' END,
         c.relname::pg_catalog.text, NULL, x.grantee, x.grantor, x.privilege_type
  FROM rels c CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) x
  WHERE NOT c.listed AND c.nspname OPERATOR(pg_catalog.<>) 'db_admin' AND x.grantee OPERATOR(pg_catalog.<>) x.grantor
  UNION ALL
  SELECT n.oid, n.nspname, 'routines', f.proname::pg_catalog.text, pg_catalog.oidvectortypes(f.proargtypes), x.grantee, x.grantor, x.privilege_type
  FROM pg_catalog.pg_proc f JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) f.pronamespace
  CROSS JOIN LATERAL pg_catalog.aclexplode(f.proacl) x
  WHERE NOT n.listed AND n.nspname OPERATOR(pg_catalog.<>) 'db_admin' AND x.grantee OPERATOR(pg_catalog.<>) x.grantor
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) f.oid)
), foreign_grants AS (
  -- USAGE on a server lets a role use it by name (dblink) with its own or PUBLIC's user mapping, i.e. stored
  -- credentials, and create user mappings; USAGE on a wrapper lets it create servers. Database-wide objects, so
  -- PUBLIC counts, as for the database itself. An owner's own entry (grantee = grantor) is no grant.
  SELECT o.object_class, o.name, o.acl, x.grantee, x.grantor, x.privilege_type, x.is_grantable
  FROM (SELECT 'server'::pg_catalog.text AS object_class, s.srvname::pg_catalog.text AS name, s.srvacl AS acl
        FROM pg_catalog.pg_foreign_server s WHERE s.srvacl IS NOT NULL
        UNION ALL
        SELECT 'wrapper', w.fdwname::pg_catalog.text, w.fdwacl FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.fdwacl IS NOT NULL) o
  CROSS JOIN LATERAL pg_catalog.aclexplode(o.acl) x
  WHERE x.grantee OPERATOR(pg_catalog.<>) x.grantor
    AND (x.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid OR x.grantee OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT r.oid FROM roles r)))
), owners AS (
  SELECT r.oid, r.rolname, r.rolname OPERATOR(pg_catalog.=) $3::pg_catalog.text AS is_admin FROM pg_catalog.pg_roles r
  WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]) OR r.rolname OPERATOR(pg_catalog.=) $3::pg_catalog.text
), owned_outside AS (
  -- The kinds inspect-database.sql's owned CTE names (an owned sequence, index, array or multirange type follows
  -- its parent), plus the schemas themselves. cls/oid: the catalog row the members rule is asked about (a
  -- composite type's relation is internal to its type). Each catalog is filtered by owner first: most objects are
  -- the owner role's or the master's, and only the rest meet the members rule (and each catalog is read once).
  SELECT pg_catalog.pg_get_userbyid(o.owner) AS rolname, n.oid AS nspoid, n.nspname, o.kind, o.name, o.args
  FROM (SELECT 'pg_catalog.pg_namespace'::pg_catalog.regclass AS cls, s.oid, s.oid AS nsp, s.nspowner AS owner,
               'SCHEMA'::pg_catalog.text AS kind, NULL::pg_catalog.text AS name, NULL::pg_catalog.text AS args
        FROM pg_catalog.pg_namespace s WHERE s.nspowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'c'::pg_catalog."char" THEN 'pg_catalog.pg_type'::pg_catalog.regclass ELSE 'pg_catalog.pg_class'::pg_catalog.regclass END,
               CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'c'::pg_catalog."char" THEN c.reltype ELSE c.oid END, c.relnamespace, c.relowner,
               CASE WHEN c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::pg_catalog."char"[]) THEN 'TABLE'
                    WHEN c.relkind OPERATOR(pg_catalog.=) 'v'::pg_catalog."char" THEN 'VIEW'
                    WHEN c.relkind OPERATOR(pg_catalog.=) 'm'::pg_catalog."char" THEN 'MATERIALIZED VIEW'
                    WHEN c.relkind OPERATOR(pg_catalog.=) 'f'::pg_catalog."char" THEN 'FOREIGN TABLE'
                    WHEN c.relkind OPERATOR(pg_catalog.=) 'c'::pg_catalog."char" THEN 'TYPE'
                    ELSE 'SEQUENCE' END,
               c.relname::pg_catalog.text, NULL
        FROM pg_catalog.pg_class c
        WHERE c.relowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
          AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f', 'c', 'S']::pg_catalog."char"[])
          AND NOT (c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" AND EXISTS (
                SELECT FROM pg_catalog.pg_depend dep
                WHERE dep.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.objid OPERATOR(pg_catalog.=) c.oid
                  AND dep.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND dep.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['a', 'i']::pg_catalog."char"[])))
        UNION ALL
        SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, f.oid, f.pronamespace, f.proowner,
               CASE WHEN f.prokind OPERATOR(pg_catalog.=) 'a'::pg_catalog."char" THEN 'AGGREGATE' ELSE 'ROUTINE' END,
               f.proname::pg_catalog.text, pg_catalog.oidvectortypes(f.proargtypes)
        FROM pg_catalog.pg_proc f WHERE f.proowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, t.typnamespace, t.typowner,
               CASE WHEN t.typtype OPERATOR(pg_catalog.=) 'd'::pg_catalog."char" THEN 'DOMAIN' ELSE 'TYPE' END, t.typname::pg_catalog.text, NULL
        FROM pg_catalog.pg_type t
        WHERE t.typowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w)) AND t.typrelid OPERATOR(pg_catalog.=) 0::pg_catalog.oid AND t.typelem OPERATOR(pg_catalog.=) 0::pg_catalog.oid
          AND t.typtype OPERATOR(pg_catalog.<>) 'm'::pg_catalog."char"
        UNION ALL
        SELECT 'pg_catalog.pg_statistic_ext'::pg_catalog.regclass, x.oid, x.stxnamespace, x.stxowner, 'STATISTICS', x.stxname::pg_catalog.text, NULL
        FROM pg_catalog.pg_statistic_ext x WHERE x.stxowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_collation'::pg_catalog.regclass, c.oid, c.collnamespace, c.collowner, 'COLLATION', c.collname::pg_catalog.text, NULL
        FROM pg_catalog.pg_collation c WHERE c.collowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_ts_config'::pg_catalog.regclass, c.oid, c.cfgnamespace, c.cfgowner, 'TEXT SEARCH CONFIGURATION', c.cfgname::pg_catalog.text, NULL
        FROM pg_catalog.pg_ts_config c WHERE c.cfgowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_ts_dict'::pg_catalog.regclass, d.oid, d.dictnamespace, d.dictowner, 'TEXT SEARCH DICTIONARY', d.dictname::pg_catalog.text, NULL
        FROM pg_catalog.pg_ts_dict d WHERE d.dictowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_conversion'::pg_catalog.regclass, c.oid, c.connamespace, c.conowner, 'CONVERSION', c.conname::pg_catalog.text, NULL
        FROM pg_catalog.pg_conversion c WHERE c.conowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, o.oprnamespace, o.oprowner, 'OPERATOR', o.oprname::pg_catalog.text,
               pg_catalog.concat(CASE WHEN o.oprleft OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END,
                                 ', ', pg_catalog.format_type(o.oprright, NULL))
        FROM pg_catalog.pg_operator o WHERE o.oprowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_opclass'::pg_catalog.regclass, c.oid, c.opcnamespace, c.opcowner, 'OPERATOR CLASS', c.opcname::pg_catalog.text, a.amname::pg_catalog.text
        FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) c.opcmethod WHERE c.opcowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))
        UNION ALL
        SELECT 'pg_catalog.pg_opfamily'::pg_catalog.regclass, f.oid, f.opfnamespace, f.opfowner, 'OPERATOR FAMILY', f.opfname::pg_catalog.text, a.amname::pg_catalog.text
        FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_am a ON a.oid OPERATOR(pg_catalog.=) f.opfmethod WHERE f.opfowner OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT w.oid FROM owners w))) o
  JOIN nsp n ON n.oid OPERATOR(pg_catalog.=) o.nsp
  WHERE NOT n.listed
    AND NOT (n.nspname OPERATOR(pg_catalog.=) 'db_admin' AND EXISTS (SELECT FROM owners w WHERE w.is_admin AND w.oid OPERATOR(pg_catalog.=) o.owner))
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) o.cls AND m.objid OPERATOR(pg_catalog.=) o.oid)
)
SELECT pg_catalog.json_build_object(
  'columnGrants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', g.nspname, 'table', g.relname, 'listed', g.listed, 'column', g.attname, 'role', g.rolname,
      'viaPublic', g.via_public, 'privilege', g.privilege_type, 'grantor', g.grantor, 'byOwner', g.by_owner,
      'byApplier', g.by_applier, 'grantorSettable', g.grantor_settable, 'schemaUsable', g.schema_usable,
      'grantorSchemaUsable', g.grantor_schema_usable, 'tableLevel', g.table_level)
    ORDER BY g.nspname, g.relname, g.rolname, g.privilege_type, g.attname), '[]') FROM column_grants g),
  'otherGrants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'schema', o.nspname, 'objectClass', o.object_class, 'name', o.name, 'args', o.args, 'role', r.rolname,
      'privilege', o.privilege_type, 'grantor', pg_catalog.pg_get_userbyid(o.grantor),
      'byApplier', pg_catalog.pg_get_userbyid(o.grantor) OPERATOR(pg_catalog.=) CURRENT_USER,
      'grantorSettable', pg_catalog.pg_has_role(CURRENT_USER, o.grantor, (SELECT g.privilege FROM grantor_right g)),
      'schemaUsable', pg_catalog.has_schema_privilege(CURRENT_USER, o.nspoid, 'USAGE'),
      'grantorSchemaUsable', pg_catalog.has_schema_privilege(o.grantor, o.nspoid, 'USAGE'))
    ORDER BY o.nspname, o.object_class, o.name, o.args, r.rolname, o.privilege_type), '[]')
    FROM other_grants o JOIN roles r ON r.oid OPERATOR(pg_catalog.=) o.grantee),
  -- Default privileges any role set up for a managed role (the owner's and admin's are compared with the model
  -- in lib/drift/diff-database.ts; the core leaves those out here).
  'defaultGrants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', pg_catalog.pg_get_userbyid(d.defaclrole), 'schema', n.nspname, 'objectType', d.defaclobjtype,
      'grantee', r.rolname, 'privilege', a.privilege_type, 'usable', pg_catalog.pg_has_role(CURRENT_USER, d.defaclrole, 'USAGE'))
    ORDER BY d.defaclrole, n.nspname, d.defaclobjtype, r.rolname, a.privilege_type), '[]')
    FROM pg_catalog.pg_default_acl d CROSS JOIN LATERAL pg_catalog.aclexplode(d.defaclacl) a
    JOIN roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) d.defaclnamespace),
  -- passedOn: whom the holder granted the privilege from its grant option (a REVOKE then needs CASCADE).
  'foreignGrants', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'objectClass', f.object_class, 'name', f.name,
      'role', CASE WHEN f.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(f.grantee)::pg_catalog.text END,
      'privilege', f.privilege_type, 'grantable', f.is_grantable, 'grantor', pg_catalog.pg_get_userbyid(f.grantor),
      'byApplier', pg_catalog.pg_get_userbyid(f.grantor) OPERATOR(pg_catalog.=) CURRENT_USER,
      'grantorSettable', pg_catalog.pg_has_role(CURRENT_USER, f.grantor, (SELECT g.privilege FROM grantor_right g)),
      'passedOn', (SELECT coalesce(pg_catalog.json_agg(CASE WHEN y.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
                                                            ELSE pg_catalog.pg_get_userbyid(y.grantee)::pg_catalog.text END ORDER BY y.grantee), '[]')
                   FROM pg_catalog.aclexplode(f.acl) y
                   WHERE f.is_grantable AND y.grantor OPERATOR(pg_catalog.=) f.grantee AND y.grantee OPERATOR(pg_catalog.<>) y.grantor
                     AND y.privilege_type OPERATOR(pg_catalog.=) f.privilege_type))
    ORDER BY f.object_class, f.name, f.grantee, f.grantor, f.privilege_type), '[]') FROM foreign_grants f),
  -- schemaUsable: the owning role may look up names in the schema (a member inheriting from it then may too).
  'ownedOutside', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', o.rolname, 'kind', o.kind, 'schema', o.nspname, 'name', o.name, 'args', o.args,
      'schemaUsable', pg_catalog.has_schema_privilege(o.rolname, o.nspoid, 'USAGE'))
    ORDER BY o.rolname, o.nspname, o.kind OPERATOR(pg_catalog.<>) 'SCHEMA', o.name, o.args), '[]') FROM owned_outside o)
) AS facts;
