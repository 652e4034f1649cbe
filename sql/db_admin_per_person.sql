-- db_admin, part 2: per-person firefighter logins (spec "firefighterLogins": "per-person").
--
-- Installed by the engine right after sql/db_admin.sql, in the same step and under the same version marker
-- (the marker hashes both files). Static like part 1: no name from the spec appears here.
--
-- In per-person mode the spec's firefighter roles are NOLOGIN groups. Each request creates a login of its own
-- for one person and one incident (`<group>_<6 hex>`), a member of the group, with the group's guardrails
-- copied onto it, VALID UNTIL at most 2 hours away and its own connection limit. The login name, the verified
-- caller and the incident are recorded together, so `log_connections` names a person's login.
--
-- Security notes for reviewers (as part 1):
--   * SECURITY DEFINER as admin (CREATEROLE; on 16+ ADMIN OPTION on the groups, and on each login it creates).
--   * search_path pinned to pg_catalog, pg_temp; TimeZone pinned to UTC; functions schema-qualified; names
--     reach SQL through format('%I'), never spliced into quoted text.
--   * Only groups with a row in firefighter_login_policy (written by the engine) issue logins; the group's row
--     in firefighter_role is locked, so concurrent requests for one group are counted one at a time.
--   * The password argument must be a SCRAM-SHA-256 verifier; nothing here stores or returns it.
--   * An approval (read-write, opt-in per database) is checked here, so a direct caller cannot skip it.
--   * Refusals raise SQLSTATE class FP (FP001..FP009, lib/core/db-admin.ts).

CREATE TABLE IF NOT EXISTS db_admin.firefighter_login_policy (
  role                 name PRIMARY KEY,
  max_logins           integer NOT NULL CHECK (max_logins BETWEEN 1 AND 1000),
  connection_limit     integer NOT NULL CHECK (connection_limit BETWEEN 1 AND 1000),
  approval             boolean NOT NULL DEFAULT false,
  incident_minutes     integer NOT NULL DEFAULT 240 CHECK (incident_minutes BETWEEN 60 AND 1440),
  approval_minutes     integer NOT NULL DEFAULT 15 CHECK (approval_minutes BETWEEN 1 AND 1440)
);

CREATE TABLE IF NOT EXISTS db_admin.firefighter_login (
  login        name PRIMARY KEY,
  role         name NOT NULL,
  requested_by text NOT NULL,
  incident_id  text NOT NULL,
  issued_at    timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  dropped_at   timestamptz
);
CREATE INDEX IF NOT EXISTS firefighter_login_open ON db_admin.firefighter_login (role, requested_by, incident_id) WHERE dropped_at IS NULL;

CREATE TABLE IF NOT EXISTS db_admin.firefighter_approval (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role         name NOT NULL,
  requested_by text NOT NULL,
  incident_id  text NOT NULL,
  reason       text NOT NULL,
  requested_at timestamptz NOT NULL,
  -- Until a pending request lapses, or until an approval must be used.
  expires_at   timestamptz NOT NULL,
  decision     text CHECK (decision IN ('approved', 'denied')),
  decided_by   text,
  decided_at   timestamptz,
  used_at      timestamptz
);

CREATE TABLE IF NOT EXISTS db_admin.firefighter_login_audit (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  action         text NOT NULL CHECK (action IN ('issue', 'reissue', 'extend', 'revoke', 'drop', 'approval-request', 'approve', 'deny')),
  role           name NOT NULL,
  login          name,
  requested_by   text NOT NULL,
  incident_id    text NOT NULL,
  reason         text,
  expires_at     timestamptz,
  sessions_ended integer,
  request_id     bigint,
  db_user        name NOT NULL DEFAULT session_user
);

-- The policy row of a per-person group, after locking its firefighter_role row (part 1) for this transaction.
CREATE OR REPLACE FUNCTION db_admin.lock_login_policy(p_role name)
RETURNS db_admin.firefighter_login_policy
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
  v_policy db_admin.firefighter_login_policy;
BEGIN
  PERFORM db_admin.lock_firefighter_role(p_role);
  SELECT * INTO v_policy FROM db_admin.firefighter_login_policy p WHERE p.role = p_role;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role % issues no per-person logins: the spec keeps it shared', pg_catalog.quote_literal(p_role::text)
      USING ERRCODE = 'FP001', HINT = 'use set_firefighter_password, or set "firefighterLogins": "per-person" in the spec and apply it';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = p_role AND r.rolcanlogin) THEN
    RAISE EXCEPTION 'role % can still log in; per-person logins need it to be a NOLOGIN group', pg_catalog.quote_literal(p_role::text)
      USING ERRCODE = 'FP001', HINT = 'apply the role model';
  END IF;
  RETURN v_policy;
END
$fn$;

-- Sets the group's guardrails in this database on a login: role settings are not inherited through
-- membership. The source is firefighter_role.guardrails, written by the engine from the spec (not the group's
-- catalog settings, which on 15 a member could change after SET ROLE); the catalog only until the engine has.
CREATE OR REPLACE FUNCTION db_admin.copy_guardrails(p_group name, p_login name)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
  v_guardrails jsonb;
  v_setting    text;
  v_values     jsonb;
  v_list       text;
  v_name       text;
  v_saved      text;
  v_count      integer := 0;
BEGIN
  -- A reissue gets the login as the spec declares it, whatever its holder changed (ALTER ROLE self SET ...).
  -- A login just created has no settings to reset.
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s
              WHERE s.setrole OPERATOR(pg_catalog.=) pg_catalog.to_regrole(pg_catalog.quote_ident(p_login))) THEN
    EXECUTE pg_catalog.format('ALTER ROLE %I RESET ALL', p_login);
    EXECUTE pg_catalog.format('ALTER ROLE %I IN DATABASE %I RESET ALL', p_login, pg_catalog.current_database());
  END IF;
  SELECT f.guardrails INTO v_guardrails FROM db_admin.firefighter_role f WHERE f.role = p_group;
  IF v_guardrails IS NOT NULL THEN
    FOR v_setting, v_values IN SELECT g.key, g.value FROM pg_catalog.jsonb_each(v_guardrails) g LOOP
      -- Each element a literal: `SET search_path = 'a', 'b'` stores the same list as identifiers would.
      SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.value), ', ' ORDER BY e.n) INTO v_list
        FROM pg_catalog.jsonb_array_elements_text(v_values) WITH ORDINALITY AS e(value, n);
      IF v_list IS NULL THEN
        RAISE EXCEPTION 'guardrail % of % has no value; run the role-model apply', v_setting, p_group USING ERRCODE = 'FF006';
      END IF;
      EXECUTE pg_catalog.format('ALTER ROLE %I IN DATABASE %I SET %I = %s', p_login, pg_catalog.current_database(), v_setting, v_list);
      v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
  END IF;
  -- set_config + FROM CURRENT keeps list values (search_path) exactly as the catalog holds them.
  FOR v_setting IN
    SELECT c.setting
      FROM pg_catalog.pg_db_role_setting s
      JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
      JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,
           LATERAL pg_catalog.unnest(s.setconfig) AS c(setting)
     WHERE r.rolname = p_group AND d.datname = pg_catalog.current_database()
  LOOP
    v_name := pg_catalog.split_part(v_setting, '=', 1);
    CONTINUE WHEN v_name !~ '^[a-z_]{1,63}$' OR v_name IN ('role', 'session_authorization');
    v_saved := pg_catalog.current_setting(v_name, true);
    PERFORM pg_catalog.set_config(v_name, pg_catalog.substr(v_setting, pg_catalog.strpos(v_setting, '=') + 1), true);
    EXECUTE pg_catalog.format('ALTER ROLE %I IN DATABASE %I SET %I FROM CURRENT', p_login, pg_catalog.current_database(), v_name);
    PERFORM pg_catalog.set_config(v_name, v_saved, true);
    v_count := v_count + 1;
  END LOOP;
  RETURN v_count;
END
$fn$;

-- Issues (or, for the same person and incident, reissues) a login of a per-person group.
-- outcome: 'issued' | 'reissued' | 'pending' (an approval is needed; request_id names it).
CREATE OR REPLACE FUNCTION db_admin.issue_firefighter_login(
  p_role name,
  p_password text,
  p_hours integer,
  p_requested_by text,
  p_incident_id text,
  p_reason text
)
RETURNS TABLE (outcome text, login name, expires_at timestamptz, request_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
#variable_conflict use_column
DECLARE
  v_policy   db_admin.firefighter_login_policy;
  v_now      timestamptz := pg_catalog.date_trunc('second', pg_catalog.clock_timestamp());
  v_login    db_admin.firefighter_login;
  v_approval db_admin.firefighter_approval;
  v_name     name;
  v_expires  timestamptz;
  v_active   integer;
BEGIN
  PERFORM db_admin.check_issue_input(p_requested_by, p_incident_id, p_reason, p_hours, p_password);
  v_policy := db_admin.lock_login_policy(p_role);

  -- The same person on the same incident gets a new password on the login they hold; the expiry stays.
  SELECT * INTO v_login FROM db_admin.firefighter_login l
   WHERE l.role = p_role AND l.requested_by = p_requested_by AND l.incident_id = p_incident_id
     AND l.dropped_at IS NULL AND l.expires_at > v_now
   ORDER BY l.issued_at DESC LIMIT 1;
  IF FOUND THEN
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', v_login.login, p_password, v_login.expires_at);
    PERFORM db_admin.copy_guardrails(p_role, v_login.login);
    INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at)
    VALUES ('reissue', p_role, v_login.login, p_requested_by, p_incident_id, p_reason, v_login.expires_at);
    RETURN QUERY SELECT 'reissued'::text, v_login.login, v_login.expires_at, NULL::bigint;
    RETURN;
  END IF;

  IF v_policy.approval THEN
    SELECT * INTO v_approval FROM db_admin.firefighter_approval a
     WHERE a.role = p_role AND a.requested_by = p_requested_by AND a.incident_id = p_incident_id
       AND a.used_at IS NULL AND a.expires_at > v_now AND a.decision IS DISTINCT FROM 'denied'
     ORDER BY a.id DESC LIMIT 1;
    IF NOT FOUND THEN
      INSERT INTO db_admin.firefighter_approval (role, requested_by, incident_id, reason, requested_at, expires_at)
      VALUES (p_role, p_requested_by, p_incident_id, p_reason, v_now, v_now + pg_catalog.make_interval(mins => v_policy.approval_minutes * 4))
      RETURNING * INTO v_approval;
      INSERT INTO db_admin.firefighter_login_audit (action, role, requested_by, incident_id, reason, expires_at, request_id)
      VALUES ('approval-request', p_role, p_requested_by, p_incident_id, p_reason, v_approval.expires_at, v_approval.id);
    END IF;
    IF v_approval.decision IS NULL THEN
      RETURN QUERY SELECT 'pending'::text, NULL::name, v_approval.expires_at, v_approval.id;
      RETURN;
    END IF;
    UPDATE db_admin.firefighter_approval a SET used_at = v_now WHERE a.id = v_approval.id;
  END IF;

  SELECT pg_catalog.count(*)::integer INTO v_active FROM db_admin.firefighter_login l
   WHERE l.role = p_role AND l.dropped_at IS NULL AND l.expires_at > v_now;
  IF v_active >= v_policy.max_logins THEN
    RAISE EXCEPTION '% already has % active login(s), the most the spec allows', p_role, v_active
      USING ERRCODE = 'FP002', HINT = 'wait for one to expire, ask a holder to revoke theirs, or raise maxLogins in the spec';
  END IF;
  IF pg_catalog.octet_length(p_role::text) > 56 THEN
    RAISE EXCEPTION 'role name % leaves no room for a login suffix (at most 56 bytes)', p_role USING ERRCODE = 'FP001';
  END IF;
  LOOP
    v_name := p_role::text || '_' || pg_catalog.substr(pg_catalog.md5(pg_catalog.gen_random_uuid()::text), 1, 6);
    EXIT WHEN pg_catalog.to_regrole(pg_catalog.quote_ident(v_name)) IS NULL;
  END LOOP;
  v_expires := v_now + pg_catalog.make_interval(hours => p_hours);
  EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN INHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT %s PASSWORD %L VALID UNTIL %L',
    v_name, v_policy.connection_limit, p_password, v_expires);
  IF pg_catalog.current_setting('server_version_num')::integer >= 160000 THEN
    -- No SET: the login cannot become the group and change the group's own settings.
    EXECUTE pg_catalog.format('GRANT %I TO %I WITH INHERIT TRUE, SET FALSE', p_role, v_name);
  ELSE
    EXECUTE pg_catalog.format('GRANT %I TO %I', p_role, v_name);
  END IF;
  PERFORM db_admin.copy_guardrails(p_role, v_name);
  INSERT INTO db_admin.firefighter_login (login, role, requested_by, incident_id, issued_at, expires_at)
  VALUES (v_name, p_role, p_requested_by, p_incident_id, v_now, v_expires);
  INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at, request_id)
  VALUES ('issue', p_role, v_name, p_requested_by, p_incident_id, p_reason, v_expires, v_approval.id);
  RETURN QUERY SELECT 'issued'::text, v_name, v_expires, v_approval.id;
END
$fn$;

-- Moves the caller's login for this incident up to p_hours from now, within the incident's total.
CREATE OR REPLACE FUNCTION db_admin.extend_firefighter_login(
  p_role name,
  p_hours integer,
  p_requested_by text,
  p_incident_id text,
  p_reason text
)
RETURNS TABLE (login name, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
#variable_conflict use_column
DECLARE
  v_policy  db_admin.firefighter_login_policy;
  v_now     timestamptz := pg_catalog.date_trunc('second', pg_catalog.clock_timestamp());
  v_login   db_admin.firefighter_login;
  v_first   timestamptz;
  v_expires timestamptz;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  IF p_hours IS NULL OR p_hours < 1 OR p_hours > 2 THEN
    RAISE EXCEPTION 'validity must be 1 or 2 hours' USING ERRCODE = 'FF003';
  END IF;
  v_policy := db_admin.lock_login_policy(p_role);
  SELECT * INTO v_login FROM db_admin.firefighter_login l
   WHERE l.role = p_role AND l.requested_by = p_requested_by AND l.incident_id = p_incident_id
     AND l.dropped_at IS NULL AND l.expires_at > v_now
   ORDER BY l.issued_at DESC LIMIT 1;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% has no active login of % for incident %', p_requested_by, p_role, p_incident_id
      USING ERRCODE = 'FP003', HINT = 'request one first';
  END IF;
  SELECT pg_catalog.min(l.issued_at) INTO v_first FROM db_admin.firefighter_login l
   WHERE l.role = p_role AND l.requested_by = p_requested_by AND l.incident_id = p_incident_id;
  -- Already valid for as long as asked: nothing to change (nor to audit).
  IF v_now + pg_catalog.make_interval(hours => p_hours) <= v_login.expires_at THEN
    RETURN QUERY SELECT v_login.login, v_login.expires_at;
    RETURN;
  END IF;
  v_expires := LEAST(v_now + pg_catalog.make_interval(hours => p_hours), v_first + pg_catalog.make_interval(mins => v_policy.incident_minutes));
  IF v_expires <= v_login.expires_at THEN
    RAISE EXCEPTION 'incident % has used its % minutes of % since %', p_incident_id, v_policy.incident_minutes, p_role,
      pg_catalog.to_char(v_first, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      USING ERRCODE = 'FP004', HINT = 'the login stays valid until it expires; request a new incident id if the work continues';
  END IF;
  EXECUTE pg_catalog.format('ALTER ROLE %I VALID UNTIL %L', v_login.login, v_expires);
  UPDATE db_admin.firefighter_login l SET expires_at = v_expires WHERE l.login = v_login.login;
  INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at)
  VALUES ('extend', p_role, v_login.login, p_requested_by, p_incident_id, p_reason, v_expires);
  RETURN QUERY SELECT v_login.login, v_expires;
END
$fn$;

-- Expires the caller's logins of the group (every holder's with p_all); their sessions are ended and the
-- logins dropped by end_login_sessions on each instance, then drop_expired_firefighter_logins.
CREATE OR REPLACE FUNCTION db_admin.revoke_firefighter_logins(
  p_role name,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
  p_all boolean DEFAULT false
)
RETURNS TABLE (login name, holder text, incident_id text)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
#variable_conflict use_column
DECLARE
  v_now timestamptz := pg_catalog.clock_timestamp();
  v_row db_admin.firefighter_login;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  PERFORM db_admin.lock_login_policy(p_role);
  FOR v_row IN
    SELECT * FROM db_admin.firefighter_login l
     WHERE l.role = p_role AND l.dropped_at IS NULL AND l.expires_at > v_now
       AND (coalesce(p_all, false) OR l.requested_by = p_requested_by)
     ORDER BY l.login FOR UPDATE
  LOOP
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD NULL VALID UNTIL %L', v_row.login, '1970-01-01 00:00:00+00');
    UPDATE db_admin.firefighter_login l SET expires_at = v_now WHERE l.login = v_row.login;
    INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at)
    -- Filed under the login's incident, so that incident's history shows who ended it and why.
    VALUES ('revoke', p_role, v_row.login, p_requested_by, v_row.incident_id,
            CASE WHEN coalesce(p_all, false) AND (v_row.requested_by <> p_requested_by OR v_row.incident_id <> p_incident_id)
                 THEN pg_catalog.format('%s (all logins, for incident %s; held by %s)', p_reason, p_incident_id, v_row.requested_by)
                 ELSE p_reason END,
            v_now);
    login := v_row.login; holder := v_row.requested_by; incident_id := v_row.incident_id;
    RETURN NEXT;
  END LOOP;
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
AS $fn$
  SELECT l.login, l.role,
         (SELECT pg_catalog.count(*) FILTER (WHERE pg_catalog.pg_terminate_backend(a.pid, 1000))::integer
            FROM pg_catalog.pg_stat_activity a
           WHERE a.usename OPERATOR(pg_catalog.=) l.login AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid())
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
AS $fn$
  SELECT e.login, e.role, e.ended
    FROM db_admin.end_login_sessions(ARRAY(
      SELECT l.login FROM db_admin.firefighter_login l
       WHERE l.dropped_at IS NULL AND l.expires_at OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp())) e;
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
AS $fn$
#variable_conflict use_column
DECLARE
  v_now   timestamptz := pg_catalog.clock_timestamp();
  v_row   db_admin.firefighter_login;
  v_ended integer;
  v_ok    boolean;
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
      -- A session that raced the expiry on this instance ends here rather than outliving its role.
      PERFORM pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a
        WHERE a.usename = v_row.login AND a.pid <> pg_catalog.pg_backend_pid();
      EXECUTE pg_catalog.format('DROP ROLE IF EXISTS %I', v_row.login);
    EXCEPTION WHEN dependent_objects_still_exist OR object_in_use THEN
      -- It owns something or holds a privilege of its own: it cannot log in any more; a DBA looks at it.
      RAISE WARNING 'login % expired but could not be dropped: %', v_row.login, SQLERRM;
      v_ok := false;
    END;
    IF v_ok THEN
      UPDATE db_admin.firefighter_login l SET dropped_at = v_now WHERE l.login = v_row.login;
      INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at, sessions_ended)
      VALUES ('drop', v_row.role, v_row.login, 'sweep', v_row.incident_id, pg_catalog.format('expired; held by %s', v_row.requested_by), v_row.expires_at, v_ended);
    END IF;
    login := v_row.login; role := v_row.role; dropped := v_ok; sessions_ended := v_ended;
    RETURN NEXT;
  END LOOP;
END
$fn$;

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

REVOKE ALL ON FUNCTION db_admin.lock_login_policy(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.copy_guardrails(name, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.issue_firefighter_login(name, text, integer, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.extend_firefighter_login(name, integer, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.revoke_firefighter_logins(name, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.end_expired_login_sessions() FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.end_login_sessions(name[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.drop_expired_firefighter_logins(name[], integer[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.decide_firefighter_approval(bigint, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_login_policies() FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_logins() FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_history(text, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON TABLE db_admin.firefighter_login_policy, db_admin.firefighter_login, db_admin.firefighter_approval,
  db_admin.firefighter_login_audit FROM PUBLIC;
