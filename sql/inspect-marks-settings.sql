-- Who created each managed role, and the settings that would change a managed session behind the spec's
-- back (read-only; run with inspect-cluster.sql). $1: text[] managed role names; $2: text[] managed databases.
--   roleComments: the comment of each existing managed role (the engine's mark, lib/model/role-mark.ts).
--   wideSettings: `ALTER ROLE <managed> SET ...` without IN DATABASE (applies in every database).
--   databaseSettings: `ALTER DATABASE <managed> SET ...` (applies to every role in it).
--   databaseOwnerUsable: the managed databases whose owner's privileges the inspecting user has, as ALTER DATABASE
--     needs (on 15 any membership; on 16+ only one with INHERIT, which the applying master's SET-only one is not).
SELECT pg_catalog.json_build_object(
  'roleComments', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', r.rolname, 'comment', pg_catalog.shobj_description(r.oid, 'pg_authid')) ORDER BY r.rolname), '[]')
    FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])),
  'wideSettings', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('role', r.rolname, 'settings', s.setconfig)
      ORDER BY r.rolname), '[]')
    FROM pg_catalog.pg_db_role_setting s
    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
    WHERE s.setdatabase OPERATOR(pg_catalog.=) 0::pg_catalog.oid
      AND r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])),
  'databaseSettings', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('database', d.datname, 'settings', s.setconfig)
      ORDER BY d.datname), '[]')
    FROM pg_catalog.pg_db_role_setting s
    JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.setdatabase
    WHERE s.setrole OPERATOR(pg_catalog.=) 0::pg_catalog.oid
      AND d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])),
  'databaseOwnerUsable', (
    SELECT coalesce(pg_catalog.json_agg(d.datname ORDER BY d.datname), '[]')
    FROM pg_catalog.pg_database d
    WHERE d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])
      AND pg_catalog.pg_has_role(CURRENT_USER, d.datdba, 'USAGE'))
) AS facts;
