-- db_admin, part 2c: approvals for read-write (opt-in per database) and what the broker reads: the per-person
-- policies, the open logins with their sessions, and the timeline of both modes.
--
-- Installed right after sql/db_admin_per_person_end.sql, in the same step and under the same version marker;
-- the security notes of parts 1 and 2 apply.

-- Approve or deny a pending read-write request; the approver must be someone else, before it lapses.
CREATE OR REPLACE FUNCTION db_admin.decide_firefighter_approval(
  p_request_id bigint,
  p_decided_by text,
  p_approve boolean,
  p_reason text
)
RETURNS TABLE (request_id bigint, role name, requested_by text, incident_id text, decision text, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
#variable_conflict use_column
DECLARE
  v_row    db_admin.firefighter_approval;
  v_policy db_admin.firefighter_login_policy;
  v_now    timestamptz := pg_catalog.date_trunc('second', pg_catalog.clock_timestamp());
  v_decision text := CASE WHEN p_approve THEN 'approved' ELSE 'denied' END;
BEGIN
  SELECT * INTO v_row FROM db_admin.firefighter_approval a WHERE a.id = p_request_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no approval request %', p_request_id USING ERRCODE = 'FP005';
  END IF;
  PERFORM db_admin.check_audit_fields(p_decided_by, v_row.incident_id, p_reason);
  IF p_approve IS NULL THEN
    RAISE EXCEPTION 'p_approve must be true or false' USING ERRCODE = 'FF005';
  END IF;
  IF v_row.requested_by = p_decided_by THEN
    RAISE EXCEPTION 'request % was made by %, who cannot decide it', p_request_id, p_decided_by
      USING ERRCODE = 'FP006', HINT = 'another approver must decide it';
  END IF;
  IF v_row.decision IS NOT NULL THEN
    RAISE EXCEPTION 'request % was already % by %', p_request_id, v_row.decision, v_row.decided_by USING ERRCODE = 'FP007';
  END IF;
  IF v_row.expires_at <= v_now THEN
    RAISE EXCEPTION 'request % lapsed at %', p_request_id, pg_catalog.to_char(v_row.expires_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      USING ERRCODE = 'FP007', HINT = 'the requester asks again';
  END IF;
  SELECT * INTO v_policy FROM db_admin.firefighter_login_policy p WHERE p.role = v_row.role;
  UPDATE db_admin.firefighter_approval a
     SET decision = v_decision, decided_by = p_decided_by, decided_at = v_now,
         expires_at = CASE WHEN p_approve THEN v_now + pg_catalog.make_interval(mins => coalesce(v_policy.approval_minutes, 15)) ELSE a.expires_at END
   WHERE a.id = v_row.id
  RETURNING * INTO v_row;
  INSERT INTO db_admin.firefighter_login_audit (action, role, requested_by, incident_id, reason, expires_at, request_id)
  VALUES (CASE WHEN p_approve THEN 'approve' ELSE 'deny' END, v_row.role, p_decided_by, v_row.incident_id, p_reason, v_row.expires_at, v_row.id);
  RETURN QUERY SELECT v_row.id, v_row.role, v_row.requested_by, v_row.incident_id, v_row.decision, v_row.expires_at;
END
$fn$;

-- The per-person groups and their limits, for the broker (which also learns the mode from it).
CREATE OR REPLACE FUNCTION db_admin.firefighter_login_policies()
RETURNS TABLE (role name, access text, max_logins integer, connection_limit integer, approval boolean, incident_minutes integer)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT p.role, f.access, p.max_logins, p.connection_limit, p.approval, p.incident_minutes
    FROM db_admin.firefighter_login_policy p
    JOIN db_admin.firefighter_role f ON f.role = p.role
   ORDER BY p.role;
$fn$;

-- Logins not dropped yet, with their sessions on the instance this connection reached.
CREATE OR REPLACE FUNCTION db_admin.firefighter_logins()
RETURNS TABLE (login name, role name, requested_by text, incident_id text, issued_at timestamptz, expires_at timestamptz, active boolean, sessions integer)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT l.login, l.role, l.requested_by, l.incident_id, l.issued_at, l.expires_at,
         l.expires_at > pg_catalog.clock_timestamp(),
         (SELECT pg_catalog.count(*)::integer FROM pg_catalog.pg_stat_activity a WHERE a.usename = l.login)
    FROM db_admin.firefighter_login l
   WHERE l.dropped_at IS NULL
   ORDER BY l.role, l.issued_at;
$fn$;

-- The timeline of both modes (part 1's audit and this part's), oldest first. Holds no secret.
CREATE OR REPLACE FUNCTION db_admin.firefighter_history(p_incident_id text DEFAULT NULL, p_since timestamptz DEFAULT NULL, p_limit integer DEFAULT 500)
RETURNS TABLE (at timestamptz, action text, role name, login name, actor text, incident_id text, reason text,
               expires_at timestamptz, previous_holder text, sessions_ended integer, request_id bigint)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT * FROM (
    SELECT a.at, a.action, a.role, NULL::name, a.requested_by, a.incident_id, a.reason, a.expires_at, a.previous_holder, a.sessions_ended, NULL::bigint
      FROM db_admin.firefighter_audit a
     WHERE (p_incident_id IS NULL OR a.incident_id = p_incident_id) AND (p_since IS NULL OR a.at >= p_since)
    UNION ALL
    SELECT a.at, a.action, a.role, a.login, a.requested_by, a.incident_id, a.reason, a.expires_at, NULL::text, a.sessions_ended, a.request_id
      FROM db_admin.firefighter_login_audit a
     WHERE (p_incident_id IS NULL OR a.incident_id = p_incident_id) AND (p_since IS NULL OR a.at >= p_since)
  ) t
  ORDER BY 1, 2
  LIMIT LEAST(GREATEST(coalesce(p_limit, 500), 1), 5000);
$fn$;

-- Read-write requests waiting for a second person, newest first (`firefighter requests`), or one request by id
-- whatever its state (`firefighter requests show ID`). Holds no secret.
CREATE OR REPLACE FUNCTION db_admin.firefighter_approval_requests(p_request_id bigint DEFAULT NULL)
RETURNS TABLE (request_id bigint, role name, requested_by text, incident_id text, reason text, requested_at timestamptz,
               expires_at timestamptz, state text, decided_by text, decided_at timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT a.id, a.role, a.requested_by, a.incident_id, a.reason, a.requested_at, a.expires_at,
         CASE WHEN a.used_at IS NOT NULL THEN 'used'
              WHEN a.decision IS NOT NULL THEN a.decision
              WHEN a.expires_at > pg_catalog.clock_timestamp() THEN 'pending'
              ELSE 'lapsed' END,
         a.decided_by, a.decided_at
    FROM db_admin.firefighter_approval a
   WHERE CASE WHEN p_request_id IS NULL
              THEN a.decision IS NULL AND a.expires_at > pg_catalog.clock_timestamp()
              ELSE a.id = p_request_id END
   ORDER BY a.requested_at DESC, a.id DESC
   LIMIT 200;
$fn$;

REVOKE ALL ON FUNCTION db_admin.decide_firefighter_approval(bigint, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_approval_requests(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_login_policies() FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_logins() FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_history(text, timestamptz, integer) FROM PUBLIC;
