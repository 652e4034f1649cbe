-- Cluster-wide facts for the role model, as one JSON document (read-only; run by verify, plan and apply).
-- $1: text[] managed role names; $2: text[] managed database names.
-- Per-grant INHERIT / SET options exist from PostgreSQL 16; to_jsonb(m) reads them without failing on 15.
SELECT json_build_object(
  'serverVersionNum', current_setting('server_version_num')::int,
  'currentUser', current_user,
  'existingRoles', (SELECT coalesce(json_agg(rolname ORDER BY rolname), '[]') FROM pg_roles
                    WHERE rolname = ANY ($1) OR rolname IN ('rds_iam', 'rds_password', 'pg_signal_backend')),
  'roles', (
    SELECT coalesce(json_agg(json_build_object(
      'name', r.rolname, 'login', r.rolcanlogin, 'inherit', r.rolinherit, 'createRole', r.rolcreaterole,
      'createDb', r.rolcreatedb, 'superuser', r.rolsuper, 'replication', r.rolreplication,
      'bypassRls', r.rolbypassrls, 'connectionLimit', r.rolconnlimit,
      'iam', CASE WHEN to_regrole('rds_iam') IS NOT NULL THEN pg_has_role(r.oid, to_regrole('rds_iam'), 'MEMBER') END
    ) ORDER BY r.rolname), '[]')
    FROM pg_roles r WHERE r.rolname = ANY ($1)),
  'memberships', (
    SELECT coalesce(json_agg(json_build_object(
      'role', g.rolname, 'member', u.rolname, 'grantor', gr.rolname, 'admin', m.admin_option,
      'inherit', (to_jsonb(m) ->> 'inherit_option')::boolean, 'set', (to_jsonb(m) ->> 'set_option')::boolean
    ) ORDER BY g.rolname, u.rolname), '[]')
    FROM pg_auth_members m
    JOIN pg_roles g ON g.oid = m.roleid
    JOIN pg_roles u ON u.oid = m.member
    LEFT JOIN pg_roles gr ON gr.oid = m.grantor
    WHERE u.rolname = ANY ($1) OR (g.rolname = ANY ($1) AND u.rolname = current_user)),
  'databases', (
    SELECT coalesce(json_agg(json_build_object(
      'name', d.datname, 'owner', pg_get_userbyid(d.datdba), 'connectionLimit', d.datconnlimit,
      'acl', (SELECT coalesce(json_agg(json_build_object(
                'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                'privilege', a.privilege_type)), '[]')
              FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
              WHERE a.grantee <> d.datdba)
    ) ORDER BY d.datname), '[]')
    FROM pg_database d WHERE d.datname = ANY ($2)),
  'databaseAccess', (
    SELECT coalesce(json_agg(json_build_object(
      'role', r.rolname, 'database', d.datname,
      'connect', has_database_privilege(r.oid, d.oid, 'CONNECT'),
      'create', has_database_privilege(r.oid, d.oid, 'CREATE'),
      'temporary', has_database_privilege(r.oid, d.oid, 'TEMPORARY')
    ) ORDER BY d.datname, r.rolname), '[]')
    FROM pg_roles r CROSS JOIN pg_database d
    WHERE r.rolname = ANY ($1) AND d.datname = ANY ($2)),
  'roleSettings', (
    SELECT coalesce(json_agg(json_build_object('role', r.rolname, 'database', d.datname, 'settings', s.setconfig)
      ORDER BY r.rolname, d.datname), '[]')
    FROM pg_db_role_setting s
    JOIN pg_roles r ON r.oid = s.setrole
    JOIN pg_database d ON d.oid = s.setdatabase
    WHERE r.rolname = ANY ($1))
) AS facts;
