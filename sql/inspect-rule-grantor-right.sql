-- A rule the inspection queries share (each reads it as its `grantor_right` CTE, included where the query names
-- this file): what the applying user must hold in a grant's grantor to revoke that grant exactly, as the grantor
-- (SET ROLE): on 16+ the SET option of the membership, on 15 any membership. One row: the privilege pg_has_role()
-- takes.
SELECT CASE WHEN pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) 160000
            THEN 'SET' ELSE 'MEMBER' END::pg_catalog.text AS privilege
