// The cluster-level side of each managed database: it exists, belongs to the owner, has the spec's connection
// limit, and CONNECT (only CONNECT) goes to its own roles, the applying user and keepConnect, never to PUBLIC.
import type { ClusterFacts } from '../facts.js';
import type { RoleModel, DatabaseModel } from '../../model/model.js';
import type { Finding, Step } from '../../plan/plan-types.js';
import { quoteIdent, quoteIdents } from '../../plan/sql-text.js';

export function diffClusterDatabase(model: RoleModel, db: DatabaseModel, facts: ClusterFacts, v16: boolean, findings: Finding[], steps: Step[]): void {
  const owner = db.roles.owner.name;
  const have = facts.databases.find((d) => d.name === db.name);
  const limit = db.connectionLimit ?? -1;
  if (!have) {
    findings.push({ code: 'database-missing', database: db.name, subject: db.name, message: `database "${db.name}" does not exist` });
    steps.push({
      phase: 'create-database', database: db.name,
      sql: `CREATE DATABASE ${quoteIdent(db.name)} OWNER ${quoteIdent(owner)} TEMPLATE template0 ENCODING 'UTF8' CONNECTION LIMIT ${limit}`,
      reason: `database "${db.name}" owned by ${owner}`,
    });
  } else {
    if (have.owner !== owner) {
      findings.push({ code: 'database-owner', database: db.name, subject: db.name, message: `database "${db.name}" is owned by ${have.owner}, expected ${owner}` });
      steps.push({ phase: 'database-settings', database: db.name, sql: `ALTER DATABASE ${quoteIdent(db.name)} OWNER TO ${quoteIdent(owner)}`, reason: 'the owner role owns the database' });
    }
    if (have.connectionLimit !== limit) {
      findings.push({ code: 'database-connection-limit', database: db.name, subject: db.name, message: `database "${db.name}" connection limit is ${have.connectionLimit}, expected ${limit}` });
      steps.push({ phase: 'database-settings', database: db.name, runAs: owner, sql: `ALTER DATABASE ${quoteIdent(db.name)} CONNECTION LIMIT ${limit}`, reason: 'connection limit from the spec' });
    }
  }

  // Explicit ACL: PUBLIC gets nothing; connectors and the applying user get exactly CONNECT.
  const acl = have ? have.acl : [{ grantee: 'PUBLIC', privilege: 'CONNECT' }, { grantee: 'PUBLIC', privilege: 'TEMPORARY' }];
  // keepConnect: unmanaged roles the spec keeps connected (granted CONNECT explicitly once they exist).
  const keep = (db.keepConnect ?? []).filter((r) => facts.existingRoles.includes(r));
  const allowed = new Set([...db.connectors, facts.currentUser, ...keep]);
  const managed = model.managedNames;
  const revokes = new Map<string, Set<string>>();
  for (const { grantee, privilege } of acl) {
    const ok = allowed.has(grantee) && privilege === 'CONNECT';
    if (ok || (grantee !== 'PUBLIC' && !managed.has(grantee))) continue;
    if (!revokes.has(grantee)) revokes.set(grantee, new Set());
    revokes.get(grantee)?.add(privilege);
  }
  for (const [grantee, unsorted] of revokes) {
    const who = grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(grantee);
    const privileges = [...unsorted].sort();
    findings.push({ code: 'database-privilege-extra', database: db.name, subject: grantee, message: `${grantee} has ${privileges.join(', ')} on database "${db.name}"; only CONNECT for its own roles is allowed` });
    steps.push({ phase: 'database-settings', database: db.name, runAs: owner, sql: `REVOKE ${privileges.join(', ')} ON DATABASE ${quoteIdent(db.name)} FROM ${who}`, reason: `no ${privileges.join(', ')} for ${grantee}` });
  }
  const missing = [...allowed].filter((r) => !acl.some((a) => a.grantee === r && a.privilege === 'CONNECT'));
  if (missing.length > 0) {
    steps.push({ phase: 'database-settings', database: db.name, runAs: owner, sql: `GRANT CONNECT ON DATABASE ${quoteIdent(db.name)} TO ${quoteIdents(missing)}`, reason: 'CONNECT is granted explicitly, never through PUBLIC' });
  }

  // Effective access, which also catches CONNECT reached through memberships.
  const own = new Set([...db.connectors, owner, ...keep]);
  // Before 16 a membership always inherits, so admin (member of the owner) holds the owner's privileges.
  const ownerLike = new Set(v16 ? [owner] : [owner, model.admin.name]);
  for (const a of facts.databaseAccess.filter((x) => x.database === db.name)) {
    const isOwner = ownerLike.has(a.role);
    const expectConnect = own.has(a.role);
    // A role the spec connects that cannot (a keepConnect login whose CONNECT went with a grant option's CASCADE)
    // is reported too: the GRANT above fixes it.
    if (a.connect !== expectConnect) {
      findings.push({ code: 'database-connect', database: db.name, subject: a.role, message: `${a.role} ${a.connect ? 'can' : 'cannot'} CONNECT to "${db.name}", expected ${expectConnect ? 'can' : 'cannot'}` });
    }
    if (a.create !== isOwner || a.temporary !== isOwner) {
      // An unmanaged keepConnect role's other grants are not ours to judge.
      if (!isOwner && !keep.includes(a.role)) findings.push({ code: 'database-create', database: db.name, subject: a.role, message: `${a.role} has CREATE or TEMPORARY on "${db.name}"` });
    }
  }
}
