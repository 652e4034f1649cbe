-- db_admin, part 2b: how per-person logins end (spec "firefighterLogins": "per-person"). A revoke expires them;
-- each instance ends their sessions; the writer then drops them and records how many sessions each had.
--
-- Installed right after sql/db_admin_per_person.sql (its tables), in the same step and under the same version
-- marker; the security notes of parts 1 and 2 apply.

-- Expires the caller's login of the group for p_incident_id (every holder's with p_all): a caller whose logins
-- are for another incident is refused naming it (FF008), one with none is told there is nothing to revoke
-- (FF009, as is p_all when no login is active). Each login's sessions on this instance
-- (the writer: only there can a transaction hold the login's row) end first, so a holder's open transaction is
-- aborted rather than making the revoke wait (sql/db_admin_sessions.sql); sessions_ended counts them. The
-- sessions elsewhere are ended by end_login_sessions on each instance, then the logins dropped by
-- drop_expired_firefighter_logins.
CREATE OR REPLACE FUNCTION db_admin.revoke_firefighter_logins(
  p_role name,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
  p_all boolean DEFAULT false
)
RETURNS TABLE (login name, holder text, incident_id text, sessions_ended integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
#variable_conflict use_column
DECLARE
  v_now   timestamptz := pg_catalog.clock_timestamp();
  v_row   db_admin.firefighter_login;
  v_ended integer;
  v_count integer := 0;
  v_other text;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  PERFORM db_admin.lock_login_policy(p_role);
  IF NOT coalesce(p_all, false) AND NOT EXISTS (
       SELECT 1 FROM db_admin.firefighter_login l
        WHERE l.role = p_role AND l.dropped_at IS NULL AND l.expires_at > v_now
          AND l.requested_by = p_requested_by AND l.incident_id = p_incident_id) THEN
    SELECT pg_catalog.string_agg(DISTINCT l.incident_id, ', ') INTO v_other FROM db_admin.firefighter_login l
     WHERE l.role = p_role AND l.dropped_at IS NULL AND l.expires_at > v_now AND l.requested_by = p_requested_by;
    IF v_other IS NOT NULL THEN
      RAISE EXCEPTION 'you hold a login of % for incident %, not %: nothing was revoked', p_role, v_other, p_incident_id
        USING ERRCODE = 'FF008', HINT = 'revoke it with the incident you hold it for';
    END IF;
    RAISE EXCEPTION 'you hold no active login of %: nothing to revoke', p_role
      USING ERRCODE = 'FF009', HINT = 'revoke --all ends every holder''s logins (audited)';
  END IF;
  FOR v_row IN
    SELECT * FROM db_admin.firefighter_login l
     WHERE l.role = p_role AND l.dropped_at IS NULL AND l.expires_at > v_now
       AND (coalesce(p_all, false) OR (l.requested_by = p_requested_by AND l.incident_id = p_incident_id))
     ORDER BY l.login FOR UPDATE
  LOOP
    v_count := v_count + 1;
    v_ended := db_admin.alter_role_ending_sessions(v_row.login,
      ARRAY[pg_catalog.format('ALTER ROLE %I PASSWORD NULL VALID UNTIL %L', v_row.login, '1970-01-01 00:00:00+00')]);
    UPDATE db_admin.firefighter_login l SET expires_at = v_now WHERE l.login = v_row.login;
    INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at, sessions_ended)
    -- Filed under the login's incident, so that incident's history shows who ended it and why.
    VALUES ('revoke', p_role, v_row.login, p_requested_by, v_row.incident_id,
            CASE WHEN coalesce(p_all, false) AND (v_row.requested_by <> p_requested_by OR v_row.incident_id <> p_incident_id)
                 THEN pg_catalog.format('%s (all logins, for incident %s; held by %s)', p_reason, p_incident_id, v_row.requested_by)
                 ELSE p_reason END,
            v_now, v_ended);
    login := v_row.login; holder := v_row.requested_by; incident_id := v_row.incident_id; sessions_ended := v_ended;
    RETURN NEXT;
  END LOOP;
  IF v_count = 0 THEN
    RAISE EXCEPTION 'no login of % is active: nothing to revoke', p_role USING ERRCODE = 'FF009';
  END IF;
END
$fn$;

-- Ends, on the instance this connection reached, the sessions of the named logins: the broker names the logins
-- the writer found expired, because a reader's copy of firefighter_login may not show a revoke yet (replica
-- lag), and a login dropped before its reader sessions ended would leave them running. Only logins in
-- firefighter_login qualify. Writes nothing, so it runs on readers too.
CREATE OR REPLACE FUNCTION db_admin.end_login_sessions(p_logins name[])
RETURNS TABLE (login name, role name, ended integer)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT l.login, l.role, db_admin.end_role_sessions(l.login)
    FROM db_admin.firefighter_login l
   WHERE l.login OPERATOR(pg_catalog.=) ANY (coalesce(p_logins, '{}'::name[]))
   ORDER BY l.login;
$fn$;

-- Ends, on the instance this connection reached, the sessions of logins that have expired (or were revoked)
-- and are not dropped yet, as this instance's copy of firefighter_login sees them: end_login_sessions for the
-- logins it finds. Right on the writer; on a reader the broker names the logins instead (replica lag).
CREATE OR REPLACE FUNCTION db_admin.end_expired_login_sessions()
RETURNS TABLE (login name, role name, ended integer)
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT e.login, e.role, e.ended
    FROM db_admin.end_login_sessions(ARRAY(
      SELECT l.login FROM db_admin.firefighter_login l
       WHERE l.dropped_at IS NULL AND l.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())) e;
$fn$;

-- Before an expired login is dropped: what it owns in this database that holds data but no code goes to the
-- database's owner, as every other object of the database does: its large objects (lo_create needs no
-- privilege). Its default privileges and the privileges granted to it go (DROP OWNED), but only when it owns
-- nothing else here: a table, a function, ... is left for a human, and the drop then fails (verify says how).
-- admin takes the login's privileges for this (it created the login; on 16+ it holds ADMIN OPTION on it); the
-- membership ends with the login, or with the caller's subtransaction. Returns how many large objects it moved.
CREATE OR REPLACE FUNCTION db_admin.release_login_objects(p_login name)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_role  pg_catalog.oid := pg_catalog.to_regrole(pg_catalog.quote_ident(p_login));
  v_db    pg_catalog.oid;
  v_owner name;
  v_lo    pg_catalog.oid;
  v_moved integer := 0;
BEGIN
  SELECT d.oid, pg_catalog.pg_get_userbyid(d.datdba) INTO v_db, v_owner
    FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database();
  IF v_role IS NULL OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend s
       WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass
         AND s.refobjid OPERATOR(pg_catalog.=) v_role AND s.dbid OPERATOR(pg_catalog.=) v_db) THEN
    RETURN 0;
  END IF;
  IF pg_catalog.current_setting('server_version_num')::integer >= 160000 THEN
    EXECUTE pg_catalog.format('GRANT %I TO %I WITH INHERIT TRUE, SET FALSE', p_login, current_user);
  ELSE
    EXECUTE pg_catalog.format('GRANT %I TO %I', p_login, current_user);
  END IF;
  FOR v_lo IN SELECT m.oid FROM pg_catalog.pg_largeobject_metadata m WHERE m.lomowner OPERATOR(pg_catalog.=) v_role ORDER BY m.oid LOOP
    EXECUTE pg_catalog.format('ALTER LARGE OBJECT %s OWNER TO %I', v_lo, v_owner);
    v_moved := v_moved OPERATOR(pg_catalog.+) 1;
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend s
       WHERE s.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_authid'::pg_catalog.regclass
         AND s.refobjid OPERATOR(pg_catalog.=) v_role AND s.dbid OPERATOR(pg_catalog.=) v_db AND s.deptype OPERATOR(pg_catalog.=) 'o'
         AND s.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_default_acl'::pg_catalog.regclass) THEN
    EXECUTE pg_catalog.format('DROP OWNED BY %I', p_login);
  END IF;
  RETURN v_moved;
END
$fn$;

-- On the writer, after every instance ended the sessions: drops the expired logins and records how many
-- sessions each had (p_logins[i] had p_ended[i], as the broker counted them on all instances). Only the named
-- logins: one that expired while the instances were visited keeps its reader sessions until the next sweep.
CREATE OR REPLACE FUNCTION db_admin.drop_expired_firefighter_logins(p_logins name[] DEFAULT '{}', p_ended integer[] DEFAULT '{}')
RETURNS TABLE (login name, role name, dropped boolean, sessions_ended integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
#variable_conflict use_column
DECLARE
  v_now   timestamptz := pg_catalog.clock_timestamp();
  v_row   db_admin.firefighter_login;
  v_ended integer;
  v_ok    boolean;
  v_moved integer;
BEGIN
  IF pg_catalog.cardinality(coalesce(p_logins, '{}')) <> pg_catalog.cardinality(coalesce(p_ended, '{}')) THEN
    RAISE EXCEPTION 'p_logins and p_ended must have the same length' USING ERRCODE = 'FF005';
  END IF;
  FOR v_row IN
    SELECT * FROM db_admin.firefighter_login l
     WHERE l.dropped_at IS NULL AND l.expires_at <= v_now AND l.login = ANY (coalesce(p_logins, '{}'))
     ORDER BY l.login FOR UPDATE SKIP LOCKED
  LOOP
    SELECT coalesce(pg_catalog.sum(e.n), 0)::integer INTO v_ended
      FROM ROWS FROM (pg_catalog.unnest(coalesce(p_logins, '{}')), pg_catalog.unnest(coalesce(p_ended, '{}'))) AS e(l, n)
     WHERE e.l = v_row.login;
    v_ok := true;
    BEGIN
      v_moved := db_admin.release_login_objects(v_row.login);
      -- A session that raced the expiry on this instance ends here rather than outliving its role, and cannot
      -- hold the login's row against the drop (sql/db_admin_sessions.sql).
      v_ended := v_ended OPERATOR(pg_catalog.+) db_admin.alter_role_ending_sessions(v_row.login,
        ARRAY[pg_catalog.format('DROP ROLE IF EXISTS %I', v_row.login)]);
    EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
      -- It owns something other than large objects, or something in another database: it cannot log in any
      -- more, and verify names what it owns and how to release it.
      RAISE WARNING 'login % expired but could not be dropped: %', v_row.login, SQLERRM;
      v_ok := false;
    END;
    IF v_ok THEN
      UPDATE db_admin.firefighter_login l SET dropped_at = v_now WHERE l.login = v_row.login;
      INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at, sessions_ended)
      VALUES ('drop', v_row.role, v_row.login, 'sweep', v_row.incident_id,
              pg_catalog.format('expired; held by %s', v_row.requested_by)
                OPERATOR(pg_catalog.||) CASE WHEN v_moved OPERATOR(pg_catalog.>) 0
                  THEN pg_catalog.format('; its %s large object(s) now belong to the database owner', v_moved) ELSE '' END,
              v_row.expires_at, v_ended);
    END IF;
    login := v_row.login; role := v_row.role; dropped := v_ok; sessions_ended := v_ended;
    RETURN NEXT;
  END LOOP;
END
$fn$;

REVOKE ALL ON FUNCTION db_admin.revoke_firefighter_logins(name, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.end_expired_login_sessions() FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.end_login_sessions(name[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.release_login_objects(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.drop_expired_firefighter_logins(name[], integer[]) FROM PUBLIC;
