-- db_admin, part 2: per-person firefighter logins (spec "firefighterLogins": "per-person").
--
-- Installed by the engine right after sql/db_admin.sql, in the same step and under the same version marker
-- (the marker hashes every part). Static like part 1: no name from the spec appears here. This file holds the
-- tables and how a login is issued and extended; db_admin_per_person_end.sql how logins end (revoke, sessions
-- ended on every instance, dropped); db_admin_approvals_history.sql approvals and what the broker reads.
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
--   * Refusals raise SQLSTATE class FP (FP001..FP009, lib/model/db-admin.ts).

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
SET standard_conforming_strings = on
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
SET standard_conforming_strings = on
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
  v_login := db_admin.active_login(p_role, p_requested_by, p_incident_id);
  IF v_login.login IS NOT NULL THEN
    -- A role's ARN as the requester is the broker saying "every session of this role, not told apart"
    -- (lib/broker/protocol/person.ts): a new password would lock out whichever of them uses the login, so the
    -- login is revoked first. People (IAM users, Identity Center users, bound session names) get the reissue.
    IF p_requested_by ~ '^arn:aws[a-z-]*:iam::[0-9]{12}:role/' THEN
      RAISE EXCEPTION '% holds login % for incident % until %; the broker cannot tell the sessions of that role apart, so a new password would lock out whoever uses it',
        p_requested_by, v_login.login, p_incident_id, pg_catalog.to_char(v_login.expires_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        USING ERRCODE = 'FP008', HINT = 'use the login you have, or revoke it first; or bind the role''s session names to people (docs/security.md, "Who is a person")';
    END IF;
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', v_login.login, p_password, v_login.expires_at);
    PERFORM db_admin.copy_guardrails(p_role, v_login.login);
    INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at)
    VALUES ('reissue', p_role, v_login.login, p_requested_by, p_incident_id, p_reason, v_login.expires_at);
    RETURN QUERY SELECT 'reissued'::text, v_login.login, v_login.expires_at, NULL::bigint;
    RETURN;
  END IF;
  -- A new login on an incident this person held before (revoked, expired) gets what is left of its minutes.
  v_expires := db_admin.incident_expiry(p_role, p_incident_id, p_hours, v_policy.incident_minutes,
    db_admin.first_login_issue(p_role, p_requested_by, p_incident_id), NULL);

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

-- The login this person holds of the group for the incident, if any (the latest, unexpired, not dropped).
CREATE OR REPLACE FUNCTION db_admin.active_login(p_role name, p_requested_by text, p_incident_id text)
RETURNS db_admin.firefighter_login
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT * FROM db_admin.firefighter_login l
   WHERE l.role OPERATOR(pg_catalog.=) p_role AND l.requested_by OPERATOR(pg_catalog.=) p_requested_by
     AND l.incident_id OPERATOR(pg_catalog.=) p_incident_id
     AND l.dropped_at IS NULL AND l.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp()
   ORDER BY l.issued_at DESC LIMIT 1;
$fn$;

-- This person's first login of the group for the incident (dropped ones included): where the incident's minutes
-- start.
CREATE OR REPLACE FUNCTION db_admin.first_login_issue(p_role name, p_requested_by text, p_incident_id text)
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT pg_catalog.min(l.issued_at) FROM db_admin.firefighter_login l
   WHERE l.role OPERATOR(pg_catalog.=) p_role AND l.requested_by OPERATOR(pg_catalog.=) p_requested_by
     AND l.incident_id OPERATOR(pg_catalog.=) p_incident_id;
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
SET standard_conforming_strings = on
AS $fn$
#variable_conflict use_column
DECLARE
  v_policy  db_admin.firefighter_login_policy;
  v_now     timestamptz := pg_catalog.date_trunc('second', pg_catalog.clock_timestamp());
  v_login   db_admin.firefighter_login;
  v_expires timestamptz;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  PERFORM db_admin.check_hours(p_hours);
  v_policy := db_admin.lock_login_policy(p_role);
  v_login := db_admin.active_login(p_role, p_requested_by, p_incident_id);
  IF v_login.login IS NULL THEN
    RAISE EXCEPTION '% has no active login of % for incident %', p_requested_by, p_role, p_incident_id
      USING ERRCODE = 'FP003', HINT = 'request one first';
  END IF;
  -- Already valid for as long as asked: nothing to change (nor to audit).
  IF v_now + pg_catalog.make_interval(hours => p_hours) <= v_login.expires_at THEN
    RETURN QUERY SELECT v_login.login, v_login.expires_at;
    RETURN;
  END IF;
  v_expires := db_admin.incident_expiry(p_role, p_incident_id, p_hours, v_policy.incident_minutes,
    db_admin.first_login_issue(p_role, p_requested_by, p_incident_id), v_login.expires_at);
  EXECUTE pg_catalog.format('ALTER ROLE %I VALID UNTIL %L', v_login.login, v_expires);
  UPDATE db_admin.firefighter_login l SET expires_at = v_expires WHERE l.login = v_login.login;
  INSERT INTO db_admin.firefighter_login_audit (action, role, login, requested_by, incident_id, reason, expires_at)
  VALUES ('extend', p_role, v_login.login, p_requested_by, p_incident_id, p_reason, v_expires);
  RETURN QUERY SELECT v_login.login, v_expires;
END
$fn$;

REVOKE ALL ON FUNCTION db_admin.lock_login_policy(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.issue_firefighter_login(name, text, integer, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.extend_firefighter_login(name, integer, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.active_login(name, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.first_login_issue(name, text, text) FROM PUBLIC;
REVOKE ALL ON TABLE db_admin.firefighter_login_policy, db_admin.firefighter_login, db_admin.firefighter_approval,
  db_admin.firefighter_login_audit FROM PUBLIC;
