/**
 * The practice router (docs/practice-network.md, "Router"; PROTOCOLS §2): private inference v0.
 *
 *   POST /api/v1/auth/payload_enc_key/session|task   scoped keys (§2.3)
 *   PUT  /api/v2/offchain, GET /api/v2/offchain/<urn>  the offchain store (§2.5)
 *   PUT  /api/v2/offchain/<urn>                      the uploader's own URN, idempotent (Minerva's extension)
 *   GET  /api/v2/miner/jobs, POST …/jobs/<id>/lease|result|fail   the miner job API (§2.6)
 *   GET  /api/v2/miner/jobs/<id>, GET /api/v2/miner/leases        a job's state, our leases (Minerva's extension)
 *   POST /api/v2/completion                          the app-facing completion (§2.7)
 *
 * Who may serve a session is `ENCRYPTION_ALLOWED_LIST` ∪ the chain's session members (§2.9).
 * A private session's prompt is encrypted before it is stored and its result decrypted only in
 * memory on the way back to the caller; the database holds URNs, states and sizes, the blob store
 * ciphertext, and the log URNs, sizes, timings and decisions — never a prompt, an output or a key.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AppError } from '@shared/contract/errors';
import { isEvmAddress } from '@shared/protocol/allowed-list';
import { decryptEnvelope, encryptEnvelope, isJsonObject, parseEnvelope, plainEnvelope, type EncryptedEnvelope, type Envelope, type EnvelopeScope, type JsonObject } from '@shared/protocol/envelope';
import { toHex } from '@shared/protocol/encoding';
import { deriveScopedKey, isId, scopeFor } from '@shared/protocol/hkdf-keys';
import { parseKeyRequest, verifyKeyRequestSignature, type KeyResponse } from '@shared/protocol/key-request';
import { verifyMinerRequest } from '@shared/protocol/miner-request';
import { isUuidV4, parseUrn, uuidV4 } from '@shared/protocol/urn';
import type { JobStateWire, MinerJobWire, TaskViewWire } from '@shared/protocol/router-api';
import { BodyTooLarge, closeServer, jsonServer, listenLoopback, listenLoopbackPreferring, readBody, sendError, sendJson, silentLog, type DevnetLog } from '../common/http';
import { SqliteReplayStore } from '../common/replay-store';
import { DEMO_COMPETITIONS } from '../demo/competitions';
import { DemoTraffic, type DemoTrafficOptions } from './demo-traffic';
import { Membership } from './membership';
import { PayloadStore } from './payload-store';
import { RouterPayments } from './payments';
import { keyringSummary, loadRouterConfig, tokenMatches, type RouterConfig, type RouterEnv } from './router-config';
import { openRouterDb, RouterRepo, type JobRow, type RouterDb } from './router-db';

export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
export const LEASE_MS = 60_000;
export const MAX_WAIT_S = 30;
export const DEFAULT_TIMEOUT_S = 60;
export const MAX_TIMEOUT_S = 600;
/** Finished jobs are remembered at least this long (§2.6: at least an hour). */
export const FINISHED_JOBS_KEPT_MS = 2 * 60 * 60 * 1000;
const SMALL_BODY_BYTES = 16 * 1024;

export interface RouterSession {
  session_id: number;
  /** Private sessions take and give only encrypted envelopes and refuse streaming. */
  private: boolean;
  competition_id: string | null;
}

/** The practice network's sessions: each private-inference competition's dedicated session, and public session 100. */
export const DEFAULT_ROUTER_SESSIONS: readonly RouterSession[] = [
  ...DEMO_COMPETITIONS.filter((c) => c.chain.kind === 'private-inference' && c.chain.session_id !== null).map((c) => ({
    session_id: c.chain.session_id!,
    private: true,
    competition_id: c.chain.competition_id,
  })),
  { session_id: 100, private: false, competition_id: null },
];

export interface RouterOptions {
  dataDir: string;
  /** The chain for §2.9 membership, or where to find it now; null: the allowed list alone. */
  chainUrl: string | (() => string | null) | null;
  /** `ENCRYPTION_*` and `ROUTER_API_TOKENS`; what is missing comes from `<dataDir>/devnet/router/router.env`. */
  env?: RouterEnv;
  sessions?: readonly RouterSession[];
  port?: number;
  preferredPort?: number;
  log?: DevnetLog;
  /** Offchain body cap (default 16 MiB, §2.5). */
  maxPayloadBytes?: number;
  /** Lease length (default 60 s, §2.6). */
  leaseMs?: number;
  /** How long a chain membership answer is reused (default 1000 ms; 0 = ask every time). */
  membershipTtlMs?: number;
  /** Encrypt inputs under the task scope instead of the session scope (§2.4 allows both). */
  taskScopedInputs?: boolean;
  /** Send demo completions to a session at this pace (default off). */
  demoTraffic?: DemoTrafficOptions;
  /** Pay accepted jobs per chain epoch (payments.ts; default on when there is a chain); `false`: never pay. */
  payments?: { intervalMs?: number } | false;
}

class RouterError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Outcome = { kind: 'done'; resultUrn: string } | { kind: 'failed'; code: string } | { kind: 'withdrawn' };

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
  } catch {
    throw new RouterError(400, 'MALFORMED', 'The body is not JSON.');
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export class RouterNode {
  config: RouterConfig;
  private readonly db: RouterDb;
  private readonly repo: RouterRepo;
  private readonly store: PayloadStore;
  private readonly replay: SqliteReplayStore;
  private readonly membership: Membership;
  private readonly log: DevnetLog;
  private readonly leaseMs: number;
  private readonly maxPayload: number;
  /** Fires 'job' when a job becomes leasable (new, or returned), and `done:<job_id>` on an outcome. */
  private readonly events = new EventEmitter();
  private server: Server | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The demo traffic generator, when on. */
  demo: DemoTraffic | undefined;
  /** Per-epoch payment of accepted jobs (null without a chain, or when turned off). */
  readonly payments: RouterPayments | null;
  url = '';

  constructor(private readonly options: RouterOptions) {
    // Configuration first: a bad variable stops the router before anything is opened.
    this.config = loadRouterConfig(options.dataDir, options.env ?? {});
    this.log = options.log ?? silentLog;
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.maxPayload = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.db = openRouterDb(options.dataDir);
    this.repo = new RouterRepo(this.db);
    this.store = new PayloadStore(options.dataDir, this.repo);
    this.replay = new SqliteReplayStore(this.db);
    const chainUrl = options.chainUrl;
    this.membership = new Membership(this.config.allowed, chainUrl === null ? null : typeof chainUrl === 'string' ? () => chainUrl : chainUrl, options.membershipTtlMs ?? 1000, this.log);
    for (const s of options.sessions ?? DEFAULT_ROUTER_SESSIONS) this.repo.ensureSession(s.session_id, s.private, s.competition_id);
    this.events.setMaxListeners(0);
    this.payments =
      chainUrl === null || options.payments === false
        ? null
        : new RouterPayments({ dataDir: options.dataDir, db: this.db, chainUrl: typeof chainUrl === 'string' ? () => chainUrl : chainUrl, log: this.log, ...(options.payments?.intervalMs ? { intervalMs: options.payments.intervalMs } : {}) });
  }

  async start(): Promise<string> {
    const withdrawn = this.repo.withdrawOpen(Date.now());
    this.server = jsonServer(
      (req, res) => this.route(req, res),
      (error) => this.log.error('router request failed', { error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' }),
    );
    this.url = this.options.port ? await listenLoopback(this.server, this.options.port) : await listenLoopbackPreferring(this.server, this.options.preferredPort);
    this.sweepTimer = setInterval(() => this.repo.sweepFinished(Date.now() - FINISHED_JOBS_KEPT_MS), 10 * 60 * 1000);
    this.sweepTimer.unref();
    this.log.info('router keyring', { ...keyringSummary(this.config.keyring), env_file: this.config.envFile, withdrawn_after_restart: withdrawn });
    this.payments?.start();
    if (this.options.demoTraffic) {
      this.demo = new DemoTraffic(this.url, this.config.demoToken, this.options.demoTraffic, this.log);
      this.demo.start();
    }
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.demo?.stop();
    // Callers still waiting get their answer (504/502) as the server closes.
    this.events.emit('stop');
    if (this.server) await closeServer(this.server);
    await this.payments?.stop();
    this.db.close();
  }

  private sessionIds(): number[] {
    return this.repo.sessions().map((s) => s.session_id);
  }

  // ---- routing -------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const started = Date.now();
    try {
      if (rawPath === '/health' && method === 'GET') return sendJson(res, 200, { ok: true, party: 'router', pid: process.pid });
      if (rawPath === '/api/v1/auth/payload_enc_key/session' || rawPath === '/api/v1/auth/payload_enc_key/task') {
        this.requireMethod(method, 'POST');
        return sendJson(res, 200, await this.issueKey(req, rawPath.endsWith('/task') ? 'task' : 'session'));
      }
      if (rawPath === '/api/v2/offchain') {
        this.requireMethod(method, 'PUT');
        return sendJson(res, 201, await this.putOffchain(req, rawPath));
      }
      if (rawPath.startsWith('/api/v2/offchain/')) {
        if (method === 'PUT') {
          const stored = await this.putOffchainAt(req, rawPath);
          return sendJson(res, stored.created ? 201 : 200, { urn: stored.urn });
        }
        this.requireMethod(method, 'GET');
        return await this.getOffchain(req, res, rawPath);
      }
      if (rawPath === '/api/v2/miner/leases') {
        this.requireMethod(method, 'GET');
        const miner = await this.miner(req, rawPath, await this.body(req, SMALL_BODY_BYTES));
        return sendJson(res, 200, { jobs: this.repo.leasedTo(miner, Date.now()).map((j) => this.jobWire(j)) });
      }
      const one = /^\/api\/v2\/miner\/jobs\/([^/]+)$/.exec(rawPath);
      if (one) {
        this.requireMethod(method, 'GET');
        return sendJson(res, 200, await this.jobState(req, rawPath, one[1]!));
      }
      if (rawPath === '/api/v2/miner/jobs') {
        this.requireMethod(method, 'GET');
        return await this.pollJobs(req, res, rawPath);
      }
      const m = /^\/api\/v2\/miner\/jobs\/([^/]+)\/(lease|result|fail)$/.exec(rawPath);
      if (m) {
        this.requireMethod(method, 'POST');
        return sendJson(res, 200, await this.jobAction(req, rawPath, m[1]!, m[2] as 'lease' | 'result' | 'fail'));
      }
      if (rawPath === '/api/v2/sessions') {
        this.requireMethod(method, 'GET');
        this.bearer(req);
        return sendJson(res, 200, { sessions: this.repo.sessions().map((x) => ({ session_id: x.session_id, private: x.private === 1, competition_id: x.competition_id })) });
      }
      const t = /^\/api\/v2\/sessions\/(0|[1-9][0-9]{0,15})\/tasks\/(0|[1-9][0-9]{0,15})$/.exec(rawPath);
      if (t) {
        this.requireMethod(method, 'GET');
        this.bearer(req);
        return sendJson(res, 200, this.taskView(Number(t[1]), Number(t[2])));
      }
      if (rawPath === '/api/v2/completion') {
        this.requireMethod(method, 'POST');
        return await this.completion(req, res);
      }
      throw new RouterError(404, 'NOT_FOUND', 'No such endpoint.');
    } catch (error) {
      if (!(error instanceof RouterError)) throw error;
      if (error.status >= 500) this.log.warn('router refused', { path: rawPath.startsWith('/api/v2/offchain/') ? '/api/v2/offchain/…' : rawPath, status: error.status, code: error.code, ms: Date.now() - started });
      if (!res.headersSent) sendError(res, error.status, error.code, error.message);
    }
  }

  private requireMethod(method: string, wanted: string): void {
    if (method !== wanted) throw new RouterError(405, 'METHOD_NOT_ALLOWED', `Use ${wanted} here.`);
  }

  private async body(req: IncomingMessage, limit: number): Promise<Uint8Array> {
    try {
      return await readBody(req, limit);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new RouterError(413, 'TOO_LARGE', `The body is larger than ${limit} bytes.`);
      throw error;
    }
  }

  // ---- §2.3 key issuance ---------------------------------------------------------------------

  private async issueKey(req: IncomingMessage, endpoint: 'session' | 'task'): Promise<KeyResponse> {
    const body = parseJson(await this.body(req, SMALL_BODY_BYTES));
    let request;
    try {
      request = parseKeyRequest(body, endpoint);
    } catch (error) {
      throw new RouterError(400, 'MALFORMED', error instanceof AppError ? error.message : 'The request is malformed.');
    }
    try {
      verifyKeyRequestSignature(request);
    } catch {
      throw new RouterError(401, 'SIGNATURE_INVALID', 'The signature does not match address.');
    }
    const decision = await this.membership.mayServe(request.address, request.sessionId, request.taskId);
    const scopeText = request.scope;
    if (!decision) {
      this.log.info('key refused', { scope: scopeText, address: request.address, decision: 'not allowed' });
      throw new RouterError(403, 'NOT_ALLOWED', 'This address is not on the allowed list for this scope.');
    }
    if (!this.repo.session(request.sessionId)) throw new RouterError(404, 'UNKNOWN_SESSION', 'No such session.');
    if (request.taskId !== null && !this.repo.taskExists(request.sessionId, request.taskId)) throw new RouterError(404, 'UNKNOWN_TASK', 'No such task.');
    const version = request.keyVersion ?? this.config.keyring.active;
    const seed = this.config.keyring.seeds.get(version);
    if (!seed) throw new RouterError(410, 'KEY_VERSION_RETIRED', `Key version ${version} is no longer held.`);
    this.log.info('key issued', { scope: scopeText, scope_type: request.scopeType, key_version: version, address: request.address });
    return { payload_enc_key: toHex(deriveScopedKey(seed, scopeText)), key_version: version, scope: scopeText, scope_type: request.scopeType };
  }

  // ---- caller authentication -----------------------------------------------------------------

  private bearer(req: IncomingMessage): void {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer ([^\s]{1,512})$/.exec(h) : null;
    if (!m || !tokenMatches(this.config.tokenHashes, m[1]!)) throw new RouterError(401, 'UNAUTHENTICATED', 'A valid bearer token is required.');
  }

  /** §2.6: signature (401), nonce (409), allowed anywhere (403). Returns the lowercase address. */
  private async miner(req: IncomingMessage, path: string, body: Uint8Array): Promise<string> {
    let address: string;
    try {
      address = verifyMinerRequest(req.headers, { method: req.method ?? 'GET', path, body }, { nowSeconds: Math.floor(Date.now() / 1000), replayStore: this.replay });
    } catch (error) {
      if (error instanceof AppError && error.code === 'NONCE_REPLAYED') throw new RouterError(409, 'NONCE_REPLAYED', 'This nonce was already used.');
      const code = error instanceof AppError && (error.code === 'STALE_TIMESTAMP' || error.code === 'SIGNATURE_INVALID') ? error.code : 'UNAUTHENTICATED';
      throw new RouterError(401, code, error instanceof AppError ? error.message : 'The request is not signed.');
    }
    const lower = address.toLowerCase();
    if (!(await this.membership.allowedAnywhere(lower, this.sessionIds()))) {
      this.log.info('miner refused', { address: lower, decision: 'not allowed anywhere' });
      throw new RouterError(403, 'NOT_ALLOWED', 'This address is not on the allowed list of any session.');
    }
    return lower;
  }

  /** Offchain calls: the app's bearer token, or a signed miner (returns its address, or null for the app). */
  private async caller(req: IncomingMessage, path: string, body: Uint8Array): Promise<string | null> {
    if (req.headers.authorization !== undefined) {
      this.bearer(req);
      return null;
    }
    return this.miner(req, path, body);
  }

  // ---- §2.5 offchain store ---------------------------------------------------------------------

  private async putOffchain(req: IncomingMessage, path: string): Promise<{ urn: string }> {
    const { who, sessionId, envelope } = await this.acceptUpload(req, path);
    const row = this.store.put(sessionId, envelope, who ?? 'app');
    this.log.info('payload stored', { urn: row.urn, type: row.payload_type, key_version: row.key_version, bytes: row.size, by: who ?? 'app' });
    return { urn: row.urn };
  }

  /**
   * `PUT /api/v2/offchain/<urn>`: the uploader chose the URN (a fresh uuid v4 in the envelope's
   * session) and recorded it before sending, so a crash between the upload and its answer leaves
   * no orphan: the same URN again from the same uploader answers 200 and stores nothing new (the
   * first envelope stays); a URN someone else holds is 409 `URN_TAKEN`.
   */
  private async putOffchainAt(req: IncomingMessage, path: string): Promise<{ urn: string; created: boolean }> {
    let urn: string;
    try {
      urn = parseUrn(path.slice('/api/v2/offchain/'.length)).urn;
    } catch {
      throw new RouterError(400, 'URN_MALFORMED', 'A URN is urn:cts:payload:v2:<session_id>:<uuid v4>.');
    }
    const { who, sessionId, envelope } = await this.acceptUpload(req, path);
    if (parseUrn(urn).sessionId !== sessionId) throw new RouterError(400, 'MALFORMED', "The URN's session does not match the envelope's.");
    const by = who ?? 'app';
    const existing = this.store.row(urn);
    if (existing) {
      if (existing.uploader !== by) throw new RouterError(409, 'URN_TAKEN', 'Another uploader holds this URN; choose a fresh one.');
      this.log.info('payload already stored', { urn, by });
      return { urn, created: false };
    }
    const row = this.store.put(sessionId, envelope, by, urn);
    this.log.info('payload stored', { urn: row.urn, type: row.payload_type, key_version: row.key_version, bytes: row.size, by, chosen_urn: true });
    return { urn, created: true };
  }

  /** Who uploads (bearer app or signed miner), the envelope, and its session, checked as §2.5 says. */
  private async acceptUpload(req: IncomingMessage, path: string): Promise<{ who: string | null; sessionId: number; envelope: Envelope }> {
    const bytes = await this.body(req, this.maxPayload);
    const who = await this.caller(req, path, bytes);
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(parseJson(bytes));
    } catch (error) {
      if (error instanceof RouterError) throw error;
      throw new RouterError(400, 'ENVELOPE_MALFORMED', error instanceof AppError ? error.message : 'The envelope is malformed.');
    }
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('session_id');
    const queried = query !== null && /^(0|[1-9][0-9]{0,15})$/.test(query) ? Number(query) : null;
    if (query !== null && queried === null) throw new RouterError(400, 'MALFORMED', 'session_id must be a decimal id.');
    const sessionId = envelope.payload_type === 'encrypted' ? envelope.data.session_id : queried;
    if (sessionId === null) throw new RouterError(400, 'MALFORMED', 'A plain envelope names its session with ?session_id=.');
    if (queried !== null && queried !== sessionId) throw new RouterError(400, 'MALFORMED', "session_id does not match the envelope's.");
    if (who !== null && !(await this.membership.serves(who, [sessionId])).length) throw new RouterError(403, 'NOT_ALLOWED', 'This address may not write to this session.');
    const session = this.repo.session(sessionId);
    if (!session) throw new RouterError(404, 'UNKNOWN_SESSION', 'No such session.');
    if (session.private === 1 && envelope.payload_type !== 'encrypted') throw new RouterError(400, 'PLAINTEXT_REFUSED', 'A private session accepts only encrypted envelopes.');
    return { who, sessionId, envelope };
  }

  private async getOffchain(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const who = await this.caller(req, path, new Uint8Array(0));
    let urn: string;
    try {
      urn = parseUrn(path.slice('/api/v2/offchain/'.length)).urn;
    } catch {
      throw new RouterError(400, 'URN_MALFORMED', 'A URN is urn:cts:payload:v2:<session_id>:<uuid v4>.');
    }
    const sessionId = parseUrn(urn).sessionId;
    if (who !== null && !(await this.membership.serves(who, [sessionId])).length) throw new RouterError(403, 'NOT_ALLOWED', 'This address may not read this session.');
    const text = this.store.getText(urn);
    if (text === undefined) throw new RouterError(404, 'NOT_FOUND', 'No such payload.');
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  }

  // ---- §2.6 miner job API ------------------------------------------------------------------------

  private jobWire(j: JobRow): MinerJobWire {
    return { job_id: j.job_id, session_id: j.session_id, task_id: j.task_id, input_urn: j.input_urn, lease_expires_at: iso(j.lease_expires_at!), deadline: iso(j.deadline) };
  }

  private async pollJobs(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const miner = await this.miner(req, path, await this.body(req, SMALL_BODY_BYTES));
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    const num = (name: string, dflt: number, min: number): number => {
      const v = params.get(name);
      if (v === null) return dflt;
      if (!/^[0-9]{1,6}$/.test(v) || Number(v) < min) throw new RouterError(400, 'MALFORMED', `${name} must be a whole number ≥ ${min}.`);
      return Number(v);
    };
    const waitMs = Math.min(num('wait', 0, 0), MAX_WAIT_S) * 1000;
    const max = Math.min(num('max', 1, 1), 100);
    const until = Date.now() + waitMs;
    let gone = false;
    res.once('close', () => {
      gone = true;
      this.events.emit('job');
    });
    for (;;) {
      const serves = await this.membership.serves(miner, this.sessionIds());
      // A socket the server already half-closed (keep-alive timeout racing a new request) or the
      // client closed can no longer carry an answer: lease nothing to it.
      if (!req.socket.writable) gone = true;
      const jobs = gone ? [] : this.repo.lease(miner, serves, max, Date.now(), this.leaseMs);
      if (gone) {
        // The miner went away mid-poll: return what it just got to the queue.
        for (const j of jobs) this.repo.extendLease(j.job_id, Date.now());
        if (jobs.length > 0) this.events.emit('job');
        return;
      }
      if (jobs.length > 0) {
        for (const j of jobs) this.log.info('job leased', { job: j.job_id, session: j.session_id, task: j.task_id, miner });
        return sendJson(res, 200, { jobs: jobs.map((j) => this.jobWire(j)) });
      }
      const left = until - Date.now();
      if (left <= 0) {
        res.writeHead(204, { 'cache-control': 'no-store' });
        res.end();
        return;
      }
      const expiry = this.repo.nextLeaseExpiry(Date.now());
      await this.waitForEvent('job', Math.min(left, expiry ?? left, 1000));
    }
  }

  private waitForEvent(name: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (fired: boolean): void => {
        clearTimeout(timer);
        this.events.off(name, onEvent);
        this.events.off('stop', onStop);
        resolve(fired);
      };
      const onEvent = (): void => done(true);
      const onStop = (): void => done(false);
      const timer = setTimeout(() => done(false), Math.max(ms, 0));
      this.events.once(name, onEvent);
      this.events.once('stop', onStop);
    });
  }

  /** `GET /api/v2/miner/jobs/<id>`: what the router holds for a job, as the asking miner may see it. */
  private async jobState(req: IncomingMessage, path: string, jobIdText: string): Promise<JobStateWire> {
    const miner = await this.miner(req, path, await this.body(req, SMALL_BODY_BYTES));
    const job = isUuidV4(jobIdText) ? this.repo.job(jobIdText) : undefined;
    if (!job) throw new RouterError(404, 'UNKNOWN_JOB', 'No such job.');
    // A lease that ran out but nobody took since is still the miner's to extend (as `POST …/lease` does).
    const state = job.state;
    const mine = job.miner === miner;
    return {
      job_id: job.job_id,
      state,
      mine,
      result_urn: mine && state === 'done' ? job.result_urn : null,
      lease_expires_at: mine && state === 'leased' ? iso(job.lease_expires_at!) : null,
    };
  }

  private async jobAction(req: IncomingMessage, path: string, jobIdText: string, verb: 'lease' | 'result' | 'fail'): Promise<Record<string, unknown>> {
    const bytes = await this.body(req, SMALL_BODY_BYTES);
    const miner = await this.miner(req, path, bytes);
    const job = isUuidV4(jobIdText) ? this.repo.job(jobIdText) : undefined;
    if (!job) throw new RouterError(404, 'UNKNOWN_JOB', 'No such job.');
    const now = Date.now();
    if (verb === 'lease') {
      if (job.state === 'done' || job.state === 'failed') throw new RouterError(409, 'ALREADY_REPORTED', 'The job is finished.');
      if (job.state === 'withdrawn') throw new RouterError(409, 'JOB_WITHDRAWN', 'The job was withdrawn: its completion timed out or its caller went away.');
      if (job.miner !== miner) throw new RouterError(409, 'LEASE_LOST', 'The lease is held by another miner.');
      const expires = now + this.leaseMs;
      this.repo.extendLease(job.job_id, expires);
      return { job_id: job.job_id, lease_expires_at: iso(expires) };
    }
    const body = bytes.length === 0 ? {} : parseJson(bytes);
    if (!isJsonObject(body)) throw new RouterError(400, 'MALFORMED', 'The body must be a JSON object.');
    if (verb === 'result') return this.reportResult(job, miner, body, now);
    return this.reportFailure(job, miner, body, now);
  }

  private reportResult(job: JobRow, miner: string, body: JsonObject, now: number): Record<string, unknown> {
    const urnText = body.result_urn;
    if (job.state === 'done') {
      if (job.result_urn === urnText) return { job_id: job.job_id, state: 'done' };
      throw new RouterError(409, 'ALREADY_REPORTED', 'The job was reported with another result.');
    }
    if (job.state === 'failed') throw new RouterError(409, 'ALREADY_REPORTED', 'The job was reported failed.');
    if (job.state === 'withdrawn') throw new RouterError(409, 'JOB_WITHDRAWN', 'The job was withdrawn: its completion timed out or its caller went away.');
    if (job.miner !== miner) throw new RouterError(409, 'LEASE_LOST', 'The lease is held by another miner.');
    let urn: string;
    try {
      urn = parseUrn(urnText).urn;
    } catch {
      throw new RouterError(400, 'RESULT_URN_INVALID', 'result_urn is not a URN.');
    }
    const row = this.store.row(urn);
    const isPrivate = this.repo.session(job.session_id)?.private === 1;
    if (!row || row.session_id !== job.session_id || (isPrivate && row.payload_type !== 'encrypted') || urn === job.input_urn) {
      throw new RouterError(400, 'RESULT_URN_INVALID', "result_urn must be a stored envelope of the job's session (encrypted for a private session).");
    }
    this.repo.finish(job.job_id, 'done', { result_urn: urn }, now);
    // An accepted result earns its miner a share of the epoch's emission (payments.ts).
    const competitionId = this.repo.session(job.session_id)?.competition_id;
    if (competitionId) this.payments?.credit(job, competitionId, miner, now);
    this.log.info('job reported', { job: job.job_id, session: job.session_id, task: job.task_id, result_urn: urn, bytes: row.size, ms: now - job.created_at });
    this.events.emit(`done:${job.job_id}`, { kind: 'done', resultUrn: urn } satisfies Outcome);
    return { job_id: job.job_id, state: 'done' };
  }

  private reportFailure(job: JobRow, miner: string, body: JsonObject, now: number): Record<string, unknown> {
    const code = body.code;
    if (typeof code !== 'string' || !/^[A-Z0-9_]{1,64}$/.test(code)) throw new RouterError(400, 'MALFORMED', 'code must be 1–64 of A–Z, 0–9 and _.');
    if (body.message !== undefined && (typeof body.message !== 'string' || body.message.length > 1000)) throw new RouterError(400, 'MALFORMED', 'message must be a string of at most 1000 characters.');
    if (job.state === 'failed') return { job_id: job.job_id, state: 'failed' };
    if (job.state === 'done') throw new RouterError(409, 'ALREADY_REPORTED', 'The job was reported with a result.');
    if (job.state === 'withdrawn') return { job_id: job.job_id, state: 'withdrawn' };
    if (job.miner !== miner) throw new RouterError(409, 'LEASE_LOST', 'The lease is held by another miner.');
    this.repo.finish(job.job_id, 'failed', { fail_code: code }, now);
    // The message is the miner's words: it is not logged (it might carry plaintext by mistake).
    this.log.info('job failed', { job: job.job_id, session: job.session_id, task: job.task_id, code, ms: now - job.created_at });
    this.events.emit(`done:${job.job_id}`, { kind: 'failed', code } satisfies Outcome);
    return { job_id: job.job_id, state: 'failed' };
  }

  /** What the router holds for a task, as it is: URNs, states, sizes, versions — never content (the app's Playground). */
  private taskView(sessionId: number, taskId: number): TaskViewWire {
    const job = this.repo.jobByTask(sessionId, taskId);
    if (!job) throw new RouterError(404, 'UNKNOWN_TASK', 'No such task.');
    const payload = (urn: string | null): TaskViewWire['input'] => {
      const row = urn === null ? undefined : this.store.row(urn);
      return row ? { urn: row.urn, payload_type: row.payload_type, key_version: row.key_version, bytes: row.size } : null;
    };
    return {
      session_id: sessionId,
      task_id: taskId,
      job_id: job.job_id,
      state: job.state,
      fail_code: job.fail_code,
      input: payload(job.input_urn),
      result: payload(job.result_urn),
      created_at: iso(job.created_at),
      finished_at: job.finished_at === null ? null : iso(job.finished_at),
    };
  }

  // ---- §2.7 completion -----------------------------------------------------------------------------

  private inputScope(sessionId: number, taskId: number): EnvelopeScope {
    const task = this.options.taskScopedInputs === true;
    return { scopeType: task ? 'task' : 'session', sessionId, taskId: task ? taskId : null, keyVersion: this.config.keyring.active };
  }

  private keyFor(scope: EnvelopeScope): Uint8Array | undefined {
    const seed = this.config.keyring.seeds.get(scope.keyVersion);
    return seed && deriveScopedKey(seed, scopeFor(scope.scopeType, scope.sessionId, scope.taskId));
  }

  private async completion(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.bearer(req);
    const body = parseJson(await this.body(req, this.maxPayload));
    if (!isJsonObject(body)) throw new RouterError(400, 'MALFORMED', 'The body must be a JSON object.');
    for (const k of Object.keys(body)) if (!['session_id', 'prompt', 'params', 'timeout_s', 'stream', 'metadata'].includes(k)) throw new RouterError(400, 'MALFORMED', `Unknown field "${k}".`);
    if (!isId(body.session_id)) throw new RouterError(400, 'MALFORMED', 'session_id must be a non-negative integer.');
    if (typeof body.prompt !== 'string') throw new RouterError(400, 'MALFORMED', 'prompt must be a string.');
    if (body.params !== undefined && !isJsonObject(body.params)) throw new RouterError(400, 'MALFORMED', 'params must be an object.');
    if (body.metadata !== undefined && !isJsonObject(body.metadata)) throw new RouterError(400, 'MALFORMED', 'metadata must be an object.');
    const timeoutS = body.timeout_s ?? DEFAULT_TIMEOUT_S;
    if (typeof timeoutS !== 'number' || !Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > MAX_TIMEOUT_S) throw new RouterError(400, 'MALFORMED', `timeout_s must be a number in (0, ${MAX_TIMEOUT_S}].`);
    if (body.stream !== undefined && typeof body.stream !== 'boolean') throw new RouterError(400, 'MALFORMED', 'stream must be a boolean.');
    const sessionId = body.session_id;
    const session = this.repo.session(sessionId);
    if (!session) throw new RouterError(404, 'UNKNOWN_SESSION', 'No such session.');
    const isPrivate = session.private === 1;
    if (body.stream === true) {
      if (isPrivate) throw new RouterError(400, 'STREAMING_UNSUPPORTED', 'A private session answers only once the result is back: send "stream": false.');
      throw new RouterError(400, 'STREAMING_UNSUPPORTED', 'The practice router does not stream.');
    }

    const taskId = this.repo.nextTaskId(sessionId);
    const data: JsonObject = { prompt: body.prompt, params: body.params ?? {}, metadata: body.metadata ?? {} };
    let envelope: Envelope;
    if (isPrivate) {
      const scope = this.inputScope(sessionId, taskId);
      envelope = await encryptEnvelope(this.keyFor(scope)!, scope, data);
    } else {
      envelope = plainEnvelope(data);
    }
    const input = this.store.put(sessionId, envelope);
    const created = Date.now();
    const jobId = uuidV4();
    const deadline = created + Math.round(timeoutS * 1000);
    // Listen before the job is visible, so no outcome can slip between.
    const outcome = this.awaitOutcome(jobId, deadline - created, res);
    this.repo.insertJob({ job_id: jobId, session_id: sessionId, task_id: taskId, input_urn: input.urn, deadline, created_at: created });
    this.log.info('completion queued', { job: jobId, session: sessionId, task: taskId, input_urn: input.urn, bytes: input.size, private: isPrivate });
    this.events.emit('job');

    const result = await outcome;
    if (result === 'gone' || result === 'timeout' || result === 'stopped') {
      const job = this.repo.job(jobId);
      if (job && (job.state === 'queued' || job.state === 'leased')) this.repo.finish(jobId, 'withdrawn', {}, Date.now());
      this.log.info('completion withdrawn', { job: jobId, session: sessionId, task: taskId, reason: result, ms: Date.now() - created });
      if (result === 'gone') return;
      throw new RouterError(504, 'TIMEOUT', 'No miner answered in time.');
    }
    if (result.kind === 'failed') throw new RouterError(502, 'MINER_FAILED', `The miner could not complete the job (${result.code}).`);
    if (result.kind === 'withdrawn') throw new RouterError(504, 'TIMEOUT', 'No miner answered in time.');
    const answer = await this.openResult(result.resultUrn, sessionId, taskId, isPrivate);
    this.log.info('completion answered', { job: jobId, session: sessionId, task: taskId, result_urn: result.resultUrn, ms: Date.now() - created });
    sendJson(res, 200, { session_id: sessionId, task_id: taskId, ...answer });
  }

  private awaitOutcome(jobId: string, ms: number, res: ServerResponse): Promise<Outcome | 'timeout' | 'gone' | 'stopped'> {
    return new Promise((resolve) => {
      const name = `done:${jobId}`;
      const finish = (value: Outcome | 'timeout' | 'gone' | 'stopped'): void => {
        clearTimeout(timer);
        this.events.off(name, onDone);
        this.events.off('stop', onStop);
        res.off('close', onClose);
        resolve(value);
      };
      const onDone = (o: Outcome): void => finish(o);
      const onStop = (): void => finish('stopped');
      const onClose = (): void => {
        if (!res.writableEnded) finish('gone');
      };
      const timer = setTimeout(() => finish('timeout'), ms);
      this.events.on(name, onDone);
      this.events.once('stop', onStop);
      res.on('close', onClose);
    });
  }

  /** Reads and (for a private session) decrypts the miner's result; 502 `RESULT_UNDECRYPTABLE` otherwise. */
  private async openResult(urn: string, sessionId: number, taskId: number, isPrivate: boolean): Promise<{ output: unknown; model: unknown; usage?: unknown }> {
    const bad = (why: string): RouterError => new RouterError(502, 'RESULT_UNDECRYPTABLE', `The miner's result cannot be read: ${why}.`);
    const text = this.store.getText(urn);
    if (text === undefined) throw bad('it is gone from the store');
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(JSON.parse(text));
    } catch {
      throw bad('the envelope is malformed');
    }
    let data: JsonObject;
    if (envelope.payload_type === 'encrypted') {
      const e: EncryptedEnvelope = envelope;
      const scope: EnvelopeScope = { scopeType: e.data.scope_type, sessionId: e.data.session_id, taskId: e.data.task_id, keyVersion: e.data.key_version };
      if (scope.sessionId !== sessionId || (scope.scopeType === 'task' && scope.taskId !== taskId)) throw bad('it is encrypted for another scope');
      const key = this.keyFor(scope);
      if (!key) throw bad(`key version ${scope.keyVersion} is not held`);
      try {
        data = await decryptEnvelope(key, e);
      } catch {
        throw bad('it does not decrypt');
      }
    } else {
      if (isPrivate) throw bad('it is not encrypted');
      data = envelope.data;
    }
    if (!Object.prototype.hasOwnProperty.call(data, 'output')) throw bad('it has no output');
    return { output: data.output, model: typeof data.model === 'string' ? data.model : null, ...(data.usage !== undefined ? { usage: data.usage } : {}) };
  }

  /**
   * Re-reads the keyring (after `rotate` or `retire`, §2.8): new encryptions use the new active
   * version at once; decryption follows each envelope's `key_version`. Returns the active version.
   */
  reloadKeyring(): string {
    const keyring = loadRouterConfig(this.options.dataDir, this.options.env ?? {}).keyring;
    this.config = { ...this.config, keyring };
    this.log.info('router keyring reloaded', keyringSummary(keyring));
    return keyring.active;
  }

  /** For tests and the operator tooling: the repository (URNs and states only). */
  get repository(): RouterRepo {
    return this.repo;
  }

  get payloads(): PayloadStore {
    return this.store;
  }

  /** Is `address` an EVM address this router would lease anything to right now? */
  async mayLease(address: string): Promise<boolean> {
    return isEvmAddress(address) && (await this.membership.allowedAnywhere(address.toLowerCase(), this.sessionIds()));
  }
}
