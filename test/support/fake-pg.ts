// A fake PostgreSQL server that asks every client for a cleartext password and records what arrives (decrypted
// when TLS was negotiated), so a test can tell whether a password reached "the server" at all. Speaks just enough
// of the protocol: SSLRequest ('S' with TLS configured, else 'N'), a StartupMessage, AuthenticationCleartextPassword.
import net from 'node:net';
import tls from 'node:tls';

export interface FakePg {
  readonly port: number;
  /** TCP connections accepted. */
  connections: number;
  /** Everything the clients sent after any TLS layer, concatenated. */
  received(): string;
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;

export async function startFakePg(options: { tls?: { cert: string; key: string } } = {}): Promise<FakePg> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const askForPassword = (socket: net.Socket | tls.TLSSocket) => {
    let asked = false;
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      if (!asked) {
        asked = true;
        // 'R', length 8, code 3: AuthenticationCleartextPassword.
        socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
      } else if (data[0] === 0x70) {
        socket.end(errorResponse('28P01', 'fake server: password recorded'));
      }
    });
    socket.on('error', () => undefined);
  };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      if (first.length >= 8 && first.readInt32BE(0) === 8 && first.readInt32BE(4) === SSL_REQUEST) {
        if (!options.tls) {
          socket.write('N');
          askForPassword(socket);
          return;
        }
        socket.write('S');
        const secure = new tls.TLSSocket(socket, { isServer: true, cert: options.tls.cert, key: options.tls.key });
        askForPassword(secure);
        return;
      }
      // A plaintext StartupMessage.
      socket.unshift(first);
      askForPassword(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return state.connections;
    },
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function errorResponse(code: string, message: string): Buffer {
  const body = Buffer.from(`SFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
