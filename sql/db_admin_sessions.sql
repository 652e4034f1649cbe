-- db_admin, part 1c: ending a role's sessions, and the writes to a role's own catalog rows that its holder
-- cannot block.
--
-- Installed right after sql/db_admin_checks.sql, in the same step and under the same version marker; the
-- security notes of part 1 apply. Internal: the contract's functions call these; neither PUBLIC nor the broker
-- may execute them.
--
-- Why: a login may change its own password and settings (ALTER ROLE CURRENT_USER PASSWORD ..., ALTER ROLE
-- CURRENT_USER IN DATABASE ... SET ..., wherever rds.restrict_password_commands is off: a cluster you bring,
-- --direct on any PostgreSQL) and leave that transaction open. Its row in pg_authid (pg_db_role_setting) then
-- stays locked, and every other write to the row waits for that transaction. Whatever must win over a holder (a
-- revoke, a takeover that ends sessions, the sweep's drop) therefore ends the holder's sessions first: a
-- terminated backend aborts its transaction and so releases its locks. Only a session of the role itself (or a
-- role with CREATEROLE, which a holder never has) can write those rows, and writes only happen on the writer.

-- Ends one role's sessions (pg_stat_activity.usename: the session user, whatever role it SET since) on the
-- instance this connection reached, waiting for each backend to exit (up to 1 s): the count is of sessions that
-- are gone, not merely signalled, and their locks are released. The one place db_admin ends a session.
CREATE OR REPLACE FUNCTION db_admin.end_role_sessions(p_user name)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT pg_catalog.count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(a.pid, 1000))::integer
    FROM pg_catalog.pg_stat_activity a
   WHERE a.usename OPERATOR(pg_catalog.=) p_user AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid();
$fn$;

-- Runs p_statements (each a write to p_user's own catalog rows: ALTER ROLE, DROP ROLE; built by the caller with
-- format('%I', ...)) after ending p_user's sessions on this instance. A session of p_user that came back in
-- between and locked a row again is waited for briefly (lock_timeout 1 s here), its sessions are ended again and
-- the statement retried, five times at most. Returns how many sessions it ended.
CREATE OR REPLACE FUNCTION db_admin.alter_role_ending_sessions(p_user name, p_statements text[])
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
SET lock_timeout = '1s'
AS $fn$
DECLARE
  v_ended     integer := db_admin.end_role_sessions(p_user);
  v_statement text;
  v_done      boolean;
BEGIN
  FOREACH v_statement IN ARRAY coalesce(p_statements, '{}'::text[]) LOOP
    v_done := false;
    FOR v_try IN 1..5 LOOP
      BEGIN
        EXECUTE v_statement;
        v_done := true;
      EXCEPTION WHEN lock_not_available THEN
        -- A session of p_user came back and locked the row again: end it and try once more.
        v_ended := v_ended OPERATOR(pg_catalog.+) db_admin.end_role_sessions(p_user);
      END;
      EXIT WHEN v_done;
    END LOOP;
    IF NOT v_done THEN
      RAISE EXCEPTION 'a catalog row of % stayed locked after its sessions were ended 5 times', p_user
        USING ERRCODE = 'lock_not_available', HINT = 'another administrator''s open transaction may hold it; try again';
    END IF;
  END LOOP;
  RETURN v_ended;
END
$fn$;

REVOKE ALL ON FUNCTION db_admin.end_role_sessions(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.alter_role_ending_sessions(name, text[]) FROM PUBLIC;
