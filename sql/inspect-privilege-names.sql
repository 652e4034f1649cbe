-- The objects behind each privilege count that differs from the model (read-only; run only when one does).
-- $1..$5: parallel arrays, one element per question: text[] schema, text[] role, text[] object class
-- ('tables', 'sequences', 'routines'), text[] privileges the role lacks on some objects (comma-separated, may be
-- empty), text[] privileges it holds beyond the model (comma-separated, may be empty).
-- Extension members and internal parts are left out, as everywhere (inspect-rule-members.sql). Every function, operator and
-- type is pg_catalog-qualified: this runs as the master inside a database whose owner may plant overloads.
WITH q AS (
  SELECT ($1::pg_catalog.text[])[i] AS schema, ($2::pg_catalog.text[])[i] AS role, ($3::pg_catalog.text[])[i] AS object_class,
         CASE WHEN ($4::pg_catalog.text[])[i] OPERATOR(pg_catalog.=) '' THEN NULL
              ELSE pg_catalog.string_to_array(($4::pg_catalog.text[])[i], ',') END AS missing,
         CASE WHEN ($5::pg_catalog.text[])[i] OPERATOR(pg_catalog.=) '' THEN NULL ELSE ($5::pg_catalog.text[])[i] END AS extra
  FROM pg_catalog.generate_subscripts($1::pg_catalog.text[], 1) AS i
), members AS (
  -- @include inspect-rule-members.sql
), relations AS (
  -- @include inspect-rule-relations.sql
), objects AS (
  SELECT n.nspname, CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog."char" THEN 'sequences' ELSE 'tables' END AS object_class,
         c.oid, pg_catalog.concat(pg_catalog.quote_ident(n.nspname), '.', pg_catalog.quote_ident(c.relname)) AS name
  FROM relations c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
  UNION ALL
  SELECT n.nspname, 'routines', f.oid, f.oid::pg_catalog.regprocedure::pg_catalog.text
  FROM pg_catalog.pg_proc f JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) f.pronamespace
  WHERE n.nspname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
    AND NOT EXISTS (SELECT FROM members m WHERE m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND m.objid OPERATOR(pg_catalog.=) f.oid)
), checked AS (
  SELECT q.schema, q.role, q.object_class, o.name,
         CASE o.object_class
           WHEN 'tables' THEN EXISTS (SELECT FROM pg_catalog.unnest(q.missing) p WHERE NOT pg_catalog.has_table_privilege(r.oid, o.oid, p))
           WHEN 'sequences' THEN EXISTS (SELECT FROM pg_catalog.unnest(q.missing) p WHERE NOT pg_catalog.has_sequence_privilege(r.oid, o.oid, p))
           ELSE q.missing IS NOT NULL AND NOT pg_catalog.has_function_privilege(r.oid, o.oid, 'EXECUTE') END AS lacks,
         CASE WHEN q.extra IS NULL THEN false
           WHEN o.object_class OPERATOR(pg_catalog.=) 'tables' THEN pg_catalog.has_table_privilege(r.oid, o.oid, q.extra)
           WHEN o.object_class OPERATOR(pg_catalog.=) 'sequences' THEN pg_catalog.has_sequence_privilege(r.oid, o.oid, q.extra)
           ELSE pg_catalog.has_function_privilege(r.oid, o.oid, 'EXECUTE') END AS holds
  FROM q JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) q.role
  JOIN objects o ON o.nspname OPERATOR(pg_catalog.=) q.schema AND o.object_class OPERATOR(pg_catalog.=) q.object_class
)
SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
    'schema', g.schema, 'role', g.role, 'objectClass', g.object_class, 'missing', g.missing, 'extra', g.extra)), '[]') AS names
FROM (SELECT schema, role, object_class,
             coalesce(pg_catalog.json_agg(name ORDER BY name) FILTER (WHERE lacks), '[]') AS missing,
             coalesce(pg_catalog.json_agg(name ORDER BY name) FILTER (WHERE holds), '[]') AS extra
      FROM checked GROUP BY 1, 2, 3) g;
