// The planner is pure: facts in, findings and SQL out. Exact strings, per server version.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffCluster } from '../../lib/drift/diff-cluster.js';
import type { ClusterFacts } from '../../lib/drift/facts.js';
import { resolveModel } from '../../lib/model/model.js';
import { parseSpec } from '../../lib/spec/validate.js';

const spec = resolveModel(parseSpec(JSON.parse(readFileSync(new URL('../../examples/reference.json', import.meta.url), 'utf8'))));

function emptyCluster(serverVersionNum: number): ClusterFacts {
  return {
    serverVersionNum, currentUser: 'postgres', existingRoles: ['pg_signal_backend', 'rds_iam', 'rds_password'],
    roles: [], memberships: [], databases: [], databaseAccess: [], roleSettings: [], roleComments: [], wideSettings: [], databaseSettings: [],
  };
}

describe('diffCluster on an empty cluster', () => {
  it.each([[170004], [150008]])('creates every role with explicit attributes (server %i)', (version) => {
    const sql = diffCluster(spec, emptyCluster(version)).steps.filter((s) => s.sql.startsWith('CREATE ROLE')).map((s) => s.sql);
    expect(sql).toEqual([
      'CREATE ROLE "my_pg_admin" LOGIN INHERIT CREATEDB CREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD NULL',
      'CREATE ROLE "my_pg_password_broker" LOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 3 PASSWORD NULL',
      'CREATE ROLE "my_pg_owner" NOLOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD NULL',
      'CREATE ROLE "my_pg_migrator" LOGIN NOINHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT -1 PASSWORD NULL',
      'CREATE ROLE "my_pg_app" LOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 100 PASSWORD NULL',
      'CREATE ROLE "my_pg_firefighter_ro" LOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 PASSWORD NULL VALID UNTIL \'1970-01-01 00:00:00+00\'',
      'CREATE ROLE "my_pg_firefighter_rw" LOGIN INHERIT NOCREATEDB NOCREATEROLE NOSUPERUSER NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 3 PASSWORD NULL VALID UNTIL \'1970-01-01 00:00:00+00\'',
    ]);
  });

  it('uses per-grant options on 16+ so the migrator must SET ROLE and admin can alter firefighter passwords', () => {
    const sql = diffCluster(spec, emptyCluster(160004)).steps.filter((s) => s.sql.startsWith('GRANT')).map((s) => s.sql);
    expect(sql).toEqual([
      'GRANT "my_pg_owner" TO CURRENT_USER WITH INHERIT FALSE, SET TRUE',
      'GRANT "my_pg_admin" TO CURRENT_USER WITH INHERIT FALSE, SET TRUE',
      'GRANT "my_pg_owner" TO "my_pg_migrator" WITH INHERIT FALSE, SET TRUE',
      'GRANT "my_pg_owner" TO "my_pg_admin" WITH ADMIN OPTION, INHERIT FALSE, SET TRUE',
      'GRANT "my_pg_firefighter_ro" TO "my_pg_admin" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE',
      'GRANT "my_pg_firefighter_rw" TO "my_pg_admin" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE',
      // WITH INHERIT TRUE: a NOINHERIT login (the migrator) must still have rds_iam's privileges, or Aurora lets it use a password.
      'GRANT "rds_iam" TO "my_pg_password_broker" WITH INHERIT TRUE',
      'GRANT "rds_iam" TO "my_pg_migrator" WITH INHERIT TRUE',
      'GRANT "rds_iam" TO "my_pg_app" WITH INHERIT TRUE',
      'GRANT "rds_password" TO "my_pg_admin"',
      'GRANT "pg_signal_backend" TO "my_pg_admin" WITH INHERIT TRUE',
      'GRANT CONNECT ON DATABASE "my-pg-db" TO "my_pg_admin", "my_pg_migrator", "my_pg_app", "my_pg_firefighter_ro", "my_pg_firefighter_rw", "my_pg_password_broker", "postgres"',
    ]);
  });

  it('on 15 plain memberships suffice (CREATEROLE may alter any non-superuser role)', () => {
    const sql = diffCluster(spec, emptyCluster(150008)).steps.filter((s) => s.sql.startsWith('GRANT "')).map((s) => s.sql);
    expect(sql).toContain('GRANT "my_pg_owner" TO "my_pg_migrator"');
    expect(sql.some((s) => s.includes('firefighter_ro" TO "my_pg_admin'))).toBe(false);
  });

  it('creates the database outside a transaction, revokes PUBLIC and sets guardrails as identifiers', () => {
    const steps = diffCluster(spec, emptyCluster(170004)).steps;
    expect(steps.find((s) => s.phase === 'create-database')?.sql).toBe(`CREATE DATABASE "my-pg-db" OWNER "my_pg_owner" TEMPLATE template0 ENCODING 'UTF8' CONNECTION LIMIT 200`);
    expect(steps.map((s) => s.sql)).toContain('REVOKE CONNECT, TEMPORARY ON DATABASE "my-pg-db" FROM PUBLIC');
    expect(steps.map((s) => s.sql)).toContain('ALTER ROLE "my_pg_app" IN DATABASE "my-pg-db" SET search_path = "my-pg-db-schema", "public"');
    expect(steps.map((s) => s.sql)).toContain(`ALTER ROLE "my_pg_firefighter_rw" IN DATABASE "my-pg-db" SET lock_timeout = '5s'`);
  });

  it('refuses to plan IAM logins on a server without rds_iam, saying what to do', () => {
    const facts = { ...emptyCluster(170004), existingRoles: [] };
    expect(() => diffCluster(spec, facts)).toThrow('role rds_iam does not exist: this server is not Aurora/RDS');
  });
});
