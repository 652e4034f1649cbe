-- Every object in one schema, described by the server itself, so that the installed db_admin can be compared
-- with a fresh install of sql/db_admin*.sql in a scratch schema (lib/postgres/db-admin-drift.ts). Read-only.
-- $1: the schema name. Functions: the full definition (arguments, result, body, language, SECURITY DEFINER,
-- SET options, volatility, ...), owner and ACL. Relations: columns, constraints, other indexes, triggers,
-- policies, rules, row security, owner and ACL. Types that are not a relation's row type.
WITH ns AS (
  SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) $1::pg_catalog.text
)
SELECT pg_catalog.json_build_object(
  'functions', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', p.proname,
      'args', pg_catalog.pg_get_function_identity_arguments(p.oid),
      'signature', p.oid::pg_catalog.regprocedure::pg_catalog.text,
      'def', CASE WHEN p.prokind OPERATOR(pg_catalog.=) 'a'::pg_catalog.char THEN 'aggregate'
                  ELSE pg_catalog.pg_get_functiondef(p.oid) END,
      'owner', pg_catalog.pg_get_userbyid(p.proowner),
      'acl', (SELECT coalesce(pg_catalog.json_agg(x.e ORDER BY x.e), '[]') FROM (
                SELECT pg_catalog.concat(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
                                              ELSE pg_catalog.pg_get_userbyid(a.grantee) END, ':', a.privilege_type) AS e
                  FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a) x)
    ) ORDER BY p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)), '[]')
    FROM pg_catalog.pg_proc p JOIN ns ON ns.oid OPERATOR(pg_catalog.=) p.pronamespace),
  'relations', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
      'name', c.relname,
      'kind', c.relkind,
      'owner', pg_catalog.pg_get_userbyid(c.relowner),
      'acl', (SELECT coalesce(pg_catalog.json_agg(x.e ORDER BY x.e), '[]') FROM (
                SELECT pg_catalog.concat(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0::pg_catalog.oid THEN 'PUBLIC'
                                              ELSE pg_catalog.pg_get_userbyid(a.grantee) END, ':', a.privilege_type) AS e
                  FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault(
                         CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'S'::pg_catalog.char THEN 's'::pg_catalog.char ELSE 'r'::pg_catalog.char END,
                         c.relowner))) a) x),
      'rowSecurity', pg_catalog.concat(c.relrowsecurity, '/', c.relforcerowsecurity),
      'columns', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                    'name', a.attname, 'type', pg_catalog.format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull,
                    'default', pg_catalog.pg_get_expr(d.adbin, d.adrelid), 'identity', a.attidentity, 'generated', a.attgenerated
                  ) ORDER BY a.attnum), '[]')
                  FROM pg_catalog.pg_attribute a
                  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid OPERATOR(pg_catalog.=) a.attrelid AND d.adnum OPERATOR(pg_catalog.=) a.attnum
                 WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0::pg_catalog.int2 AND NOT a.attisdropped),
      'constraints', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                        'name', k.conname, 'def', pg_catalog.pg_get_constraintdef(k.oid)) ORDER BY k.conname), '[]')
                      FROM pg_catalog.pg_constraint k WHERE k.conrelid OPERATOR(pg_catalog.=) c.oid),
      'indexes', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                    'name', ic.relname, 'def', pg_catalog.pg_get_indexdef(i.indexrelid)) ORDER BY ic.relname), '[]')
                  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid OPERATOR(pg_catalog.=) i.indexrelid
                 WHERE i.indrelid OPERATOR(pg_catalog.=) c.oid
                   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid OPERATOR(pg_catalog.=) i.indexrelid)),
      'triggers', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                     'name', t.tgname, 'def', pg_catalog.pg_get_triggerdef(t.oid)) ORDER BY t.tgname), '[]')
                   FROM pg_catalog.pg_trigger t WHERE t.tgrelid OPERATOR(pg_catalog.=) c.oid AND NOT t.tgisinternal),
      'policies', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                     'name', pol.polname,
                     'def', pg_catalog.concat(pol.polcmd, ' ', pol.polpermissive, ' ', pol.polroles::pg_catalog.text, ' ',
                                              pg_catalog.pg_get_expr(pol.polqual, pol.polrelid), ' ',
                                              pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid))) ORDER BY pol.polname), '[]')
                   FROM pg_catalog.pg_policy pol WHERE pol.polrelid OPERATOR(pg_catalog.=) c.oid),
      'rules', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object(
                  'name', r.rulename, 'def', pg_catalog.pg_get_ruledef(r.oid)) ORDER BY r.rulename), '[]')
                FROM pg_catalog.pg_rewrite r
               WHERE r.ev_class OPERATOR(pg_catalog.=) c.oid AND r.rulename OPERATOR(pg_catalog.<>) '_RETURN'::pg_catalog.name)
    ) ORDER BY c.relname), '[]')
    FROM pg_catalog.pg_class c JOIN ns ON ns.oid OPERATOR(pg_catalog.=) c.relnamespace
   WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f', 'S']::pg_catalog.char[])),
  'types', (SELECT coalesce(pg_catalog.json_agg(pg_catalog.json_build_object('name', t.typname, 'kind', t.typtype) ORDER BY t.typname), '[]')
    FROM pg_catalog.pg_type t JOIN ns ON ns.oid OPERATOR(pg_catalog.=) t.typnamespace
   WHERE t.typrelid OPERATOR(pg_catalog.=) 0::pg_catalog.oid AND t.typelem OPERATOR(pg_catalog.=) 0::pg_catalog.oid)
) AS print;
