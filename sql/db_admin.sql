-- db_admin: the break-glass password functions, in every managed database.
--
-- Installed by the role-model engine as the spec's admin role, right after `CREATE SCHEMA db_admin`, and
-- re-run only when one of its files changes (their hash is recorded as the schema comment); what the functions
-- check before they change anything is in db_admin_checks.sql, installed right after this file. It is static:
-- no name from the spec appears here. The engine fills db_admin.firefighter_role with this database's two
-- firefighter roles (and their guardrails) and grants EXECUTE on the contract's functions to the broker only.
--
-- Security notes for reviewers:
--   * SECURITY DEFINER as admin (CREATEROLE; on 16+ ADMIN OPTION on the firefighter roles; pg_signal_backend).
--   * search_path pinned to pg_catalog, pg_temp; TimeZone pinned to UTC; every object schema-qualified.
--   * Only roles listed in firefighter_role can be touched; the row is locked, so concurrent requests
--     for one role end with one holder.
--   * The password argument must be a SCRAM-SHA-256 verifier: the plaintext never reaches the server, and
--     PostgreSQL would otherwise hash whatever it is given as if it were a plaintext. Error messages never
--     repeat it.
--   * Validity is 1 or 2 hours, computed here from the server clock.
--   * The audit row is written in the same transaction as the password change.
--   * standard_conforming_strings is pinned on every function: the owner of the database may turn it off
--     with ALTER DATABASE, and the backslashes in the verifier pattern would then mean something else.
--   * Each issue re-asserts the role's guardrails (firefighter_role.guardrails, written by the engine): a
--     holder may change its own role's settings, and must not leave a weaker role to the next holder. The
--     settings are rewritten only when the catalog differs from what the last re-assertion left there.
--   * An identity proof is accepted once (db_admin.identity_proof), in the same statement as what it authorises.

CREATE TABLE IF NOT EXISTS db_admin.firefighter_role (
  role        name PRIMARY KEY,
  access      text NOT NULL CHECK (access IN ('ro', 'rw')),
  holder      text,
  incident_id text,
  expires_at  timestamptz
);
-- The role's settings in this database, as the spec declares them: {"statement_timeout": ["5min"],
-- "search_path": ["my-pg-db-schema", "public"]}. NULL until the engine has written them (nothing is re-asserted).
ALTER TABLE db_admin.firefighter_role ADD COLUMN IF NOT EXISTS guardrails jsonb
  CHECK (guardrails IS NULL OR pg_catalog.jsonb_typeof(guardrails) = 'object');

-- Identity proofs already used, kept for their lifetime (plus STS's own 15-minute window) so none is used twice.
CREATE TABLE IF NOT EXISTS db_admin.identity_proof (
  proof_sha256 text PRIMARY KEY CHECK (proof_sha256 ~ '^[0-9a-f]{64}$'),
  caller       text NOT NULL,
  action       text NOT NULL,
  used_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  valid_until  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS db_admin.firefighter_audit (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  action          text NOT NULL CHECK (action IN ('issue', 'takeover', 'expire')),
  role            name NOT NULL,
  requested_by    text NOT NULL,
  incident_id     text NOT NULL,
  reason          text NOT NULL,
  expires_at      timestamptz,
  previous_holder text,
  db_user         name NOT NULL DEFAULT session_user
);
-- The holder's workflow (sql/db_admin_holder.sql) adds actions: a reissue, an extension, and the previous
-- holder's sessions ended at a takeover (sessions_ended). Widened here for databases installed before.
ALTER TABLE db_admin.firefighter_audit ADD COLUMN IF NOT EXISTS sessions_ended integer;
ALTER TABLE db_admin.firefighter_audit DROP CONSTRAINT IF EXISTS firefighter_audit_action_check;
ALTER TABLE db_admin.firefighter_audit ADD CONSTRAINT firefighter_audit_action_check
  CHECK (action IN ('issue', 'takeover', 'expire', 'reissue', 'extend', 'end-sessions'));
-- Minutes one holder may hold a role for one incident, extensions included (spec firefighterMinutesPerIncident;
-- NULL: 240). Written by the engine with the row.
ALTER TABLE db_admin.firefighter_role ADD COLUMN IF NOT EXISTS incident_minutes integer
  CHECK (incident_minutes IS NULL OR incident_minutes BETWEEN 60 AND 1440);
-- What assert_guardrails last left in the catalog (pg_db_role_setting.setconfig in this database) and the
-- guardrails it came from; NULL until a first issue.
ALTER TABLE db_admin.firefighter_role ADD COLUMN IF NOT EXISTS guardrails_asserted jsonb;
ALTER TABLE db_admin.firefighter_role ADD COLUMN IF NOT EXISTS settings_asserted text[];

-- The refusal of a role that has no row in firefighter_role: nothing else may be touched.
CREATE OR REPLACE FUNCTION db_admin.refuse_unmanaged_role(p_role name)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
BEGIN
  RAISE EXCEPTION 'role % is not a firefighter role managed in this database', pg_catalog.quote_literal(coalesce(p_role::text, 'NULL'))
    USING ERRCODE = 'FF001';
END
$fn$;

-- The allowlist row of a managed firefighter role, locked for the rest of the transaction.
CREATE OR REPLACE FUNCTION db_admin.lock_firefighter_role(p_role name)
RETURNS db_admin.firefighter_role
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_row db_admin.firefighter_role;
BEGIN
  SELECT * INTO v_row FROM db_admin.firefighter_role f WHERE f.role = p_role FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM db_admin.refuse_unmanaged_role(p_role);
  END IF;
  RETURN v_row;
END
$fn$;

-- Issues the password of a shared role whose row the caller has locked and whose input it has checked (the
-- body of set_firefighter_password, shared with request_firefighter_password in part 3). took_over: the role
-- was held by someone else until now. p_end_sessions (a takeover that ends the previous holder's sessions): their
-- sessions on this instance end before the guardrails and the password are written, so an open transaction of
-- theirs cannot hold those rows (sql/db_admin_sessions.sql); sessions_ended counts them. The expiry is capped by
-- the incident's minutes, counted from this holder's first issue for it (incident_expiry).
CREATE OR REPLACE FUNCTION db_admin.issue_shared_password(
  p_row db_admin.firefighter_role,
  p_password text,
  p_hours integer,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
  p_takeover boolean,
  p_end_sessions boolean DEFAULT false,
  OUT expires_at timestamptz,
  OUT took_over boolean,
  OUT sessions_ended integer
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_ending boolean;
BEGIN
  took_over := false;
  sessions_ended := 0;
  IF p_row.holder IS NOT NULL AND p_row.expires_at OPERATOR(pg_catalog.>) pg_catalog.clock_timestamp() THEN
    IF NOT coalesce(p_takeover, false) THEN
      RAISE EXCEPTION '% is held by % for incident % until %', p_row.role, p_row.holder, p_row.incident_id,
        pg_catalog.to_char(p_row.expires_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        USING ERRCODE = 'FF004', HINT = 'ask the holder, or request a takeover (audited)';
    END IF;
    took_over := true;
  END IF;
  expires_at := db_admin.incident_expiry(p_row.role, p_incident_id, p_hours, coalesce(p_row.incident_minutes, 240),
    db_admin.first_shared_issue(p_row.role, p_requested_by, p_incident_id), NULL);

  v_ending := took_over AND coalesce(p_end_sessions, false);
  IF v_ending THEN
    sessions_ended := db_admin.end_role_sessions(p_row.role);
  END IF;
  sessions_ended := sessions_ended OPERATOR(pg_catalog.+) db_admin.assert_guardrails(p_row, v_ending);
  IF v_ending THEN
    sessions_ended := sessions_ended OPERATOR(pg_catalog.+) db_admin.alter_role_ending_sessions(p_row.role,
      ARRAY[pg_catalog.format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', p_row.role, p_password, expires_at)]);
  ELSE
    EXECUTE pg_catalog.format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', p_row.role, p_password, expires_at);
  END IF;

  UPDATE db_admin.firefighter_role f
     SET holder = p_requested_by, incident_id = p_incident_id, expires_at = issue_shared_password.expires_at
   WHERE f.role OPERATOR(pg_catalog.=) p_row.role;
  INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at, previous_holder)
  VALUES (CASE WHEN took_over THEN 'takeover' ELSE 'issue' END, p_row.role, p_requested_by, p_incident_id, p_reason,
          issue_shared_password.expires_at, CASE WHEN took_over THEN p_row.holder END);
END
$fn$;

CREATE OR REPLACE FUNCTION db_admin.set_firefighter_password(
  p_role name,
  p_password text,
  p_hours integer,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
  p_takeover boolean DEFAULT false
)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
BEGIN
  PERFORM db_admin.check_issue_input(p_requested_by, p_incident_id, p_reason, p_hours, p_password);
  RETURN (db_admin.issue_shared_password(db_admin.lock_firefighter_role(p_role), p_password, p_hours,
    p_requested_by, p_incident_id, p_reason, p_takeover)).expires_at;
END
$fn$;

-- Revokes the role: its sessions on this instance (the writer: only there can a transaction hold the role's
-- rows) end first, then the password is expired (VALID UNTIL in the past blocks new logins at once), so a
-- holder's open transaction is aborted rather than making the revoke wait (sql/db_admin_sessions.sql). The
-- broker then ends the sessions on every other instance. sessions_ended: the sessions ended here.
CREATE OR REPLACE FUNCTION db_admin.expire_firefighter_password(
  p_role name,
  p_requested_by text,
  p_incident_id text,
  p_reason text,
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
  v_row db_admin.firefighter_role;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  v_row := db_admin.lock_firefighter_role(p_role);
  sessions_ended := db_admin.alter_role_ending_sessions(p_role,
    ARRAY[pg_catalog.format('ALTER ROLE %I PASSWORD NULL VALID UNTIL %L', p_role, '1970-01-01 00:00:00+00')]);
  expired_at := pg_catalog.clock_timestamp();
  UPDATE db_admin.firefighter_role f
     SET expires_at = LEAST(coalesce(f.expires_at, expire_firefighter_password.expired_at), expire_firefighter_password.expired_at)
   WHERE f.role OPERATOR(pg_catalog.=) p_role;
  INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at, previous_holder, sessions_ended)
  VALUES ('expire', p_role, p_requested_by, p_incident_id, p_reason, expire_firefighter_password.expired_at, v_row.holder, sessions_ended);
END
$fn$;

-- Ends the role's sessions on the instance this connection reached (end_role_sessions); the broker calls it on
-- each instance. Reads the allowlist without locking it, so it runs on readers too.
CREATE OR REPLACE FUNCTION db_admin.end_firefighter_sessions(p_role name)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM db_admin.firefighter_role f WHERE f.role OPERATOR(pg_catalog.=) p_role) THEN
    PERFORM db_admin.refuse_unmanaged_role(p_role);
  END IF;
  RETURN db_admin.end_role_sessions(p_role);
END
$fn$;

CREATE OR REPLACE FUNCTION db_admin.firefighter_status()
RETURNS TABLE (role name, access text, holder text, incident_id text, expires_at timestamptz, active boolean, sessions integer)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT f.role, f.access, f.holder, f.incident_id, f.expires_at,
         coalesce(f.expires_at > clock_timestamp() AND r.rolvaliduntil > clock_timestamp(), false) AS active,
         (SELECT count(*)::integer FROM pg_stat_activity a WHERE a.usename = f.role) AS sessions
    FROM db_admin.firefighter_role f
    LEFT JOIN pg_roles r ON r.rolname = f.role
   ORDER BY f.role;
$fn$;

-- Nothing here is executable by default; the engine grants EXECUTE on the contract's functions to the broker.
REVOKE ALL ON FUNCTION db_admin.refuse_unmanaged_role(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.lock_firefighter_role(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.issue_shared_password(db_admin.firefighter_role, text, integer, text, text, text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.set_firefighter_password(name, text, integer, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.expire_firefighter_password(name, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.end_firefighter_sessions(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_status() FROM PUBLIC;
REVOKE ALL ON TABLE db_admin.firefighter_role, db_admin.firefighter_audit, db_admin.identity_proof FROM PUBLIC;
