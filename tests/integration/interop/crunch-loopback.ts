/**
 * Loopback stand-ins for a Crunch network, in the PUBLIC shapes (no real endpoint is reachable
 * here): the issuer API of crunchdao/crunch-certificate (crunch_certificate/certificate.py
 * `RemoteTlsCertificateIssuer`: `POST /v1/security-credentials/tls/issue-certificate` with
 * `{tlsPublicKeyPemString, commonName, isClient, isServer, sanDns, daysValid}` → `{certificatePemString}`;
 * a runner is cli.py's `cruncher` target), refusing any other body; and the CPI indexer
 * (crunch_certificate/sign.py `CpiHotKeyProvider`: `GET /hotkeys?wallet=` → `{"hotkey"}`; and
 * `GET /certificates?wallet=`, the URL model-runner-client's gateway_auth_interceptor.py names —
 * its body here is Minerva's assumption).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CRUNCH_ISSUE_PATH } from '@core/runner/crunch-profile';
import { rsa2048Spki, type CertificateAuthority } from '@devnet/coordinator/ca';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

export interface CrunchLoopback {
  issuerUrl: string;
  cpiUrl: string;
  /** Every request body and header names the issuer received. */
  seen: { body: string; headers: string[] }[];
  /** What `/certificates` answers (changeable by tests). */
  certificates: unknown;
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/`)));
}

export async function startCrunchLoopback(o: { ca: () => CertificateAuthority; coordinatorWallet: () => string; coordinatorHotkey: () => string }): Promise<CrunchLoopback> {
  const state: Omit<CrunchLoopback, 'issuerUrl' | 'cpiUrl' | 'close'> = { seen: [], certificates: [] };
  const issuer = createServer((req, res) => {
    void (async () => {
      const text = await bodyOf(req);
      state.seen.push({ body: text, headers: Object.keys(req.headers) });
      if (req.method !== 'POST' || req.url !== CRUNCH_ISSUE_PATH) return json(res, 404, { message: 'not found' });
      const b = JSON.parse(text) as Record<string, unknown>;
      const keys = Object.keys(b).sort().join(',');
      if (keys !== 'commonName,daysValid,isClient,isServer,sanDns,tlsPublicKeyPemString' || typeof b.sanDns !== 'string' || b.isServer !== true || b.isClient !== false) {
        return json(res, 422, { message: 'not the public tool’s cruncher body' });
      }
      const issued = await o.ca().issue({ spki: rsa2048Spki(b.tlsPublicKeyPemString as string), commonName: b.commonName as string, usage: 'server', sanDns: [b.sanDns], daysValid: b.daysValid as number });
      json(res, 200, { certificatePemString: issued.pem });
    })();
  });
  const cpi = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('wallet') !== o.coordinatorWallet()) return json(res, 404, { message: 'unknown wallet' });
    if (url.pathname === '/hotkeys') return json(res, 200, { hotkey: o.coordinatorHotkey() });
    if (url.pathname === '/certificates') return json(res, 200, loop.certificates);
    return json(res, 404, { message: 'not found' });
  });
  const loop: CrunchLoopback = Object.assign(state as CrunchLoopback, {
    issuerUrl: await listen(issuer),
    cpiUrl: await listen(cpi),
    close: async () => {
      await new Promise<void>((r) => issuer.close(() => r()));
      await new Promise<void>((r) => cpi.close(() => r()));
    },
  });
  return loop;
}
