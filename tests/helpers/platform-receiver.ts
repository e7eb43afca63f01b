import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { decodeAddress, sr25519Verify } from '@polkadot/util-crypto';

/**
 * A Platform hub for tests, written from the public Platform code's logic (not from the app's
 * code), against the chopsticks chain. What it follows, read at:
 * - PlatformNetwork/platform `src/base/master/app_proxy.py` @ c2477a8c9a007d32496d5fb0480d23ab1fb1a5da
 *   (`bridge_upload`: active challenge else 404 "Challenge not found"; body over
 *   `upload_max_body_bytes` = 2,000,000 → 413 before any check; `MinerAuthError` → 401 and
 *   `NonceReplayError` → 409, both as FastAPI `{"detail": str(exc)}`; the signed path is
 *   `request.url.path`; success answers what the challenge's bridge answers, `{"id","status"}`);
 * - BaseIntelligence/base `src/base/security/miner_auth.py` @ d98db9385af416c4e0be4cd2b2b6f2d9099daf05
 *   (`MinerUploadVerifier.verify`, order: headers x-hotkey/x-signature/x-nonce/x-timestamp
 *   ("missing …"), `int(timestamp)` ("invalid timestamp"), `|now − ts| > 300` ("stale
 *   signature"), signature over `base-upload-v1:{netuid}:{slug}:{METHOD}:{path}:{hotkey}:{nonce}:
 *   {timestamp as sent}:{sha256 hex of body}` ("invalid signature"), then the metagraph: not
 *   there → "unknown hotkey", UID 0 → "blocked uid"; then the nonce, 24 h per (netuid, slug,
 *   hotkey, nonce) → "nonce already used");
 * - opentensor/btwallet `src/keypair.rs` @ 01d20f3b2345a29411cbf402124ee73af44cec35 (`verify`: the
 *   raw bytes, else `<Bytes>` + bytes + `</Bytes>`), `_decode_signature` (strip `0x`, hex).
 * Differences: the metagraph is read live from the chain per request (the public hub reads a
 * cached metagraph); the nonce store is in memory.
 */
export interface PlatformReceiver {
  url: string;
  /** Every submission that passed, with the canonical text the receiver built. */
  accepted: { hotkey: string; uid: number; slug: string; body: Buffer; fileName: string | null; canonical: string }[];
  /** Every refusal: status and detail. */
  refused: { status: number; detail: string }[];
  close(): Promise<void>;
}

type UidsQuery = { uids(netuid: number, hotkey: string): Promise<{ isNone: boolean; unwrap(): { toNumber(): number } }> };

export async function startPlatformReceiver(chainUrl: string, netuid: number, options: { prefix?: string; now?: () => number } = {}): Promise<PlatformReceiver> {
  const prefix = options.prefix ?? 'base-upload-v1';
  const now = options.now ?? (() => Date.now() / 1000);
  const api = await ApiPromise.create({ provider: new WsProvider(chainUrl), noInitWarn: true });
  const challenges = [
    { slug: 'demo-challenge', name: 'Demo challenge', image: 'ghcr.io/example/demo:1', version: '1.0.0', emission_percent: '50', status: 'active', description: 'Submit a small file; the challenge scores it later.', metadata: {}, internal_base_url: 'http://challenge-demo:8000', public_proxy_base_path: '/challenges/demo-challenge', required_capabilities: ['get_weights', 'proxy_routes'], resources: {}, volumes: {}, env: {}, secrets: [] },
    { slug: 'retired', name: 'Retired challenge', image: 'ghcr.io/example/old:1', version: '0.1.0', emission_percent: '0', status: 'inactive', description: null, metadata: {}, internal_base_url: 'http://challenge-old:8000', public_proxy_base_path: '/challenges/retired', required_capabilities: [], resources: {}, volumes: {}, env: {}, secrets: [] },
  ];
  const nonces = new Map<string, number>();
  const accepted: PlatformReceiver['accepted'] = [];
  const refused: PlatformReceiver['refused'] = [];
  let count = 0;

  class Refusal extends Error {
    constructor(readonly status: number, detail: string) {
      super(detail);
    }
  }

  async function verify(method: string, path: string, headers: Record<string, string | string[] | undefined>, body: Buffer, slug: string) {
    const header = (key: string): string => {
      const value = headers[key];
      if (typeof value !== 'string' || value === '') throw new Refusal(401, `missing ${key}`);
      return value;
    };
    const hotkey = header('x-hotkey');
    const signature = header('x-signature');
    const nonce = header('x-nonce');
    const timestampRaw = header('x-timestamp');
    if (!/^\s*[+-]?\d+\s*$/.test(timestampRaw)) throw new Refusal(401, 'invalid timestamp');
    if (Math.abs(Math.floor(now()) - Number.parseInt(timestampRaw, 10)) > 300) throw new Refusal(401, 'stale signature');
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const canonical = `${prefix}:${netuid}:${slug}:${method.toUpperCase()}:${path}:${hotkey}:${nonce}:${timestampRaw}:${bodyHash}`;
    const message = Buffer.from(canonical, 'utf8');
    let ok = false;
    try {
      const sig = Buffer.from(signature.replace(/^0x/, ''), 'hex');
      const key = decodeAddress(hotkey);
      ok = sig.length === 64 && (sr25519Verify(message, sig, key) || sr25519Verify(Buffer.concat([Buffer.from('<Bytes>'), message, Buffer.from('</Bytes>')]), sig, key));
    } catch {
      ok = false;
    }
    if (!ok) throw new Refusal(401, 'invalid signature');
    const uid = await (api.query.subtensorModule as unknown as UidsQuery).uids(netuid, hotkey);
    if (uid.isNone) throw new Refusal(401, 'unknown hotkey');
    const uidNumber = uid.unwrap().toNumber();
    if (uidNumber === 0) throw new Refusal(401, 'blocked uid');
    const key = `${netuid}|${slug}|${hotkey}|${nonce}`;
    const seen = nonces.get(key);
    if (seen !== undefined && now() - seen < 86_400) throw new Refusal(409, 'nonce already used');
    nonces.set(key, now());
    return { hotkey, uid: uidNumber, canonical };
  }

  const server: Server = createServer((req, res) => {
    const answer = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/v1/registry') return answer(200, { network: 'base', api_version: '1.0', master_uid: 0, challenges });
    const match = /^\/v1\/challenges\/([^/]+)\/submissions$/.exec(path);
    if (req.method !== 'POST' || !match) return answer(404, { detail: 'Not Found' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const challenge = challenges.find((c) => c.slug === decodeURIComponent(match[1] ?? '') && c.status === 'active');
        const body = Buffer.concat(chunks);
        try {
          if (!challenge) throw new Refusal(404, 'Challenge not found');
          if (body.length > 2_000_000) throw new Refusal(413, 'Submission too large');
          const who = await verify(req.method ?? 'POST', path, req.headers, body, challenge.slug);
          const fileName = typeof req.headers['x-submission-filename'] === 'string' ? req.headers['x-submission-filename'] : null;
          accepted.push({ ...who, slug: challenge.slug, body, fileName });
          count += 1;
          answer(200, { id: `sub-${count}`, status: 'pending' });
        } catch (error) {
          const status = error instanceof Refusal ? error.status : 500;
          const detail = error instanceof Error ? error.message : String(error);
          refused.push({ status, detail });
          answer(status, { detail });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    refused,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.disconnect();
    },
  };
}
