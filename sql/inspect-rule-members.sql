-- A rule the inspection queries share (each reads it as its `members` CTE, included where the query names this
-- file): objects that belong to something else, neither checked nor fixed. Extension members (deptype 'e',
-- installed and owned as the extension decided: the migration's business) and internal parts that follow their
-- parent (deptype 'i': array and multirange types, range constructors, identity sequences): the object itself
-- (objsubid 0) depending on something else (a partition key column's self-reference is no such part).
SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
WHERE d.deptype OPERATOR(pg_catalog.=) ANY (ARRAY['e', 'i']::pg_catalog."char"[]) AND d.objsubid OPERATOR(pg_catalog.=) 0
  AND NOT (d.refclassid OPERATOR(pg_catalog.=) d.classid AND d.refobjid OPERATOR(pg_catalog.=) d.objid)
