-- db_admin: the break-glass password functions, in every managed database.
--
-- Installed by the role-model engine as the spec's admin role, right after `CREATE SCHEMA db_admin`, and
-- re-run only when this file changes (its hash is recorded as the schema comment). It is static: no name
-- from the spec appears here. The engine fills db_admin.firefighter_role with this database's two
-- firefighter roles and grants EXECUTE on the four public functions to the password broker only.
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

CREATE TABLE IF NOT EXISTS db_admin.firefighter_role (
  role        name PRIMARY KEY,
  access      text NOT NULL CHECK (access IN ('ro', 'rw')),
  holder      text,
  incident_id text,
  expires_at  timestamptz
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

-- Audit fields: present, not blank, bounded, printable (they end up in logs and tickets).
CREATE OR REPLACE FUNCTION db_admin.check_audit_fields(p_requested_by text, p_incident_id text, p_reason text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
BEGIN
  IF p_requested_by IS NULL OR btrim(p_requested_by) = '' OR length(p_requested_by) > 512 OR p_requested_by ~ '[[:cntrl:]]' THEN
    RAISE EXCEPTION 'requested_by must be 1 to 512 printable characters' USING ERRCODE = 'FF005';
  END IF;
  IF p_incident_id IS NULL OR btrim(p_incident_id) = '' OR length(p_incident_id) > 128 OR p_incident_id ~ '[[:cntrl:]]' THEN
    RAISE EXCEPTION 'incident_id must be 1 to 128 printable characters' USING ERRCODE = 'FF005';
  END IF;
  IF p_reason IS NULL OR btrim(p_reason) = '' OR length(p_reason) > 1000 OR p_reason ~ '[[:cntrl:]]' THEN
    RAISE EXCEPTION 'reason must be 1 to 1000 printable characters' USING ERRCODE = 'FF005';
  END IF;
END
$fn$;

-- The allowlist row of a managed firefighter role, locked for the rest of the transaction.
CREATE OR REPLACE FUNCTION db_admin.lock_firefighter_role(p_role name)
RETURNS db_admin.firefighter_role
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
  v_row db_admin.firefighter_role;
BEGIN
  SELECT * INTO v_row FROM db_admin.firefighter_role f WHERE f.role = p_role FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role % is not a firefighter role managed in this database', quote_literal(coalesce(p_role::text, 'NULL'))
      USING ERRCODE = 'FF001';
  END IF;
  RETURN v_row;
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
AS $fn$
DECLARE
  v_row        db_admin.firefighter_role;
  v_parts      text[];
  v_expires_at timestamptz;
  v_takeover   boolean := false;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);

  IF p_hours IS NULL OR p_hours < 1 OR p_hours > 2 THEN
    RAISE EXCEPTION 'validity must be 1 or 2 hours' USING ERRCODE = 'FF003';
  END IF;

  -- SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>; both keys are 32 bytes (44 base64 characters).
  v_parts := regexp_match(p_password,
    '^SCRAM-SHA-256\$([0-9]{4,7}):([A-Za-z0-9+/]{22,88}={0,2})\$([A-Za-z0-9+/]{43}=):([A-Za-z0-9+/]{43}=)$');
  IF v_parts IS NULL OR v_parts[1]::integer < 4096 OR length(v_parts[2]) % 4 <> 0
     OR length(decode(v_parts[2], 'base64')) < 16 THEN
    RAISE EXCEPTION 'the password must be a SCRAM-SHA-256 verifier with at least 4096 iterations and a 16-byte salt; compute it on the client and never send a plaintext'
      USING ERRCODE = 'FF002';
  END IF;

  v_row := db_admin.lock_firefighter_role(p_role);
  IF v_row.holder IS NOT NULL AND v_row.expires_at > clock_timestamp() THEN
    IF NOT coalesce(p_takeover, false) THEN
      RAISE EXCEPTION '% is held by % for incident % until %', p_role, v_row.holder, v_row.incident_id,
        to_char(v_row.expires_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        USING ERRCODE = 'FF004', HINT = 'ask the holder, or request a takeover (audited)';
    END IF;
    v_takeover := true;
  END IF;

  v_expires_at := date_trunc('second', clock_timestamp()) + make_interval(hours => p_hours);
  EXECUTE format('ALTER ROLE %I PASSWORD %L VALID UNTIL %L', p_role, p_password, v_expires_at);

  UPDATE db_admin.firefighter_role f
     SET holder = p_requested_by, incident_id = p_incident_id, expires_at = v_expires_at
   WHERE f.role = p_role;
  INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at, previous_holder)
  VALUES (CASE WHEN v_takeover THEN 'takeover' ELSE 'issue' END, p_role, p_requested_by, p_incident_id, p_reason,
          v_expires_at, CASE WHEN v_takeover THEN v_row.holder END);
  RETURN v_expires_at;
END
$fn$;

CREATE OR REPLACE FUNCTION db_admin.expire_firefighter_password(
  p_role name,
  p_requested_by text,
  p_incident_id text,
  p_reason text
)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
  v_row db_admin.firefighter_role;
  v_now timestamptz := clock_timestamp();
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  v_row := db_admin.lock_firefighter_role(p_role);
  -- VALID UNTIL in the past blocks new logins at once; the sessions are ended separately.
  EXECUTE format('ALTER ROLE %I PASSWORD NULL VALID UNTIL %L', p_role, '1970-01-01 00:00:00+00');
  UPDATE db_admin.firefighter_role f
     SET expires_at = least(coalesce(f.expires_at, v_now), v_now)
   WHERE f.role = p_role;
  INSERT INTO db_admin.firefighter_audit (action, role, requested_by, incident_id, reason, expires_at, previous_holder)
  VALUES ('expire', p_role, p_requested_by, p_incident_id, p_reason, v_now, v_row.holder);
  RETURN v_now;
END
$fn$;

-- Ends the role's sessions on the instance this connection reached; the broker calls it on each instance.
CREATE OR REPLACE FUNCTION db_admin.end_firefighter_sessions(p_role name)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
DECLARE
  v_ended integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM db_admin.firefighter_role f WHERE f.role = p_role) THEN
    RAISE EXCEPTION 'role % is not a firefighter role managed in this database', quote_literal(coalesce(p_role::text, 'NULL'))
      USING ERRCODE = 'FF001';
  END IF;
  SELECT count(*) FILTER (WHERE t.ended) INTO v_ended
    FROM (SELECT pg_terminate_backend(a.pid) AS ended
            FROM pg_stat_activity a
           WHERE a.usename = p_role AND a.pid <> pg_backend_pid()) t;
  RETURN v_ended;
END
$fn$;

CREATE OR REPLACE FUNCTION db_admin.firefighter_status()
RETURNS TABLE (role name, access text, holder text, incident_id text, expires_at timestamptz, active boolean, sessions integer)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $fn$
  SELECT f.role, f.access, f.holder, f.incident_id, f.expires_at,
         coalesce(f.expires_at > clock_timestamp() AND r.rolvaliduntil > clock_timestamp(), false) AS active,
         (SELECT count(*)::integer FROM pg_stat_activity a WHERE a.usename = f.role) AS sessions
    FROM db_admin.firefighter_role f
    LEFT JOIN pg_roles r ON r.rolname = f.role
   ORDER BY f.role;
$fn$;

-- Nothing here is executable by default; the engine grants EXECUTE on the four public functions to the broker.
REVOKE ALL ON FUNCTION db_admin.check_audit_fields(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.lock_firefighter_role(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.set_firefighter_password(name, text, integer, text, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.expire_firefighter_password(name, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.end_firefighter_sessions(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.firefighter_status() FROM PUBLIC;
REVOKE ALL ON TABLE db_admin.firefighter_role, db_admin.firefighter_audit FROM PUBLIC;
