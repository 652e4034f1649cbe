// A local STS that answers GetCallerIdentity the way the real one does: it verifies the SigV4 signature
// against the secret keys it was given (so a forged or altered proof really fails) and the 15-minute skew,
// then answers with the caller's ARN in STS's XML. Listens on 127.0.0.1 only.
import { createServer, type Server } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface StubPrincipal {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly arn: string;
}

export interface StsStub {
  readonly endpoint: string;
  /** How many requests reached the stub. */
  readonly calls: () => number;
  close(): Promise<void>;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/sts\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const fault = (code: string) => `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>denied</Message></Error><RequestId>stub</RequestId></ErrorResponse>`;

export async function startStsStub(principals: readonly StubPrincipal[]): Promise<StsStub> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    calls++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const auth = AUTH.exec(String(req.headers.authorization ?? ''));
        const principal = principals.find((p) => p.accessKeyId === auth?.[1]);
        const date = String(req.headers['x-amz-date'] ?? '');
        const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(date);
        const signedAt = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : NaN;
        if (!auth || !principal || !m || Math.abs(Date.now() - signedAt) > 15 * 60_000) {
          res.writeHead(403, { 'content-type': 'text/xml' }).end(fault(!principal ? 'InvalidClientTokenId' : 'SignatureDoesNotMatch'));
          return;
        }
        const signedNames = (auth[4] ?? '').split(';');
        const headers: Record<string, string> = {};
        for (const name of signedNames) headers[name] = String(req.headers[name] ?? '');
        const signer = new SignatureV4({ service: 'sts', region: auth[3] ?? '', sha256: Sha256, credentials: principal });
        const again = await signer.sign(new HttpRequest({ method: req.method ?? 'POST', protocol: 'http:', hostname: '127.0.0.1', path: req.url ?? '/', headers, body }), { signingDate: new Date(signedAt) });
        const expected = AUTH.exec(String(again.headers.authorization ?? ''))?.[5];
        const tokenOk = (principal.sessionToken ?? '') === String(req.headers['x-amz-security-token'] ?? '');
        if (expected !== auth[5] || !tokenOk || body !== 'Action=GetCallerIdentity&Version=2011-06-15') {
          res.writeHead(403, { 'content-type': 'text/xml' }).end(fault('SignatureDoesNotMatch'));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' }).end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${principal.arn}</Arn><UserId>AROAEXAMPLE:session</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
