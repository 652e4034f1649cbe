-- A rule the inspection queries share (each reads it as its `relations` CTE, included where the query names this
-- file): the relations whose privileges the model checks. Tables (plain and partitioned), views, materialized
-- views, foreign tables and sequences, identity and serial sequences included, except those an extension owns
-- (deptype 'e': their privileges are the extension's business).
SELECT c.oid, c.relname, c.relnamespace, c.relkind, c.relowner, c.relacl FROM pg_catalog.pg_class c
WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'v', 'm', 'f', 'S']::pg_catalog."char"[])
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e WHERE e.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND e.objid OPERATOR(pg_catalog.=) c.oid AND e.deptype OPERATOR(pg_catalog.=) 'e'::pg_catalog."char")
