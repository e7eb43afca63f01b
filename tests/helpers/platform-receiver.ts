import { createHash, randomUUID } from 'node:crypto';
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
 *   `request.url.path`; success answers what the challenge's bridge answers; `bridge_status`:
 *   `GET /v1/challenges/{challenge_name}/submissions/{submission_id}`, unsigned, active challenge
 *   else 404 "Challenge not found", forwarded to the challenge's `GET /v1/submissions/{id}` and its
 *   answer passed through, 502 "Challenge unavailable" when the challenge cannot be reached);
 * - PlatformNetwork/prism @ 113ed55e30882f182497b84e964747faeeb78621 as the challenge behind the hub:
 *   `src/prism_challenge/app.py` (`bridge_submission`: a non-JSON body becomes `code` = its base64),
 *   `repository.py` (`create_submission`: id `uuid4()`, `epoch_id` = unix seconds // `epoch_seconds`
 *   (21,600, `config.py`), status `pending`, `code_hash` = sha256 hex of `code`; `get_submission`:
 *   the scores are null until scored), `models.py` (`SubmissionResponse` {id, hotkey, epoch_id,
 *   status, code_hash, created_at}; `SubmissionStatusResponse` adds error, final_score, q_arch,
 *   q_recipe, anti_cheat_multiplier, diversity_bonus, penalty; `SubmissionStatus` pending, running,
 *   completed, failed, rejected, held), `routes.py` (`submission_status`: 404 "submission not
 *   found"), `queue.py` (the worker moves pending → running → completed with the scores, or failed /
 *   rejected with `error`; a held one carries its reason in `error`). Here the test moves a
 *   submission through those states (`evaluate`) instead of PRISM's worker;
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
/** PRISM's `SubmissionStatusResponse` (models.py), as FastAPI sends it. */
export interface ChallengeSubmission {
  id: string;
  hotkey: string;
  epoch_id: number;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'rejected' | 'held';
  code_hash: string;
  created_at: string;
  error: string | null;
  final_score: number | null;
  q_arch: number | null;
  q_recipe: number | null;
  anti_cheat_multiplier: number | null;
  diversity_bonus: number | null;
  penalty: number | null;
}

export interface PlatformReceiver {
  url: string;
  /** Every submission that passed, with the canonical text the receiver built and the challenge's id for it. */
  accepted: { hotkey: string; uid: number; slug: string; body: Buffer; fileName: string | null; canonical: string; id: string }[];
  /** Every refusal: status and detail. */
  refused: { status: number; detail: string }[];
  /** Every status question: the path asked and the HTTP status answered. */
  statusAsked: { path: string; status: number }[];
  /** The challenge's record of a submission, as its status route answers it. */
  submission(id: string): ChallengeSubmission | undefined;
  /** Moves a submission as PRISM's worker would (running, then completed with scores, or failed/rejected/held with `error`). */
  evaluate(id: string, change: Partial<Pick<ChallengeSubmission, 'status' | 'error' | 'final_score' | 'q_arch' | 'q_recipe' | 'anti_cheat_multiplier' | 'diversity_bonus' | 'penalty'>>): void;
  /** The challenge container unreachable behind the hub: status questions get 502 "Challenge unavailable". */
  setChallengeReachable(reachable: boolean): void;
  /** The hub itself down (connections refused) or back on the same address. */
  stopListening(): Promise<void>;
  listenAgain(): Promise<void>;
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
  const statusAsked: PlatformReceiver['statusAsked'] = [];
  const records = new Map<string, ChallengeSubmission>();
  let challengeReachable = true;
  // FastAPI/pydantic send an aware UTC datetime with microseconds and a Z.
  const isoMicros = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '000Z');

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
    const statusMatch = /^\/v1\/challenges\/([^/]+)\/submissions\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && statusMatch) {
      const reply = (status: number, json: unknown) => {
        statusAsked.push({ path, status });
        answer(status, json);
      };
      const challenge = challenges.find((c) => c.slug === decodeURIComponent(statusMatch[1] ?? '') && c.status === 'active');
      if (!challenge) return reply(404, { detail: 'Challenge not found' });
      if (!challengeReachable) return reply(502, { detail: 'Challenge unavailable' });
      const record = records.get(decodeURIComponent(statusMatch[2] ?? ''));
      if (!record) return reply(404, { detail: 'submission not found' });
      return reply(200, record);
    }
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
          // PRISM's bridge_submission + create_submission: the body becomes base64 `code`; answered as SubmissionResponse.
          const created = Date.now();
          const record: ChallengeSubmission = {
            id: randomUUID(),
            hotkey: who.hotkey,
            epoch_id: Math.floor(created / 1000 / 21_600),
            status: 'pending',
            code_hash: createHash('sha256').update(body.toString('base64')).digest('hex'),
            created_at: isoMicros(created),
            error: null,
            final_score: null,
            q_arch: null,
            q_recipe: null,
            anti_cheat_multiplier: null,
            diversity_bonus: null,
            penalty: null,
          };
          records.set(record.id, record);
          accepted.push({ ...who, slug: challenge.slug, body, fileName, id: record.id });
          const { id, hotkey, epoch_id, status, code_hash, created_at } = record;
          answer(200, { id, hotkey, epoch_id, status, code_hash, created_at });
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
  let listening = true;
  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    refused,
    statusAsked,
    submission: (id) => records.get(id),
    evaluate(id, change) {
      const record = records.get(id);
      if (!record) throw new Error(`no submission ${id}`);
      Object.assign(record, change);
    },
    setChallengeReachable(reachable) {
      challengeReachable = reachable;
    },
    stopListening,
    async listenAgain() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
    async close() {
      await stopListening();
      await api.disconnect();
    },
  };
}
