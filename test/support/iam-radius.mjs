// The rds_iam rule for a PostgreSQL 16 test server (see aurora-profile.ts): a RADIUS server that pg_hba sends
// the members of rds_iam to. It refuses a role that has the privileges of rds_iam (Aurora would want an IAM
// token) and otherwise checks the cleartext password against the role's SCRAM verifier and VALID UNTIL, as
// PostgreSQL's own password check would. Runs in a worker thread so a test that blocks its main thread
// (spawnSync) cannot stall logins. Plain JavaScript: worker threads run without the test's TypeScript loader.
import { Buffer } from 'node:buffer';
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

const { secret, superuser } = workerData;
const pool = new pg.Pool({ ...superuser, max: 2, idleTimeoutMillis: 1_000 });
pool.on('error', () => undefined);

const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;

function attributes(packet) {
  const out = new Map();
  for (let at = 20; at + 2 <= packet.length;) {
    const type = packet[at];
    const length = packet[at + 1];
    if (length < 2) break;
    out.set(type, packet.subarray(at + 2, at + length));
    at += length;
  }
  return out;
}

// RFC 2865 5.2: each 16-byte block is XORed with MD5(secret + previous cipher block, or the authenticator).
function decryptPassword(cipher, authenticator) {
  const plain = Buffer.alloc(cipher.length);
  let previous = authenticator;
  for (let i = 0; i < cipher.length; i += 16) {
    const pad = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16 && i + j < cipher.length; j++) plain[i + j] = cipher[i + j] ^ pad[j];
    previous = cipher.subarray(i, i + 16);
  }
  const end = plain.indexOf(0);
  return plain.subarray(0, end === -1 ? plain.length : end).toString('utf8');
}

function scramMatches(verifier, password) {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier ?? '');
  if (!m) return false;
  const salted = pbkdf2Sync(password, Buffer.from(m[2], 'base64'), Number(m[1]), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const expected = Buffer.from(m[3], 'base64');
  return expected.length === storedKey.length && timingSafeEqual(expected, storedKey);
}

async function decide(user, password) {
  const { rows } = await pool.query(
    `SELECT a.rolpassword, pg_catalog.pg_has_role(a.oid, 'rds_iam', 'USAGE') AS iam,
            a.rolvaliduntil IS NULL OR a.rolvaliduntil OPERATOR(pg_catalog.>) pg_catalog.now() AS valid
       FROM pg_catalog.pg_authid a WHERE a.rolname = $1`, [user]);
  const role = rows[0];
  if (!role || role.iam) return false;
  if (!role.valid) return false;
  return scramMatches(role.rolpassword, password);
}

const socket = createSocket('udp4');
socket.on('message', (packet, peer) => {
  if (packet.length < 20 || packet[0] !== ACCESS_REQUEST) return;
  const id = packet[1];
  const authenticator = packet.subarray(4, 20);
  const attrs = attributes(packet);
  const user = attrs.get(1)?.toString('utf8') ?? '';
  const cipher = attrs.get(2) ?? Buffer.alloc(0);
  decide(user, decryptPassword(cipher, authenticator)).catch(() => false).then((ok) => {
    const reply = Buffer.alloc(20);
    reply[0] = ok ? ACCESS_ACCEPT : ACCESS_REJECT;
    reply[1] = id;
    reply.writeUInt16BE(20, 2);
    const response = createHash('md5').update(reply.subarray(0, 4)).update(authenticator).update(secret).digest();
    response.copy(reply, 4);
    socket.send(reply, peer.port, peer.address);
  });
});
socket.bind(0, '127.0.0.1', () => parentPort.postMessage({ port: socket.address().port }));
parentPort.on('message', (message) => {
  if (message === 'stop') socket.close(() => void pool.end().finally(() => parentPort.close()));
});
