-- db_admin, part 1d: guardrails, the settings each holder gets in this database as the spec declares them
-- (firefighter_role.guardrails, written by the engine): set again on the shared role for every new holder
-- (assert_guardrails), copied onto each per-person login (copy_guardrails). Role settings are not inherited
-- through membership, and a holder may change its own (ALTER ROLE self [IN DATABASE ...] SET ...).
--
-- Installed right after sql/db_admin_sessions.sql, in the same step and under the same version marker; the
-- security notes of part 1 apply. Internal: neither PUBLIC nor the broker may execute these.

-- The statements that give p_target the guardrails of p_role in this database: one ALTER ROLE ... IN DATABASE
-- ... SET per setting, each element a literal (`SET search_path = 'a', 'b'` stores the same list as identifiers
-- would). A setting without a value is refused (FF006): the engine wrote something this version cannot read.
CREATE OR REPLACE FUNCTION db_admin.guardrail_statements(p_role name, p_target name, p_guardrails jsonb)
RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_setting text;
  v_values  jsonb;
  v_list    text;
  v_out     text[] := '{}';
BEGIN
  FOR v_setting, v_values IN SELECT g.key, g.value FROM pg_catalog.jsonb_each(p_guardrails) g LOOP
    SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.value), ', ' ORDER BY e.n) INTO v_list
      FROM pg_catalog.jsonb_array_elements_text(v_values) WITH ORDINALITY AS e(value, n);
    IF v_list IS NULL THEN
      RAISE EXCEPTION 'guardrail % of % has no value; run the role-model apply', v_setting, p_role USING ERRCODE = 'FF006';
    END IF;
    v_out := v_out OPERATOR(pg_catalog.||) pg_catalog.format('ALTER ROLE %I IN DATABASE %I SET %I = %s', p_target, pg_catalog.current_database(), v_setting, v_list);
  END LOOP;
  RETURN v_out;
END
$fn$;

-- Sets the role's settings in this database to its guardrails (firefighter_role.guardrails), everything else
-- reset: a holder may change its own role's settings (ALTER ROLE self [IN DATABASE ...] SET statement_timeout = 0),
-- and the next holder gets the role as the spec declares it. The settings this leaves are recorded with the
-- guardrails they came from (settings_asserted, guardrails_asserted); while the catalog still shows exactly
-- those, and nothing role-wide, nothing changed since, and one read replaces a dozen catalog writes.
-- The caller holds the row lock (lock_firefighter_role). p_end_sessions (a takeover that ends the previous
-- holder's sessions): the role's sessions here are ended before each write, so none of them can hold the rows
-- (sql/db_admin_sessions.sql); returns how many it ended.
CREATE OR REPLACE FUNCTION db_admin.assert_guardrails(p_row db_admin.firefighter_role, p_end_sessions boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_settings text[];
  v_rolewide boolean;
  v_list     text;
  v_writes   text[];
  v_ended    integer := 0;
BEGIN
  IF p_row.guardrails IS NULL THEN
    RETURN 0;
  END IF;
  -- The role and database by oid (pg_roles is a view that joins this very catalog, dear to plan on a new backend).
  SELECT pg_catalog.bool_or(s.setdatabase OPERATOR(pg_catalog.=) 0::pg_catalog.oid),
         pg_catalog.max(s.setconfig) FILTER (WHERE s.setdatabase OPERATOR(pg_catalog.<>) 0::pg_catalog.oid)
    INTO v_rolewide, v_settings
    FROM pg_catalog.pg_db_role_setting s
   WHERE s.setrole OPERATOR(pg_catalog.=) pg_catalog.to_regrole(pg_catalog.quote_ident(p_row.role))
     AND s.setdatabase OPERATOR(pg_catalog.=) ANY (ARRAY[0::pg_catalog.oid,
           (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())]);
  IF NOT coalesce(v_rolewide, false) AND p_row.guardrails OPERATOR(pg_catalog.=) p_row.guardrails_asserted
     AND v_settings OPERATOR(pg_catalog.=) p_row.settings_asserted THEN
    RETURN 0;
  END IF;

  v_writes := ARRAY[pg_catalog.format('ALTER ROLE %I RESET ALL', p_row.role),
                    pg_catalog.format('ALTER ROLE %I IN DATABASE %I RESET ALL', p_row.role, pg_catalog.current_database())];
  v_writes := v_writes OPERATOR(pg_catalog.||) db_admin.guardrail_statements(p_row.role, p_row.role, p_row.guardrails);
  IF coalesce(p_end_sessions, false) THEN
    v_ended := db_admin.alter_role_ending_sessions(p_row.role, v_writes);
  ELSE
    FOREACH v_list IN ARRAY v_writes LOOP
      EXECUTE v_list;
    END LOOP;
  END IF;
  UPDATE db_admin.firefighter_role f
     SET guardrails_asserted = p_row.guardrails,
         settings_asserted = (SELECT s.setconfig FROM pg_catalog.pg_db_role_setting s
                               JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
                               JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.setdatabase
                              WHERE r.rolname OPERATOR(pg_catalog.=) p_row.role
                                AND d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())
   WHERE f.role OPERATOR(pg_catalog.=) p_row.role;
  RETURN v_ended;
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
SET standard_conforming_strings = on
AS $fn$
DECLARE
  v_guardrails jsonb;
  v_setting    text;
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
    FOREACH v_list IN ARRAY db_admin.guardrail_statements(p_group, p_login, v_guardrails) LOOP
      EXECUTE v_list;
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

REVOKE ALL ON FUNCTION db_admin.guardrail_statements(name, name, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.assert_guardrails(db_admin.firefighter_role, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION db_admin.copy_guardrails(name, name) FROM PUBLIC;
