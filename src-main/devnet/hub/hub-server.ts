/**
 * The practice hub (docs/practice-network.md, "Hub"): the competition catalogue, signed join and
 * leave (PROTOCOLS §4, with the §2.9 EOA proof for private inference) and the participants list.
 * It reads hotkeys from the chain (never from the request) and writes session members to the chain
 * with the hub authority key. Its own SQLite: hub-db.ts.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AppError } from '@shared/contract/errors';
import type { RoundInfo } from '@shared/protocol/chain-api';
import { fromHex } from '@shared/protocol/encoding';
import type { HeaderMap } from '@shared/protocol/headers';
import { HUB_ERRORS, joinBodySchema, type CatalogueEntryWire, type CatalogueWire, type HubErrorCode, type JoinResult, type LeaveResult, type ParticipantsResult } from '@shared/protocol/hub-api';
import { ACTION_MAX_BODY_BYTES, DEFAULT_ACTION_PREFIX, joinEoaStatement, verifyEoaJoinProof } from '@shared/protocol/miner-action';
import { ChainClient, ChainRpcError } from '../chain/chain-client';
import { BodyTooLarge, closeServer, jsonServer, listenLoopback, listenLoopbackPreferring, readBody, sendError, sendJson, silentLog, type DevnetLog } from '../common/http';
import { authorityKey } from '../common/keys';
import { SqliteReplayStore } from '../common/replay-store';
import { DEMO_COMPETITIONS, type DemoCompetition } from '../demo/competitions';
import { verifyHubAction, type RegisteredKey } from './action-auth';
import { openHubDb, ParticipantsRepo, type HubDb } from './hub-db';
import { actionRefusal } from '../common/action-refusal';

export interface HubOptions {
  dataDir: string;
  /** The chain, or where to find it now (a chain restarted in another process may have moved). */
  chainUrl: string | (() => string);
  port?: number;
  /** A port to try first (the one a previous run used), else any free port. */
  preferredPort?: number;
  log?: DevnetLog;
  competitions?: readonly DemoCompetition[];
  /** URLs of the router, validator and coordinator when they run (read per request). */
  partyUrls?: () => { router: string | null; validator: string | null; coordinator: string | null };
  /** Unix seconds (tests). */
  nowSeconds?: () => number;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // malformed percent-encoding: no such competition
  }
}

class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An AppError of the §4 verifier → the hub's answer (the words PROTOCOLS §4 uses). */
function actionError(error: unknown): HubError {
  if (error instanceof HubError) return error;
  if (error instanceof AppError && error.code === 'TOO_LARGE') return new HubError('TOO_LARGE', `body larger than ${ACTION_MAX_BODY_BYTES} bytes`);
  const refusal = actionRefusal(error);
  if (!refusal) throw error;
  return new HubError(refusal.code, refusal.message);
}

export class HubNode {
  private readonly db: HubDb;
  private readonly participants: ParticipantsRepo;
  private readonly replay: SqliteReplayStore;
  private chainClient: ChainClient | undefined;
  private readonly log: DevnetLog;
  private readonly competitions: readonly DemoCompetition[];
  private readonly now: () => number;
  private server: Server | undefined;
  url = '';

  constructor(private readonly options: HubOptions) {
    this.db = openHubDb(options.dataDir);
    this.participants = new ParticipantsRepo(this.db);
    this.replay = new SqliteReplayStore(this.db);
    this.log = options.log ?? silentLog;
    this.competitions = options.competitions ?? DEMO_COMPETITIONS;
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The chain client for the chain's current URL (one client per URL, so its nonce queue holds). */
  private get chain(): ChainClient {
    const url = typeof this.options.chainUrl === 'string' ? this.options.chainUrl : this.options.chainUrl();
    if (this.chainClient?.url !== url) this.chainClient = new ChainClient(url);
    return this.chainClient;
  }

  async start(): Promise<string> {
    this.server = jsonServer(
      (req, res) => this.route(req, res),
      (error) => this.log.error('hub request failed', { error: String(error) }),
    );
    this.url = this.options.port ? await listenLoopback(this.server, this.options.port) : await listenLoopbackPreferring(this.server, this.options.preferredPort);
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
    this.db.close();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (path === '/health' && method === 'GET') return sendJson(res, 200, { ok: true, party: 'hub', pid: process.pid });
    if (path === '/v1/competitions' && method === 'GET') return sendJson(res, 200, await this.catalogue());
    const m = /^\/v1\/competitions\/([^/]+)(?:\/(join|leave|participants))?$/.exec(path);
    const competition = m ? this.competitions.find((c) => c.catalogue.id === safeDecode(m[1]!)) : undefined;
    if (!m || !competition) return sendError(res, 404, 'NOT_FOUND', 'No such competition or endpoint.');
    const verb = m[2];
    try {
      if (verb === undefined && method === 'GET') return sendJson(res, 200, await this.entry(competition));
      if (verb === 'participants' && method === 'GET') {
        return sendJson(res, 200, await this.participantsOf(competition));
      }
      if ((verb === 'join' || verb === 'leave') && method === 'POST') {
        return sendJson(res, 200, verb === 'join' ? await this.join(competition, req, path) : await this.leave(competition, req, path));
      }
      return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Method not allowed here.');
    } catch (error) {
      const e = actionError(error);
      if (e.code === 'CHAIN_UNAVAILABLE') this.log.warn('chain unavailable', { message: e.message });
      return sendError(res, HUB_ERRORS[e.code], e.code, e.message);
    }
  }

  // -------------------------------------------------------------------------------------------

  private async catalogue(): Promise<CatalogueWire> {
    return { network: 'practice', competitions: await Promise.all(this.competitions.map((c) => this.entry(c))) };
  }

  private async entry(c: DemoCompetition): Promise<CatalogueEntryWire> {
    const others = this.options.partyUrls?.() ?? { router: null, validator: null, coordinator: null };
    let currentRound: RoundInfo | null = null;
    if (c.chain.round_blocks > 0) {
      try {
        currentRound = await this.chain.call('chain_getRound', { competition_id: c.chain.competition_id }, { timeoutMs: 2000 });
      } catch {
        currentRound = null; // the catalogue still answers while the chain is away
      }
    }
    return {
      ...c.catalogue,
      endpoints: {
        chain: this.chain.url,
        hub: this.url,
        router: c.catalogue.kind === 'private-inference' ? others.router : null,
        validator: c.catalogue.kind === 'checkpoint' ? others.validator : null,
        coordinator: c.catalogue.kind === 'model-runner' ? others.coordinator : null,
      },
      rules: {
        ...c.catalogue.rules,
        current_round: currentRound && { round: currentRound.round, phase: currentRound.phase, block: currentRound.block, blocks_left_in_phase: currentRound.blocks_left_in_phase },
      },
    };
  }

  private async chainCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof HubError) throw error;
      if (error instanceof ChainRpcError) throw new HubError('CHAIN_UNAVAILABLE', `The chain refused: ${error.message}`);
      if (error instanceof AppError && error.code === 'TIMEOUT') throw new HubError('CHAIN_UNAVAILABLE', 'The chain did not seal a block in time; try again shortly.');
      throw new HubError('CHAIN_UNAVAILABLE', 'The chain is not answering; try again shortly.');
    }
  }

  /** Reads the body (413 past the cap) and verifies the signed action against the chain's key. */
  private async authenticate(c: DemoCompetition, req: IncomingMessage, path: string): Promise<{ hotkey: string; coldkey: string | null; body: Uint8Array }> {
    let body: Uint8Array;
    try {
      body = await readBody(req, ACTION_MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) throw new HubError('TOO_LARGE', `body larger than ${ACTION_MAX_BODY_BYTES} bytes`);
      throw error;
    }
    const headers = req.headers as HeaderMap;
    const claimed = req.headers['x-hotkey'];
    let key: RegisteredKey | undefined;
    let coldkey: string | null = null;
    if (typeof claimed === 'string' && claimed.length >= 40 && claimed.length <= 60) {
      const view = await this.chainCall(async () => {
        try {
          return await this.chain.call('chain_getHotkey', { competition_id: c.chain.competition_id, hotkey: claimed }, { timeoutMs: 10_000 });
        } catch (error) {
          if (error instanceof ChainRpcError && error.code === 'VALIDATION') return null; // not an SS58 address: unknown
          throw error;
        }
      });
      if (view?.registered && view.public_key && view.scheme) {
        key = { scheme: view.scheme, publicKey: fromHex(view.public_key, 'public_key', { length: 32 }) };
        coldkey = view.coldkey ?? null;
      }
    }
    const target = { prefix: c.catalogue.rules.action_prefix || DEFAULT_ACTION_PREFIX, netuid: c.catalogue.netuid, slug: c.catalogue.slug, method: 'POST', path, body };
    const hotkey = verifyHubAction(headers, target, key, { nowSeconds: this.now(), replayStore: this.replay, maxBodyBytes: ACTION_MAX_BODY_BYTES });
    return { hotkey, coldkey, body };
  }

  private parseJoinBody(bytes: Uint8Array): { eoa?: string | undefined; eoa_signature?: string | undefined } {
    if (bytes.length === 0) return {};
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      throw new HubError('MALFORMED', 'The body is not JSON.');
    }
    const parsed = joinBodySchema.safeParse(raw);
    if (!parsed.success) throw new HubError('MALFORMED', `The join body is not {eoa?, eoa_signature?}: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}.`);
    return parsed.data;
  }

  private async join(c: DemoCompetition, req: IncomingMessage, path: string): Promise<JoinResult> {
    const { hotkey, coldkey, body } = await this.authenticate(c, req, path);
    const id = c.catalogue.id;
    const parsed = this.parseJoinBody(body);
    let eoa: string | null = null;
    let sessionTx: string | null = null;
    if (c.catalogue.kind === 'private-inference') {
      if (!parsed.eoa || !parsed.eoa_signature) throw new HubError('MALFORMED', 'Joining private inference needs {"eoa","eoa_signature"} (PROTOCOLS §2.9).');
      try {
        verifyEoaJoinProof(parsed, id, hotkey);
      } catch (error) {
        if (error instanceof AppError && error.code === 'SIGNATURE_INVALID') throw new HubError('BAD_EOA_SIGNATURE', `bad eoa signature: the EOA must sign "${joinEoaStatement(id, hotkey)}"`);
        throw new HubError('MALFORMED', error instanceof AppError ? error.message : 'The EOA proof is malformed.');
      }
      eoa = parsed.eoa;
      const sessionId = c.chain.session_id!;
      const hub = authorityKey(this.options.dataDir, 'hub');
      sessionTx = (await this.chainCall(() => this.chain.sendTx('add_session_member', { competition_id: id, session_id: sessionId, eoa: parsed.eoa!, hotkey }, hub))).tx_id;
      await this.settle(sessionTx);
    }
    const existing = this.participants.get(id, hotkey);
    const joinedAt = existing?.joined_at ?? new Date(this.now() * 1000).toISOString();
    // An EOA that changed: the old one leaves the session.
    if (existing?.eoa && eoa && existing.eoa.toLowerCase() !== eoa.toLowerCase()) await this.removeMember(c, existing.eoa);
    this.participants.upsert(id, { hotkey, coldkey, eoa, joined_at: joinedAt });
    this.log.info('joined', { competition: id, hotkey });
    return { competition_id: id, hotkey, joined_at: joinedAt, already_joined: existing !== undefined, eoa, session_tx_id: sessionTx };
  }

  /**
   * Waits (≤ 10 s) until the hub's session transaction is in a block, so that a 200 means the
   * router already sees the change. A failure is the miner's (e.g. the hotkey was deregistered
   * meanwhile → 401 unknown hotkey); a chain that does not seal in time → 503.
   */
  private async settle(txId: string): Promise<void> {
    const status = await this.chainCall(() => this.chain.waitForTx(txId, 10_000));
    if (status.state === 'failed') {
      if (status.error.code === 'UNKNOWN_HOTKEY') throw new HubError('UNKNOWN_HOTKEY', 'unknown hotkey');
      throw new HubError('CHAIN_UNAVAILABLE', `The chain refused the session change: ${status.error.message}`);
    }
  }

  /** The hub's joins whose hotkey is still registered on chain (all of them while the chain is away). */
  private async participantsOf(c: DemoCompetition): Promise<ParticipantsResult> {
    const joined = this.participants.list(c.catalogue.id);
    let registered: Set<string> | null = null;
    try {
      registered = new Set((await this.chain.call('chain_listHotkeys', { competition_id: c.chain.competition_id }, { timeoutMs: 2000 })).hotkeys.map((h) => h.hotkey));
    } catch {
      registered = null;
    }
    return { competition_id: c.catalogue.id, participants: registered ? joined.filter((p) => registered.has(p.hotkey)) : joined };
  }

  private async removeMember(c: DemoCompetition, eoa: string): Promise<string> {
    const hub = authorityKey(this.options.dataDir, 'hub');
    const args = { competition_id: c.chain.competition_id, session_id: c.chain.session_id!, eoa };
    return (await this.chainCall(() => this.chain.sendTx('remove_session_member', args, hub))).tx_id;
  }

  private async leave(c: DemoCompetition, req: IncomingMessage, path: string): Promise<LeaveResult> {
    const { hotkey } = await this.authenticate(c, req, path);
    const id = c.catalogue.id;
    const existing = this.participants.get(id, hotkey);
    let sessionTx: string | null = null;
    if (existing?.eoa && c.catalogue.kind === 'private-inference') {
      sessionTx = await this.removeMember(c, existing.eoa);
      await this.settle(sessionTx);
    }
    let runnersTx: string | null = null;
    if (c.catalogue.kind === 'model-runner') {
      // Coordinators find runners on chain: a runner of a miner who left must not be called (or paid).
      const hub = authorityKey(this.options.dataDir, 'hub');
      runnersTx = (await this.chainCall(() => this.chain.sendTx('remove_runners', { competition_id: c.chain.competition_id, payout_hotkey: hotkey }, hub))).tx_id;
      await this.settle(runnersTx);
    }
    const was = this.participants.remove(id, hotkey);
    this.log.info('left', { competition: id, hotkey });
    return { competition_id: id, hotkey, was_participant: was, session_tx_id: sessionTx, runners_tx_id: runnersTx };
  }
}
