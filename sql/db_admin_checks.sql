-- db_admin, part 1b: what the functions check before they change anything: the audit fields, the input of every
-- password issue (validity, the SCRAM verifier), and identity proofs (each accepted once).
--
-- Installed right after sql/db_admin.sql (its tables), in the same step and under the same version marker; the
-- security notes of part 1 apply. Refusals raise SQLSTATE class FF (lib/model/db-admin.ts).

-- Audit fields: present, bounded, printable (they end up in logs and tickets). Refused: control and format
-- characters (Unicode Cc, Cf: zero-width, bidirectional marks and overrides, BOM), line and paragraph
-- separators (Zl, Zp), and leading or trailing white space, so what a reader sees is what is stored.
CREATE OR REPLACE FUNCTION db_admin.check_audit_fields(p_requested_by text, p_incident_id text, p_reason text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  -- Cc, Zl, Zp and Cf (Unicode 15.1), written as regular-expression escapes so this file stays ASCII.
  c_edge_space CONSTANT text := '^[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]|[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]$';
  c_invisible CONSTANT text := '[[:cntrl:]\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]';
BEGIN
  IF p_requested_by IS NULL OR pg_catalog.btrim(p_requested_by) = '' OR pg_catalog.length(p_requested_by) > 512
     OR p_requested_by OPERATOR(pg_catalog.~) c_invisible OR p_requested_by OPERATOR(pg_catalog.~) c_edge_space THEN
    RAISE EXCEPTION 'requested_by must be 1 to 512 printable characters, with no invisible characters and no leading or trailing space' USING ERRCODE = 'FF005';
  END IF;
  IF p_incident_id IS NULL OR pg_catalog.btrim(p_incident_id) = '' OR pg_catalog.length(p_incident_id) > 128
     OR p_incident_id OPERATOR(pg_catalog.~) c_invisible OR p_incident_id OPERATOR(pg_catalog.~) c_edge_space THEN
    RAISE EXCEPTION 'incident_id must be 1 to 128 printable characters, with no invisible characters and no leading or trailing space' USING ERRCODE = 'FF005';
  END IF;
  IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' OR pg_catalog.length(p_reason) > 1000
     OR p_reason OPERATOR(pg_catalog.~) c_invisible OR p_reason OPERATOR(pg_catalog.~) c_edge_space THEN
    RAISE EXCEPTION 'reason must be 1 to 1000 printable characters, with no invisible characters and no leading or trailing space' USING ERRCODE = 'FF005';
  END IF;
END
$fn$;

-- The validity a caller may ask for, in an issue or an extension: 1 or 2 hours.
CREATE OR REPLACE FUNCTION db_admin.check_hours(p_hours integer)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
BEGIN
  IF p_hours IS NULL OR p_hours OPERATOR(pg_catalog.<) 1 OR p_hours OPERATOR(pg_catalog.>) 2 THEN
    RAISE EXCEPTION 'validity must be 1 or 2 hours' USING ERRCODE = 'FF003';
  END IF;
END
$fn$;

-- The expiry of an issue or an extension: p_hours from now, but no later than p_minutes (the incident's cap)
-- after p_first, this holder's first issue for the incident (NULL: none yet, so now). Refused (FP004) when that
-- leaves nothing beyond p_current (an extension: the expiry it has; an issue: NULL, now): a revoke and a new
-- request on the same incident do not start the incident's minutes again.
CREATE OR REPLACE FUNCTION db_admin.incident_expiry(p_role name, p_incident_id text, p_hours integer, p_minutes integer, p_first timestamptz, p_current timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_now     timestamptz := pg_catalog.date_trunc('second', pg_catalog.clock_timestamp());
  v_first   timestamptz := pg_catalog.date_trunc('second', coalesce(p_first, pg_catalog.clock_timestamp()));
  v_expires timestamptz;
BEGIN
  v_expires := LEAST(v_now OPERATOR(pg_catalog.+) pg_catalog.make_interval(hours => p_hours),
                     v_first OPERATOR(pg_catalog.+) pg_catalog.make_interval(mins => p_minutes));
  IF v_expires OPERATOR(pg_catalog.<=) coalesce(p_current, v_now) THEN
    RAISE EXCEPTION 'incident % has used its % minutes of % since %', p_incident_id, p_minutes, p_role,
      pg_catalog.to_char(v_first, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
      USING ERRCODE = 'FP004', HINT = 'what was issued stays valid until it expires; request a new incident id if the work continues';
  END IF;
  RETURN v_expires;
END
$fn$;

-- This holder's first issue (or takeover) of a shared role for the incident, from the audit: where the
-- incident's minutes start.
CREATE OR REPLACE FUNCTION db_admin.first_shared_issue(p_role name, p_requested_by text, p_incident_id text)
RETURNS timestamptz
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
  SELECT pg_catalog.min(a.at) FROM db_admin.firefighter_audit a
   WHERE a.role OPERATOR(pg_catalog.=) p_role AND a.requested_by OPERATOR(pg_catalog.=) p_requested_by
     AND a.incident_id OPERATOR(pg_catalog.=) p_incident_id AND a.action OPERATOR(pg_catalog.=) ANY (ARRAY['issue', 'takeover']);
$fn$;

-- What every issue of a password checks, in this order: the audit fields, the validity (1 or 2 hours), and the
-- password argument: SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, at least 4096 iterations,
-- a salt of at least 16 bytes, both keys 32 bytes (44 base64 characters). The pattern has no counted
-- repetitions ({43}, {22,88}): PostgreSQL's regex engine expands those into large automata, which cost 1.7 ms
-- to compile on each new backend and 0.4 ms per match; the lengths are checked on the captured parts instead.
CREATE OR REPLACE FUNCTION db_admin.check_issue_input(p_requested_by text, p_incident_id text, p_reason text, p_hours integer, p_password text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_parts text[];
  v_ok    boolean := false;
BEGIN
  PERFORM db_admin.check_audit_fields(p_requested_by, p_incident_id, p_reason);
  PERFORM db_admin.check_hours(p_hours);
  v_parts := pg_catalog.regexp_match(p_password,
    '^SCRAM-SHA-256\$([0-9]+):([A-Za-z0-9+/]+)(=*)\$([A-Za-z0-9+/]+)=:([A-Za-z0-9+/]+)=$');
  -- Nested, so the cast and the decode only see what the length checks admitted.
  IF v_parts IS NOT NULL
     AND pg_catalog.length(v_parts[1]) OPERATOR(pg_catalog.<=) 7
     AND pg_catalog.length(v_parts[2]) OPERATOR(pg_catalog.>=) 22 AND pg_catalog.length(v_parts[2]) OPERATOR(pg_catalog.<=) 88
     AND pg_catalog.length(v_parts[3]) OPERATOR(pg_catalog.<=) 2
     AND (pg_catalog.length(v_parts[2]) OPERATOR(pg_catalog.+) pg_catalog.length(v_parts[3])) OPERATOR(pg_catalog.%) 4 OPERATOR(pg_catalog.=) 0
     AND pg_catalog.length(v_parts[4]) OPERATOR(pg_catalog.=) 43 AND pg_catalog.length(v_parts[5]) OPERATOR(pg_catalog.=) 43 THEN
    v_ok := v_parts[1]::pg_catalog.int4 OPERATOR(pg_catalog.>=) 4096
      AND pg_catalog.length(pg_catalog.decode(v_parts[2] OPERATOR(pg_catalog.||) v_parts[3], 'base64')) OPERATOR(pg_catalog.>=) 16;
  END IF;
  IF NOT v_ok THEN
    RAISE EXCEPTION 'the password must be a SCRAM-SHA-256 verifier with at least 4096 iterations and a 16-byte salt; compute it on the client and never send a plaintext'
      USING ERRCODE = 'FF002';
  END IF;
END
$fn$;

-- Records an identity proof as used; a second use is refused. Called by the broker in the same statement
-- (so the same transaction) as the change the proof authorises: a failed change leaves the proof unused.
CREATE OR REPLACE FUNCTION db_admin.accept_identity_proof(p_proof_sha256 text, p_valid_until timestamptz, p_caller text, p_action text)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
BEGIN
  IF p_proof_sha256 IS NULL OR NOT p_proof_sha256 OPERATOR(pg_catalog.~) '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'the proof digest must be 64 lower-case hex characters' USING ERRCODE = 'FF007';
  END IF;
  IF p_valid_until IS NULL OR p_valid_until OPERATOR(pg_catalog.>) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) interval '1 hour') THEN
    RAISE EXCEPTION 'the proof must be valid for less than an hour' USING ERRCODE = 'FF007';
  END IF;
  IF p_caller IS NULL OR pg_catalog.length(p_caller) OPERATOR(pg_catalog.>) 2048 OR p_action IS NULL OR pg_catalog.length(p_action) OPERATOR(pg_catalog.>) 64 THEN
    RAISE EXCEPTION 'the proof caller and action must be given' USING ERRCODE = 'FF007';
  END IF;
  -- OPERATOR(...) binds left to right at one precedence: the parentheses are needed.
  -- Proofs past STS's own window (15 minutes) can never verify again; forget them.
  DELETE FROM db_admin.identity_proof p WHERE p.valid_until OPERATOR(pg_catalog.<) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) interval '15 minutes');
  INSERT INTO db_admin.identity_proof (proof_sha256, caller, action, valid_until)
  VALUES (p_proof_sha256, p_caller, p_action, p_valid_until)
  ON CONFLICT (proof_sha256) DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this identity proof was already used; each request needs a fresh one' USING ERRCODE = 'FF007';
  END IF;
END
$fn$;

REVOKE ALL ON FUNCTION db_admin.check_audit_fields(text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.check_hours(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.incident_expiry(name, text, integer, integer, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.first_shared_issue(name, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.check_issue_input(text, text, text, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.accept_identity_proof(text, timestamptz, text, text) FROM PUBLIC;
