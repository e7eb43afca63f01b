/**
 * The practice validator (docs/practice-network.md §4; PROTOCOLS §3): `POST /submit` with checks
 * 1–3 answered at once (key and scheme from the chain, block window, signature), then in the
 * background 4 download, 5 commitment, 6 held-out loss → score; `GET /submissions/<id>`; a §4
 * signed blob store for publishing checkpoints; and per round one `emit_rewards` transaction
 * signed by the validator authority key. Its own SQLite: validator-db.ts.
 *
 * Logs carry hotkeys, hashes, sizes, verdicts and timings — never file contents, and of a
 * checkpoint URL only its host (a URL may hold an access token).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { AppError } from '@shared/contract/errors';
import { formatAmount, roundAt, txId, type ChainCompetition, type TxStatus } from '@shared/protocol/chain-api';
import { DEFAULT_BLOCK_WINDOW, parseCheckpointMessage, verifyCheckpoint, type CheckpointMessage } from '@shared/protocol/checkpoint-message';
import { fromHex } from '@shared/protocol/encoding';
import type { HeaderMap } from '@shared/protocol/headers';
import { DEFAULT_ACTION_PREFIX } from '@shared/protocol/miner-action';
import { VALIDATOR_ERRORS, type BlobStored, type SubmissionReason, type SubmissionView, type ValidatorErrorCode } from '@shared/protocol/validator-api';
import { ChainClient, ChainRpcError } from '../chain/chain-client';
import { BodyTooLarge, closeServer, jsonServer, listenLoopback, listenLoopbackPreferring, readBody, sendError, sendJson, silentLog, type DevnetLog } from '../common/http';
import { authorityKey } from '../common/keys';
import { SqliteReplayStore } from '../common/replay-store';
import { DEMO_COMPETITIONS, type DemoCompetition } from '../demo/competitions';
import { BlobStore, checkActionBeforeBody, checkActionSignature, type ReceivedBlob, type RegisteredKey } from './blob-store';
import { DownloadError, downloadCheckpoint } from './download';
import { InvalidCheckpoint, loadScorer, type Scorer } from './scoring';
import { openValidatorDb, PayoutsRepo, SubmissionsRepo, validatorDir, type PayoutRow, type SubmissionRow, type ValidatorDb } from './validator-db';
import { actionRefusal } from '../common/action-refusal';

export const MIB = 1024 * 1024;
const SUBMIT_BODY_MAX = 16 * 1024;
const ID = /^sub_[0-9a-f]{32}$/;

export interface ValidatorOptions {
  dataDir: string;
  /** The chain, or where to find it now (a chain restarted in another process may have moved). */
  chainUrl: string | (() => string);
  port?: number;
  preferredPort?: number;
  log?: DevnetLog;
  /** Competitions served (default: the demo's checkpoint competitions). */
  competitions?: readonly DemoCompetition[];
  /** The competition of `POST /submit` and `POST /v1/blobs` (default `practice-checkpoint`). */
  defaultCompetition?: string;
  maxCheckpointBytes?: number;
  downloadTimeoutMs?: number;
  maxBlobBytes?: number;
  /** `resources/models` (default: found from MINERVA_RESOURCES_DIR, the bundle or the working directory). */
  modelsDir?: string;
  /** How often rounds are checked for settlement (default 1000 ms). */
  settleIntervalMs?: number;
  /** Unix seconds (tests). */
  nowSeconds?: () => number;
}

class RequestError extends Error {
  constructor(
    readonly code: ValidatorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A verdict of the background checks. */
class Rejection extends Error {
  constructor(
    readonly reason: SubmissionReason,
    message: string,
  ) {
    super(message);
  }
}

/** The chain did not answer during background work: try the submission again later. */
class ChainAway extends Error {}

interface Served {
  demo: DemoCompetition;
  id: string;
  blockWindow: number;
  padded: boolean;
}

type Waiter<T> = { resolve: (value: T) => void; reject: (error: Error) => void };

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}

/** A path segment, percent-decoded; malformed encoding → 404 (not a 500). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RequestError('NOT_FOUND', 'No such endpoint.');
  }
}

/** An AppError of the §4 verifier → the validator's answer (the words PROTOCOLS §4 uses). */
function actionError(error: unknown): RequestError {
  if (error instanceof RequestError) return error;
  const refusal = actionRefusal(error);
  if (!refusal) throw error;
  return new RequestError(refusal.code, refusal.message);
}

export class ValidatorNode {
  private readonly db: ValidatorDb;
  private readonly submissions: SubmissionsRepo;
  private readonly payouts: PayoutsRepo;
  private readonly replay: SqliteReplayStore;
  private readonly blobs: BlobStore;
  /** Null when resources/models was not found: submissions then wait (pending) instead of being judged unfairly. */
  private readonly scorer: Scorer | null;
  private readonly log: DevnetLog;
  private readonly served: readonly Served[];
  private readonly now: () => number;
  private readonly maxCheckpointBytes: number;
  private readonly downloadTimeoutMs: number;
  private readonly maxBlobBytes: number;
  private readonly abort = new AbortController();
  private chainClient: ChainClient | undefined;
  private rules = new Map<string, ChainCompetition>();
  private server: Server | undefined;
  private queue: string[] = [];
  private working: Promise<void> | null = null;
  private settleTimer: NodeJS.Timeout | undefined;
  private settling: Promise<void> | null = null;
  private verdictWaiters = new Map<string, Waiter<SubmissionView>[]>();
  private payoutWaiters = new Map<string, Waiter<PayoutRow>[]>();
  private closed = false;
  url = '';

  constructor(private readonly options: ValidatorOptions) {
    this.log = options.log ?? silentLog;
    let scorer: Scorer | null = null;
    try {
      scorer = loadScorer(options.modelsDir);
    } catch (error) {
      this.log.error('the validator cannot evaluate checkpoints; submissions will wait', { error: error instanceof Error ? error.message : String(error) });
    }
    this.scorer = scorer;
    this.served = (options.competitions ?? DEMO_COMPETITIONS)
      .filter((c) => c.chain.kind === 'checkpoint')
      .map((demo) => ({ demo, id: demo.chain.competition_id, blockWindow: demo.catalogue.rules.block_window ?? DEFAULT_BLOCK_WINDOW, padded: demo.catalogue.rules.padded_signature ?? true }));
    if (this.served.length === 0) throw new Error('The validator serves checkpoint competitions; none was given.');
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
    this.maxCheckpointBytes = options.maxCheckpointBytes ?? 64 * MIB;
    this.downloadTimeoutMs = options.downloadTimeoutMs ?? 30_000;
    this.maxBlobBytes = options.maxBlobBytes ?? 64 * MIB;
    this.db = openValidatorDb(options.dataDir);
    this.submissions = new SubmissionsRepo(this.db);
    this.payouts = new PayoutsRepo(this.db);
    this.replay = new SqliteReplayStore(this.db);
    this.blobs = new BlobStore(join(validatorDir(options.dataDir), 'blobs'));
  }

  private get chain(): ChainClient {
    const url = typeof this.options.chainUrl === 'string' ? this.options.chainUrl : this.options.chainUrl();
    if (this.chainClient?.url !== url) this.chainClient = new ChainClient(url);
    return this.chainClient;
  }

  async start(): Promise<string> {
    this.server = jsonServer(
      (req, res) => this.route(req, res),
      (error) => this.log.error('validator request failed', { error: String(error) }),
    );
    this.url = this.options.port ? await listenLoopback(this.server, this.options.port) : await listenLoopbackPreferring(this.server, this.options.preferredPort);
    // Work cut short by a restart: pending submissions start again at the download.
    for (const row of this.submissions.pending()) this.enqueue(row.id);
    const interval = this.options.settleIntervalMs ?? 1000;
    const tick = (): void => {
      this.settleTimer = setTimeout(() => {
        this.settling = this.settle()
          .catch((error: unknown) => this.log.warn('settling rounds failed', { error: String(error) }))
          .finally(() => {
            this.settling = null;
            if (!this.closed) tick();
          });
      }, interval);
    };
    tick();
    return this.url;
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.abort.abort();
    if (this.server) await closeServer(this.server);
    await Promise.allSettled([this.working, this.settling]);
    const stopped = new Error('The validator stopped.');
    for (const list of [...this.verdictWaiters.values(), ...this.payoutWaiters.values()]) for (const w of list) w.reject(stopped);
    this.verdictWaiters.clear();
    this.payoutWaiters.clear();
    this.db.close();
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private competition(id: string | undefined): Served | undefined {
    const wanted = id ?? this.options.defaultCompetition ?? 'practice-checkpoint';
    return this.served.find((s) => s.id === wanted);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    try {
      if (path === '/health' && method === 'GET') return sendJson(res, 200, { ok: true, party: 'validator', pid: process.pid });
      const sub = /^\/submissions\/([^/]+)$/.exec(path);
      if (sub) {
        if (method !== 'GET') throw new RequestError('METHOD_NOT_ALLOWED', 'Method not allowed here.');
        const view = this.view(decodeSegment(sub[1]!));
        if (!view) throw new RequestError('NOT_FOUND', 'No such submission.');
        return sendJson(res, 200, view);
      }
      const blob = /^\/v1\/blobs\/([^/]+)$/.exec(path);
      if (blob) {
        if (method !== 'GET' && method !== 'HEAD') throw new RequestError('METHOD_NOT_ALLOWED', 'Method not allowed here.');
        if (!(await this.blobs.serve(res, blob[1]!))) throw new RequestError('NOT_FOUND', 'No blob with this SHA-256.');
        return;
      }
      const list = /^\/v1\/competitions\/([^/]+)\/submissions$/.exec(path);
      if (list) {
        if (method !== 'GET') throw new RequestError('METHOD_NOT_ALLOWED', 'Method not allowed here.');
        const c = this.competition(decodeSegment(list[1]!));
        if (!c) throw new RequestError('NOT_FOUND', 'This validator does not serve that competition.');
        const query = new URL(req.url ?? '/', 'http://validator').searchParams;
        const hotkey = query.get('hotkey');
        const roundText = query.get('round');
        if (!hotkey) throw new RequestError('MALFORMED', 'Give ?hotkey=<SS58> (and optionally &round=<n>).');
        if (roundText !== null && !/^(0|[1-9][0-9]{0,9})$/.test(roundText)) throw new RequestError('MALFORMED', 'round must be a non-negative integer.');
        const ids = this.submissions.idsOf(c.id, hotkey, roundText === null ? undefined : Number(roundText));
        return sendJson(res, 200, { submissions: ids.map((id) => this.view(id)!) });
      }
      let verb: 'submit' | 'blobs' | undefined;
      let competitionId: string | undefined;
      if (path === '/submit') verb = 'submit';
      else if (path === '/v1/blobs') verb = 'blobs';
      else {
        const m = /^\/v1\/competitions\/([^/]+)\/(submit|blobs)$/.exec(path);
        if (m) {
          verb = m[2] as 'submit' | 'blobs';
          competitionId = decodeSegment(m[1]!);
        }
      }
      if (!verb) throw new RequestError('NOT_FOUND', 'No such endpoint.');
      const c = this.competition(competitionId);
      if (!c) throw new RequestError('NOT_FOUND', 'This validator does not serve that competition.');
      if (method !== 'POST') throw new RequestError('METHOD_NOT_ALLOWED', 'Method not allowed here.');
      if (verb === 'submit') return sendJson(res, 202, await this.submit(c, req));
      return sendJson(res, 201, await this.upload(c, req, path));
    } catch (error) {
      const e = actionError(error);
      if (e.code === 'CHAIN_UNAVAILABLE') this.log.warn('chain unavailable', { message: e.message });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A refused upload may still be arriving: close instead of reading the rest of it.
      if (!req.complete) res.setHeader('connection', 'close');
      return sendError(res, VALIDATOR_ERRORS[e.code], e.code, e.message);
    }
  }

  private async chainCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof ChainRpcError) throw new RequestError('CHAIN_UNAVAILABLE', `The chain refused: ${error.message}`);
      throw new RequestError('CHAIN_UNAVAILABLE', 'The chain is not answering; try again shortly.');
    }
  }

  /** The hotkey's registered key for the competition, from the chain; undefined when not registered. */
  private async registeredKey(c: Served, hotkey: unknown): Promise<RegisteredKey | undefined> {
    if (typeof hotkey !== 'string' || hotkey.length < 40 || hotkey.length > 60) return undefined;
    const view = await this.chainCall(async () => {
      try {
        return await this.chain.call('chain_getHotkey', { competition_id: c.id, hotkey });
      } catch (error) {
        if (error instanceof ChainRpcError && error.code === 'VALIDATION') return null; // not an SS58 address
        throw error;
      }
    });
    if (!view?.registered || !view.public_key || !view.scheme) return undefined;
    return { scheme: view.scheme, publicKey: fromHex(view.public_key, 'public_key', { length: 32 }) };
  }

  private async rulesOf(c: Served): Promise<ChainCompetition> {
    const known = this.rules.get(c.id);
    if (known) return known;
    const list = await this.chain.call('chain_listCompetitions', {});
    for (const r of list.competitions) this.rules.set(r.competition_id, r);
    const found = this.rules.get(c.id);
    if (!found) throw new ChainRpcError('UNKNOWN_COMPETITION', `The chain does not know ${c.id}.`, 0);
    return found;
  }

  /** PROTOCOLS §3 checks 1–3, then 202 and the rest in the background. */
  private async submit(c: Served, req: IncomingMessage): Promise<{ submission_id: string }> {
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(await readBody(req, SUBMIT_BODY_MAX)).toString('utf8'));
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new RequestError('TOO_LARGE', `A checkpoint message is at most ${SUBMIT_BODY_MAX} bytes.`);
      throw new RequestError('MALFORMED', 'The body is not JSON.');
    }
    let message: CheckpointMessage;
    try {
      message = parseCheckpointMessage(raw);
    } catch (error) {
      throw new RequestError('MALFORMED', error instanceof AppError ? error.message : 'Malformed message.');
    }
    const key = await this.registeredKey(c, message.hotkey);
    const refuse = (code: 'UNKNOWN_HOTKEY' | 'BLOCK_WINDOW' | 'SIGNATURE_INVALID', text: string): RequestError => {
      this.log.info('submission refused', { competition: c.id, hotkey: message.hotkey, reason: code, block_number: message.block_number });
      return new RequestError(code, text);
    };
    if (!key) throw refuse('UNKNOWN_HOTKEY', `The hotkey is not registered on chain for ${c.id}.`);
    const [info, rules] = await this.chainCall(() => Promise.all([this.chain.call('chain_info', {}), this.rulesOf(c)]));
    const head = info.block_number;
    const verdict = verifyCheckpoint(message, {
      profile: { scheme: key.scheme, padded: c.padded },
      publicKeyOf: () => key.publicKey,
      currentBlock: head,
      blockWindow: c.blockWindow,
    });
    if (!verdict.valid) {
      if (verdict.reason === 'MALFORMED') throw new RequestError('MALFORMED', verdict.message);
      throw refuse(verdict.reason, verdict.reason === 'BLOCK_WINDOW' ? `block_number ${message.block_number} is more than ${c.blockWindow} blocks from the chain's block ${head}.` : verdict.message);
    }
    const id = `sub_${randomBytes(16).toString('hex')}`;
    const round = roundAt(rules, message.block_number)?.round ?? 0;
    this.submissions.insert({
      id,
      competition_id: c.id,
      hotkey: message.hotkey,
      expert_group: String(message.expert_group),
      checkpoint_url: message.checkpoint_url,
      block_number: message.block_number,
      round,
      received_at: new Date().toISOString(),
    });
    this.log.info('submission received', { id, competition: c.id, hotkey: message.hotkey, expert_group: String(message.expert_group), block_number: message.block_number, round, host: hostOf(message.checkpoint_url) });
    this.enqueue(id);
    return { submission_id: id };
  }

  /** The §4-signed blob upload (docs §4.2). */
  private async upload(c: Served, req: IncomingMessage, path: string): Promise<BlobStored> {
    const headers = req.headers as HeaderMap;
    const claimed = req.headers['x-hotkey'];
    const key = await this.registeredKey(c, claimed);
    const pre = checkActionBeforeBody(headers, key, this.now());
    let received: ReceivedBlob;
    try {
      received = await this.blobs.receive(req, this.maxBlobBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new RequestError('TOO_LARGE', `A blob is at most ${this.maxBlobBytes} bytes.`);
      throw error;
    }
    const target = { prefix: c.demo.catalogue.rules.action_prefix || DEFAULT_ACTION_PREFIX, netuid: c.demo.catalogue.netuid, slug: c.demo.catalogue.slug, method: 'POST', path };
    try {
      checkActionSignature(pre, target, received.sha256, key!, { nowSeconds: this.now(), replayStore: this.replay });
    } catch (error) {
      this.blobs.discard(received);
      this.log.info('blob refused', { competition: c.id, hotkey: pre.hotkey, sha256: received.sha256, size: received.size, reason: error instanceof AppError ? error.code : 'error' });
      throw error;
    }
    this.blobs.keep(received);
    this.log.info('blob stored', { competition: c.id, hotkey: pre.hotkey, sha256: received.sha256, size: received.size });
    return { url: `${this.url}/v1/blobs/${received.sha256}`, sha256: received.sha256, size: received.size };
  }

  // -------------------------------------------------------------------------------------------
  // Background checks 4–6

  private enqueue(id: string): void {
    this.queue.push(id);
    if (!this.working) {
      this.working = this.drain().finally(() => {
        this.working = null;
      });
    }
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id !== undefined && !this.closed; id = this.queue.shift()) {
      try {
        await this.process(id);
      } catch (error) {
        if (this.closed) return;
        if (error instanceof ChainAway) {
          // Leave it pending and try again after a while (not at once: the chain is away).
          this.submissions.update(id, { stage: 'queued' });
          setTimeout(() => {
            if (!this.closed) this.enqueue(id);
          }, 2000).unref();
          this.log.warn('chain unavailable during checks; will retry', { id });
        } else {
          this.log.error('submission check failed', { id, error: String(error) });
        }
      }
    }
  }

  private async onChain<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new ChainAway(error instanceof Error ? error.message : 'chain error');
    }
  }

  private async process(id: string): Promise<void> {
    const row = this.submissions.get(id);
    if (row?.status !== 'pending') return;
    const c = this.competition(row.competition_id);
    if (!c) return this.decide(row, new Rejection('NO_COMMITMENT', 'This validator no longer serves the competition.'));
    try {
      // 4. download
      this.submissions.update(id, { stage: 'downloading' });
      const started = Date.now();
      let downloaded;
      try {
        downloaded = await downloadCheckpoint(row.checkpoint_url, { maxBytes: this.maxCheckpointBytes, timeoutMs: this.downloadTimeoutMs, signal: this.abort.signal });
      } catch (error) {
        if (this.closed) throw error;
        const e = error instanceof DownloadError ? error : new DownloadError('DOWNLOAD_FAILED', 'The checkpoint could not be fetched.');
        this.submissions.update(id, { download_ms: Date.now() - started });
        throw new Rejection(e.reason, e.message);
      }
      this.submissions.update(id, { sha256: downloaded.sha256, size: downloaded.size, download_ms: Date.now() - started });

      // 5. submission phase and commitment
      const rules = await this.onChain(() => this.rulesOf(c));
      const round = roundAt(rules, row.block_number);
      if (!round || round.phase !== 'submit') {
        throw new Rejection('NO_COMMITMENT', `block_number ${row.block_number} is in the commit phase of round ${round?.round ?? 0}; a submission carries a block of the submission phase (from block ${round?.submit_start ?? 0}).`);
      }
      const { commitment } = await this.onChain(() => this.chain.call('chain_getCommitment', { competition_id: c.id, hotkey: row.hotkey, expert_group: row.expert_group, round: round.round }));
      if (!commitment) throw new Rejection('NO_COMMITMENT', `No commitment of this hotkey for expert group ${row.expert_group} in the commit phase of round ${round.round}.`);
      this.submissions.update(id, { commit_hash: commitment.hash, commit_block: commitment.block, commit_tx: commitment.tx_id });
      if (commitment.hash !== downloaded.sha256) {
        throw new Rejection('HASH_MISMATCH', `The file at checkpoint_url (SHA-256 ${downloaded.sha256}) is not the one committed in block ${commitment.block} (${commitment.hash}).`);
      }
      if (this.submissions.hasAccepted(c.id, row.hotkey, row.expert_group, round.round)) {
        throw new Rejection('DUPLICATE', `A submission of this hotkey for expert group ${row.expert_group} in round ${round.round} was accepted already.`);
      }

      // 6. evaluate
      if (!this.scorer) {
        this.submissions.update(id, { stage: 'evaluating' });
        this.log.error('submission waits: no scoring code (resources/models)', { id, hotkey: row.hotkey });
        return;
      }
      this.submissions.update(id, { stage: 'evaluating' });
      const evalStarted = Date.now();
      let evaluation;
      try {
        evaluation = this.scorer.evaluate(downloaded.bytes);
      } catch (error) {
        if (!(error instanceof InvalidCheckpoint)) throw error;
        this.submissions.update(id, { eval_ms: Date.now() - evalStarted });
        throw new Rejection('INVALID_CHECKPOINT', `The file matches the commitment but is not a checkpoint the validator can evaluate: ${error.message}.`);
      }
      const patch = {
        loss: evaluation.loss,
        score: evaluation.score,
        eval_ms: Date.now() - evalStarted,
        message: `Accepted: held-out loss ${evaluation.loss.toFixed(3)} nats per character (score ${evaluation.score.toFixed(3)}).`,
        decided_at: new Date().toISOString(),
      };
      if (!this.submissions.tryAccept(row, patch)) {
        throw new Rejection('DUPLICATE', `A submission of this hotkey for expert group ${row.expert_group} in round ${round.round} was accepted already.`);
      }
      this.finished(id);
    } catch (error) {
      if (error instanceof Rejection) return this.decide(row, error);
      throw error;
    }
  }

  private decide(row: SubmissionRow, rejection: Rejection): void {
    this.submissions.update(row.id, { status: 'rejected', stage: null, reason: rejection.reason, message: rejection.message, decided_at: new Date().toISOString() });
    this.finished(row.id);
  }

  private finished(id: string): void {
    const row = this.submissions.get(id)!;
    this.log.info('submission decided', {
      id,
      competition: row.competition_id,
      hotkey: row.hotkey,
      expert_group: row.expert_group,
      round: row.round,
      status: row.status,
      reason: row.reason ?? undefined,
      sha256: row.sha256 ?? undefined,
      size: row.size ?? undefined,
      commit_hash: row.commit_hash ?? undefined,
      loss: row.loss ?? undefined,
      score: row.score ?? undefined,
      download_ms: row.download_ms ?? undefined,
      eval_ms: row.eval_ms ?? undefined,
    });
    const view = this.view(id)!;
    for (const w of this.verdictWaiters.get(id) ?? []) w.resolve(view);
    this.verdictWaiters.delete(id);
  }

  // -------------------------------------------------------------------------------------------
  // Rewards

  /** Pays every round that can take no more submissions and has none pending (one `emit_rewards` each). */
  private async settle(): Promise<void> {
    for (const row of this.payouts.unsettled()) await this.followPayout(row);
    let head: number;
    try {
      head = (await this.chain.call('chain_info', {})).block_number;
    } catch {
      return; // the chain is away: next time
    }
    for (const c of this.served) {
      const rules = await this.rulesOf(c);
      if (rules.round_blocks <= 0) continue;
      for (const round of this.submissions.unpaidRounds(c.id)) {
        if (this.closed) return;
        const end = (round + 1) * rules.round_blocks; // first block of the next round
        if (head < end + c.blockWindow + 1 || this.submissions.countPending(c.id, round) > 0) continue;
        await this.payRound(c, rules, round);
      }
    }
  }

  private async payRound(c: Served, rules: ChainCompetition, round: number): Promise<void> {
    const byHotkey = new Map<string, number>();
    for (const s of this.submissions.accepted(c.id, round)) byHotkey.set(s.hotkey, (byHotkey.get(s.hotkey) ?? 0) + (s.score ?? 0));
    // A hotkey that left since cannot be paid (the chain would refuse the whole transaction).
    for (const hotkey of [...byHotkey.keys()]) {
      const view = await this.chain.call('chain_getHotkey', { competition_id: c.id, hotkey });
      if (!view.registered) byHotkey.delete(hotkey);
    }
    const weights = [...byHotkey.entries()].map(([hotkey, score]) => ({ hotkey, weight: BigInt(Math.round(score * 1e9)) }));
    const total = weights.reduce((sum, w) => sum + w.weight, 0n);
    const emission = BigInt(rules.emission_per_epoch);
    const payouts = total === 0n ? [] : weights.map((w) => ({ hotkey: w.hotkey, amount: ((emission * w.weight) / total).toString() })).filter((p) => p.amount !== '0');
    const at = new Date().toISOString();
    if (payouts.length === 0) {
      this.payouts.insert({ competition_id: c.id, round, tx_id: null, state: 'nothing', block: null, error: null, payouts_json: '[]', at });
      this.log.info('round settled without payouts', { competition: c.id, round });
      this.payoutSettled(c.id, round);
      return;
    }
    const args = { competition_id: c.id, epoch: round, payouts };
    const signer = authorityKey(this.options.dataDir, 'validator');
    const tx = await this.chain.buildTx('emit_rewards', args, signer);
    const id = txId(await this.chain.genesisHash(), tx);
    // Recorded before it is sent: a crash in between is found again by followPayout.
    this.payouts.insert({ competition_id: c.id, round, tx_id: id, state: 'sent', block: null, error: null, payouts_json: JSON.stringify(payouts), at });
    try {
      await this.chain.call('chain_submitTx', { tx });
    } catch (error) {
      // Refused at submit (e.g. a nonce race): forget it, the next settle builds it again.
      this.db.prepare(`DELETE FROM payouts WHERE competition_id = ? AND round = ?`).run(c.id, round);
      throw error;
    }
    this.log.info('rewards sent', { competition: c.id, round, tx_id: id, payouts: payouts.length, total: formatAmount(payouts.reduce((s, p) => s + BigInt(p.amount), 0n)) });
    await this.followPayout(this.payouts.get(c.id, round)!);
  }

  /** Follows a sent payout until a block holds it (short waits, so that stop() is never held up). */
  private async followPayout(row: PayoutRow): Promise<void> {
    let status: TxStatus;
    for (;;) {
      if (this.closed) return;
      try {
        status = await this.chain.call('chain_txStatus', { tx_id: row.tx_id! });
      } catch (error) {
        if (error instanceof ChainRpcError && error.code === 'NOT_FOUND') {
          // Never reached the chain (a crash between record and send): settle the round again.
          this.db.prepare(`DELETE FROM payouts WHERE competition_id = ? AND round = ? AND state = 'sent'`).run(row.competition_id, row.round);
          return;
        }
        throw error;
      }
      if (status.state !== 'pending') break;
      const head = (await this.chain.call('chain_info', {})).block_number;
      await this.chain.call('chain_waitForBlock', { number: head + 1, timeout_ms: 1000 });
    }
    if (this.closed) return;
    if (status.state === 'included') {
      this.payouts.settle(row.competition_id, row.round, 'included', status.block, null);
      this.log.info('rewards paid', { competition: row.competition_id, round: row.round, tx_id: row.tx_id, block: status.block });
    } else {
      this.payouts.settle(row.competition_id, row.round, 'failed', status.block, `${status.error.code}: ${status.error.message}`);
      this.log.error('rewards refused by the chain', { competition: row.competition_id, round: row.round, tx_id: row.tx_id, code: status.error.code });
    }
    this.payoutSettled(row.competition_id, row.round);
  }

  private payoutSettled(competitionId: string, round: number): void {
    const key = `${competitionId}:${round}`;
    const row = this.payouts.get(competitionId, round)!;
    for (const w of this.payoutWaiters.get(key) ?? []) w.resolve(row);
    this.payoutWaiters.delete(key);
  }

  // -------------------------------------------------------------------------------------------
  // Views and waiting (tests, the CLI)

  view(id: string): SubmissionView | undefined {
    if (!ID.test(id)) return undefined;
    const row = this.submissions.get(id);
    if (!row) return undefined;
    const view: SubmissionView = {
      submission_id: row.id,
      competition_id: row.competition_id,
      status: row.status,
      round: row.round,
      hotkey: row.hotkey,
      expert_group: row.expert_group,
      block_number: row.block_number,
      checkpoint_url: row.checkpoint_url,
      received_at: row.received_at,
    };
    if (row.status === 'pending' && row.stage) view.stage = row.stage;
    if (row.reason) view.reason = row.reason;
    if (row.message) view.message = row.message;
    if (row.sha256) view.sha256 = row.sha256;
    if (row.size !== null) view.size = row.size;
    if (row.commit_hash && row.commit_block !== null && row.commit_tx) view.commitment = { hash: row.commit_hash, block: row.commit_block, tx_id: row.commit_tx };
    if (row.status === 'accepted') {
      if (row.loss !== null) view.loss = row.loss;
      if (row.score !== null) view.score = row.score;
      const payout = this.payouts.get(row.competition_id, row.round);
      if (payout && (payout.state === 'included' || payout.state === 'nothing')) {
        const mine = (JSON.parse(payout.payouts_json) as { hotkey: string; amount: string }[]).find((p) => p.hotkey === row.hotkey);
        const units = BigInt(mine?.amount ?? '0');
        view.reward = { epoch: row.round, amount: formatAmount(units), base_units: units.toString(), tx_id: payout.tx_id, block: payout.block };
      } else {
        view.reward = null;
      }
    }
    if (row.decided_at) view.decided_at = row.decided_at;
    return view;
  }

  /** Resolves with the submission once it is accepted or rejected. */
  waitForVerdict(id: string): Promise<SubmissionView> {
    const view = this.view(id);
    if (!view) return Promise.reject(new Error(`No submission ${id}.`));
    if (view.status !== 'pending') return Promise.resolve(view);
    return new Promise((resolve, reject) => {
      const list = this.verdictWaiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.verdictWaiters.set(id, list);
    });
  }

  /** Resolves once the round's payout is settled (included, refused, or nothing to pay). */
  waitForPayout(competitionId: string, round: number): Promise<PayoutRow> {
    const row = this.payouts.get(competitionId, round);
    if (row && row.state !== 'sent') return Promise.resolve(row);
    return new Promise((resolve, reject) => {
      const key = `${competitionId}:${round}`;
      const list = this.payoutWaiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.payoutWaiters.set(key, list);
    });
  }
}
