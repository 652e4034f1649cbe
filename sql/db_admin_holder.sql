-- db_admin, part 3: the holder's workflow for shared firefighter roles (spec "firefighterLogins": "shared",
-- the default): a reissue for the holder, an extension within the incident's total, a revoke checked against the
-- holder, and the record of the previous holder's sessions ended at a takeover.
--
-- Installed by the engine right after sql/db_admin_approvals_history.sql, in the same step and under the same version
-- marker. Static like parts 1 and 2. set_firefighter_password (part 1) keeps its behaviour: these functions are
-- what the broker calls, and request_firefighter_password shares its body (issue_shared_password) for
-- everything but a reissue.
--
-- Security notes for reviewers (as part 1):
--   * SECURITY DEFINER as admin; search_path pinned to pg_catalog, pg_temp; TimeZone pinned to UTC;
--     standard_conforming_strings on; functions schema-qualified; names through format('%I').
--   * Only the holder recorded in firefighter_role, for the incident recorded there, may reissue or extend;
--     the row is locked (lock_firefighter_role) for the whole transaction.
--   * The password argument must be a SCRAM-SHA-256 verifier (check_issue_input, part 1).
--   * Refusals reuse the SQLSTATEs of parts 1 and 2 (FP003: not the holder; FP004: incident total used); a revoke
--     adds FF008 (held for another incident) and FF009 (nothing to revoke).

-- Issues the role's password: for its current holder on the same incident a new password with the expiry
-- kept (audited as 'reissue'); for anyone else what set_firefighter_password does (issue, takeover, or
-- ROLE_HELD). outcome: 'issued' | 'reissued' | 'takeover'; previous_*: whom a takeover replaced. p_end_sessions
-- with a takeover: the previous holder's sessions on this instance end before anything is written
-- (issue_shared_password), sessions_ended says how many; the broker ends those on the other instances.
CREATE OR REPLACE FUNCTION db_admin.request_firefighter_password(
  p_role name,
  p_password text,
  p_hours integer,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
  p_takeover boolean DEFAULT false,
  p_end_sessions boolean DEFAULT false,
  OUT outcome text,
  OUT expires_at timestamptz,
  OUT previous_holder text,
  OUT previous_incident_id text,
  OUT sessions_ended integer
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
#variable_conflict use_column
DECLARE
  v_row    db_admin.firefighter_role;
  v_issued record;
BEGIN
  PERFORM db_admin.check_issue_input(p_requested_by, p_incident_id, p_reason, p_hours, p_password);
  v_row := db_admin.lock_firefighter_role(p_role);
  sessions_ended := 0;

  IF v_row.holder OPERATOR(pg_catalog.=) p_requested_by AND v_row.incident_id OPERATOR(pg_catalog.=) p_incident_id
     AND v_row.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() THEN
    -- The guardrails as the spec declares them, whatever the holder changed since (as for a new holder).
    PERFORM db_admin.assert_guardrails(v_row);
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', p_role, p_password, v_row.expires_at);
    INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at)
    VALUES ('reissue', p_role, p_requested_by, p_incident_id, p_reason, v_row.expires_at);
    outcome := 'reissued';
    expires_at := v_row.expires_at;
    RETURN;
  END IF;

  -- What set_firefighter_password does (part 1), on the row locked and the input checked above.
  v_issued := db_admin.issue_shared_password(v_row, p_password, p_hours, p_requested_by, p_incident_id, p_reason, p_takeover, p_end_sessions);
  expires_at := v_issued.expires_at;
  sessions_ended := v_issued.sessions_ended;
  IF v_issued.took_over THEN
    outcome := 'takeover';
    previous_holder := v_row.holder;
    previous_incident_id := v_row.incident_id;
  ELSE
    outcome := 'issued';
  END IF;
END
$fn$;

-- Moves the holder's expiry up to p_hours from now, within firefighter_role.incident_minutes (240 when not
-- set) counted from the holder's first issue or takeover for this incident. Returns the expiry.
CREATE OR REPLACE FUNCTION db_admin.extend_firefighter_password(
  p_role name,
  p_hours integer,
  p_requested_by text,
  p_incident_id text,
  p_reason text
)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_row     db_admin.firefighter_role;
  v_now     timestamptz := pg_catalog.date_trunc('second', pg_catalog.clock_timestamp());
  v_expires timestamptz;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  PERFORM db_admin.check_hours(p_hours);
  v_row := db_admin.lock_firefighter_role(p_role);
  IF v_row.holder IS DISTINCT FROM p_requested_by OR v_row.incident_id IS DISTINCT FROM p_incident_id
     -- The clock itself, not v_now (whole seconds): a revoke earlier in this second has ended the hold.
     OR v_row.expires_at IS NULL OR v_row.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp() THEN
    RAISE EXCEPTION '% does not hold % for incident %', p_requested_by, p_role, p_incident_id
      USING ERRCODE = 'FP003', HINT = 'request it first';
  END IF;
  -- Already valid for as long as asked: nothing to change (nor to audit).
  IF v_now OPERATOR(pg_catalog.+) pg_catalog.make_interval(hours => p_hours) OPERATOR(pg_catalog.<=) v_row.expires_at THEN
    RETURN v_row.expires_at;
  END IF;
  v_expires := db_admin.incident_expiry(p_role, p_incident_id, p_hours, coalesce(v_row.incident_minutes, 240),
    db_admin.first_shared_issue(p_role, p_requested_by, p_incident_id), v_row.expires_at);
  EXECUTE pg_catalog.format('ALTER ROLE %I VALID UNTIL %L', p_role, v_expires);
  UPDATE db_admin.firefighter_role f SET expires_at = v_expires WHERE f.role OPERATOR(pg_catalog.=) p_role;
  INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at)
  VALUES ('extend', p_role, p_requested_by, p_incident_id, p_reason, v_expires);
  RETURN v_expires;
END
$fn$;

-- What `firefighter revoke` asks for a shared role: the caller must hold it for this incident (FF008 names the
-- incident they hold it for; FF009: nothing of theirs to revoke), or, with p_all, it is expired whoever holds it
-- (and a password set outside the broker with it). The expiry itself is expire_firefighter_password (part 1): the
-- writer's sessions end before anything a holder could lock is written. Neither check waits on a holder: the
-- allowlist row is admin's, pg_roles is read without a lock.
CREATE OR REPLACE FUNCTION db_admin.revoke_firefighter_password(
  p_role name,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
  p_all boolean DEFAULT false,
  OUT expired_at timestamptz,
  OUT sessions_ended integer
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_row  db_admin.firefighter_role;
  v_held boolean;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  v_row := db_admin.lock_firefighter_role(p_role);
  v_held := v_row.holder IS NOT NULL AND v_row.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp();
  IF coalesce(p_all, false) THEN
    -- Nothing held and no login left (VALID UNTIL passed): nothing to expire.
    IF NOT v_held AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) p_role
                                 AND r.rolvaliduntil OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp()) THEN
      RAISE EXCEPTION '% is not held by anyone and its password has expired: nothing to revoke', p_role USING ERRCODE = 'FF009';
    END IF;
  ELSIF NOT v_held THEN
    RAISE EXCEPTION '% is not held by anyone: nothing to revoke', p_role USING ERRCODE = 'FF009';
  ELSIF v_row.holder OPERATOR(pg_catalog.<>) p_requested_by THEN
    RAISE EXCEPTION '% is held by % for incident %, not by you: nothing of yours to revoke', p_role, v_row.holder, v_row.incident_id
      USING ERRCODE = 'FF009', HINT = 'revoke --all expires it whoever holds it (audited)';
  ELSIF v_row.incident_id OPERATOR(pg_catalog.<>) p_incident_id THEN
    RAISE EXCEPTION 'you hold % for incident %, not %: nothing was revoked', p_role, v_row.incident_id, p_incident_id
      USING ERRCODE = 'FF008', HINT = 'revoke it with the incident you hold it for';
  END IF;
  SELECT e.expired_at, e.sessions_ended INTO expired_at, sessions_ended
    FROM db_admin.expire_firefighter_password(p_role, p_requested_by, p_incident_id, p_reason) e;
END
$fn$;

-- After a takeover, the broker ends the role's sessions on every instance (end_firefighter_sessions): the new
-- holder has not logged in yet, so they are the previous holder's. This records how many, for the holder who
-- took the role over on this incident only, naming the previous holder from the takeover's own audit row.
-- Until they ended, those sessions could still change the role's own settings (ALTER ROLE self SET
-- statement_timeout = 0) after the takeover had asserted the guardrails: they are asserted again here, once
-- those sessions are gone. (They could also have set the role's password, which only the cluster parameter
-- rds.restrict_password_commands = 1 prevents; the construct sets it.) Idempotent: a repeat (the broker's
-- retry after a lost answer) records nothing more.
CREATE OR REPLACE FUNCTION db_admin.record_takeover_sessions_ended(
  p_role name,
  p_requested_by text,
  p_incident_id text,
  p_ended integer
)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_row      db_admin.firefighter_role;
  v_previous text;
  v_takeover bigint;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, 'sessions ended');
  IF p_ended IS NULL OR p_ended < 0 OR p_ended > 100000 THEN
    RAISE EXCEPTION 'p_ended must be a count of sessions, got %', coalesce(p_ended::text, 'NULL') USING ERRCODE = 'FF005';
  END IF;
  v_row := db_admin.lock_firefighter_role(p_role);
  SELECT a.previous_holder, a.id INTO v_previous, v_takeover FROM db_admin.firefighter_audit a
   WHERE a.role OPERATOR(pg_catalog.=) p_role AND a.action OPERATOR(pg_catalog.=) 'takeover'
     AND a.requested_by OPERATOR(pg_catalog.=) p_requested_by AND a.incident_id OPERATOR(pg_catalog.=) p_incident_id
   ORDER BY a.id DESC LIMIT 1;
  IF NOT FOUND OR v_row.holder IS DISTINCT FROM p_requested_by OR v_row.incident_id IS DISTINCT FROM p_incident_id THEN
    RAISE EXCEPTION '% did not take % over for incident %', p_requested_by, p_role, p_incident_id USING ERRCODE = 'FP003';
  END IF;
  PERFORM db_admin.assert_guardrails(v_row);
  IF EXISTS (SELECT 1 FROM db_admin.firefighter_audit a
              WHERE a.id OPERATOR(pg_catalog.>) v_takeover AND a.action OPERATOR(pg_catalog.=) 'end-sessions'
                AND a.role OPERATOR(pg_catalog.=) p_role AND a.requested_by OPERATOR(pg_catalog.=) p_requested_by
                AND a.incident_id OPERATOR(pg_catalog.=) p_incident_id) THEN
    RETURN v_previous;
  END IF;
  INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at, previous_holder, sessions_ended)
  VALUES ('end-sessions', p_role, p_requested_by, p_incident_id, 'the previous holder''s sessions ended at the takeover',
          v_row.expires_at, v_previous, p_ended);
  RETURN v_previous;
END
$fn$;

REVOKE ALL ON FUNCTION db_admin.request_firefighter_password(name, text, integer, text, text, text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.extend_firefighter_password(name, integer, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.revoke_firefighter_password(name, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.record_takeover_sessions_ended(name, text, text, integer) FROM PUBLIC;
