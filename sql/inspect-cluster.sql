-- Cluster-wide facts for the role model, as one JSON document (read-only; run by verify, plan and apply).
-- $1: text[] managed role names; $2: text[] managed database names.
-- Per-grant INHERIT / SET options exist from PostgreSQL 16; to_jsonb(m) reads them without failing on 15.
-- Every function, operator, type and catalog is pg_catalog-qualified: the session also pins search_path
-- (lib/postgres/connection.ts), and neither may be all that stands between the master and a planted overload.
SELECT pg_catalog.json_build_object(
  'serverVersionNum', pg_catalog.current_setting('server_version_num')::pg_catalog.int4,
  'currentUser', current_user,
  -- pg_settings, not shared_preload_libraries (which only pg_read_all_settings may read): once pgaudit is loaded
  -- its pgaudit.log is a superuser setting; a placeholder someone set without the module would be a user one.
  'pgauditLoaded', EXISTS (SELECT 1 FROM pg_catalog.pg_settings s
                            WHERE s.name OPERATOR(pg_catalog.=) 'pgaudit.log' AND s.context OPERATOR(pg_catalog.=) 'superuser'),
  'existingRoles', (SELECT coalesce(pg_catalog.json_agg(rolname ORDER BY rolname), '[]') FROM pg_catalog.pg_roles
                    WHERE rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
                       OR rolname OPERATOR(pg_catalog.=) ANY (ARRAY['rds_iam', 'rds_password', 'pg_signal_backend']::pg_catalog.name[])),
  'roles', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', r.rolname, 'login', r.rolcanlogin, 'inherit', r.rolinherit, 'createRole', r.rolcreaterole,
      'createDb', r.rolcreatedb, 'superuser', r.rolsuper, 'replication', r.rolreplication,
      'bypassRls', r.rolbypassrls, 'connectionLimit', r.rolconnlimit,
      'iam', CASE WHEN pg_catalog.to_regrole('rds_iam') IS NOT NULL
                  THEN pg_catalog.pg_has_role(r.oid, pg_catalog.to_regrole('rds_iam')::pg_catalog.oid, 'MEMBER') END
    ) ORDER BY r.rolname), '[]')
    FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])),
  'memberships', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', g.rolname, 'member', u.rolname, 'grantor', gr.rolname, 'admin', m.admin_option,
      'inherit', (pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'inherit_option')::pg_catalog.bool,
      'set', (pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'set_option')::pg_catalog.bool,
      -- For members the spec does not manage (diff-unmanaged-members.ts): an administrator of the cluster
      -- (CREATEROLE with rds_superuser's privileges: the master), and whether the applying user may revoke
      -- in the grantor's name (it holds the grantor's privileges).
      'memberAdministers', u.rolcreaterole AND pg_catalog.to_regrole('rds_superuser') IS NOT NULL
                             AND pg_catalog.pg_has_role(u.oid, pg_catalog.to_regrole('rds_superuser')::pg_catalog.oid, 'USAGE'),
      'memberCreateRole', u.rolcreaterole,
      'grantorUsable', gr.oid IS NOT NULL AND pg_catalog.pg_has_role(current_user, gr.oid, 'USAGE')
    ) ORDER BY g.rolname, u.rolname), '[]')
    FROM pg_catalog.pg_auth_members m
    JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
    JOIN pg_catalog.pg_roles u ON u.oid OPERATOR(pg_catalog.=) m.member
    LEFT JOIN pg_catalog.pg_roles gr ON gr.oid OPERATOR(pg_catalog.=) m.grantor
    -- Members of the listed roles too (diff-unmanaged-members.ts), except superusers.
    WHERE u.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
       OR (g.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
           AND (u.rolname OPERATOR(pg_catalog.=) current_user OR NOT u.rolsuper))),
  'databases', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', d.datname, 'owner', pg_catalog.pg_get_userbyid(d.datdba), 'connectionLimit', d.datconnlimit,
      'acl', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                'grantee', CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
                'privilege', a.privilege_type)), '[]')
              FROM pg_catalog.aclexplode(coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
              WHERE a.grantee OPERATOR(pg_catalog.<>) d.datdba)
    ) ORDER BY d.datname), '[]')
    FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])),
  'databaseAccess', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'role', r.rolname, 'database', d.datname,
      'connect', pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT'),
      'create', pg_catalog.has_database_privilege(r.oid, d.oid, 'CREATE'),
      'temporary', pg_catalog.has_database_privilege(r.oid, d.oid, 'TEMPORARY')
    ) ORDER BY d.datname, r.rolname), '[]')
    FROM pg_catalog.pg_roles r CROSS JOIN pg_catalog.pg_database d
    WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) AND d.datname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])),
  'roleSettings', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('role', r.rolname, 'database', d.datname, 'settings', s.setconfig)
      ORDER BY r.rolname, d.datname), '[]')
    FROM pg_catalog.pg_db_role_setting s
    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
    JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.setdatabase
    -- current_user too: the master's exemption from the statement audit (diff-settings.ts).
    WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) OR r.rolname OPERATOR(pg_catalog.=) current_user)
) AS facts;
