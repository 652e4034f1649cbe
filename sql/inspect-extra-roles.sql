-- Members of the extra roles (issue 10.8) and which of the members the spec names exist (read-only).
-- $1: text[] extra role names; $2: text[] member names the spec lists.
-- Every function, operator and catalog is pg_catalog-qualified, as in every inspection query.
SELECT pg_catalog.json_build_object(
  'extraRoleMembers', (
    SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('role', g.rolname, 'member', u.rolname,
      'admin', m.admin_option, 'grantor', pg_catalog.pg_get_userbyid(m.grantor))
      ORDER BY g.rolname, u.rolname), '[]')
    FROM pg_catalog.pg_auth_members m
    JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
    JOIN pg_catalog.pg_roles u ON u.oid OPERATOR(pg_catalog.=) m.member
    WHERE g.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])),
  'existingMembers', (
    SELECT coalesce(pg_catalog.json_agg(r.rolname ORDER BY r.rolname), '[]')
    FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[]))
) AS facts;
