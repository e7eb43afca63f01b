/**
 * The practice coordinator (docs/practice-network.md, "Coordinator and certificate service"):
 * the network's certificate service (PROTOCOLS §5) and the coordinator's own SMP identity on chain.
 *
 * At start it opens its CA and SQLite, sets itself as the competition's coordinator on chain
 * (`set_coordinator`, coordinator authority) when the chain does not already say so, and makes sure
 * its client certificate is current and pinned (`rotate_coordinator_cert`: the new hash becomes
 * primary, the previous primary secondary).
 *
 * HTTP (127.0.0.1 only):
 *   GET  /health
 *   GET  /v1/coordinator                                      competition, wallet, hotkey, cert hash
 *   GET  /v1/security-credentials/tls/authority-certificate    {"authorityCertificatePemString"}
 *   POST /v1/security-credentials/tls/issue-certificate        §5 body + x-smp-* signature headers
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromBase58, fromBase64 } from '@shared/protocol/encoding';
import { runnerDnsName, CERT_REQUEST_HEADERS, CERT_REQUEST_MAX_SKEW_S, CERT_REQUEST_PATH, certificateRequestSigningBytes, type IssueCertificateAnswer } from '@shared/protocol/smp.proto';
import { ChainClient, ChainRpcError } from '../chain/chain-client';
import { BodyTooLarge, closeServer, jsonServer, listenLoopback, listenLoopbackPreferring, readBody, sendError, sendJson, silentLog, type DevnetLog } from '../common/http';
import { authorityKey } from '../common/keys';
import { DEMO_COMPETITIONS } from '../demo/competitions';
import { SqliteReplayStore } from '../common/replay-store';
import { CertificateAuthority, PublicKeyRefused, rsa2048Spki } from './ca';
import { CoordinatorRepo, openCoordinatorDb, type CoordinatorDb } from './coordinator-db';
import { CoordinatorIdentity, type ClientCredentials } from './identity';
import { demoSeries, runScoredRound, type ScoredRound } from './rounds';
import { RunnerClient } from './runner-client';

export const COORDINATOR_COMPETITION = 'practice-runner';

/** A runner to call: where, which model, and how (the chain's `transport`; absent = mutual TLS). */
export interface RunnerTarget {
  address: string;
  modelId: string;
  transport?: 'mtls' | 'gateway';
}
export const PRACTICE_DOMAIN = 'practice.local';
const MAX_BODY_BYTES = 16 * 1024;
const MODEL_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CoordinatorOptions {
  dataDir: string;
  /** The chain, or where to find it now. */
  chainUrl: string | (() => string);
  port?: number;
  preferredPort?: number;
  log?: DevnetLog;
  competitionId?: string;
  domain?: string;
  /** Validity of the coordinator's client certificate (default 30 days), renewed under `renewBeforeDays` (default 7). */
  clientCertDays?: number;
  renewBeforeDays?: number;
  /** Longest runner certificate (default 90 days). */
  maxDaysValid?: number;
  /** Unix seconds (tests). */
  nowSeconds?: () => number;
}

/** Error codes of the certificate service (`{"error":{"code","message"}}`). */
export type CertServiceErrorCode = 'MALFORMED' | 'BAD_KEY' | 'BAD_SAN' | 'TOO_LARGE' | 'UNAUTHENTICATED' | 'STALE_SIGNATURE' | 'UNKNOWN_RUNNER' | 'WRONG_WALLET' | 'BAD_SIGNATURE' | 'REPLAYED' | 'CHAIN_UNAVAILABLE';

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: CertServiceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class CoordinatorNode {
  readonly competitionId: string;
  readonly domain: string;
  readonly identity: CoordinatorIdentity;
  readonly repo: CoordinatorRepo;
  private readonly db: CoordinatorDb;
  private readonly replay: SqliteReplayStore;
  private readonly log: DevnetLog;
  private readonly now: () => number;
  private ca: CertificateAuthority | undefined;
  private chainClient: ChainClient | undefined;
  private server: Server | undefined;
  private roundTimer: NodeJS.Timeout | undefined;
  private roundInFlight: Promise<void> | undefined;
  private roundsOn = false;
  private credentials: ClientCredentials | undefined;
  url = '';

  constructor(private readonly options: CoordinatorOptions) {
    this.competitionId = options.competitionId ?? COORDINATOR_COMPETITION;
    this.domain = options.domain ?? PRACTICE_DOMAIN;
    this.db = openCoordinatorDb(options.dataDir);
    this.repo = new CoordinatorRepo(this.db);
    this.replay = new SqliteReplayStore(this.db);
    this.identity = new CoordinatorIdentity(options.dataDir);
    this.log = options.log ?? silentLog;
    this.now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  get chain(): ChainClient {
    const url = typeof this.options.chainUrl === 'string' ? this.options.chainUrl : this.options.chainUrl();
    if (this.chainClient?.url !== url) this.chainClient = new ChainClient(url);
    return this.chainClient;
  }

  get authority(): CertificateAuthority {
    if (!this.ca) throw new Error('The coordinator is not started.');
    return this.ca;
  }

  /** The coordinator's TLS client key and certificate (current, pinned on chain). */
  get clientCredentials(): ClientCredentials {
    if (!this.credentials) throw new Error('The coordinator is not started.');
    return this.credentials;
  }

  async start(): Promise<string> {
    this.ca = await CertificateAuthority.open(this.options.dataDir);
    await this.registerOnChain();
    this.server = jsonServer(
      (req, res) => this.route(req, res),
      (error) => this.log.error('coordinator request failed', { error: String(error) }),
    );
    this.url = this.options.port ? await listenLoopback(this.server, this.options.port) : await listenLoopbackPreferring(this.server, this.options.preferredPort);
    return this.url;
  }

  async stop(): Promise<void> {
    await this.stopRounds();
    if (this.server) await closeServer(this.server);
    this.db.close();
  }

  /** `set_coordinator` when the chain's wallet/hotkey differ; a fresh, pinned client certificate. */
  private async registerOnChain(): Promise<void> {
    const signer = authorityKey(this.options.dataDir, 'coordinator');
    let view = (await this.chain.call('chain_getCoordinator', { competition_id: this.competitionId })).coordinator;
    if (view?.wallet_b58 !== this.identity.walletB58 || view.smp_hotkey_b58 !== this.identity.hotkeyB58) {
      const { tx_id } = await this.chain.sendTx('set_coordinator', { competition_id: this.competitionId, wallet_b58: this.identity.walletB58, smp_hotkey_b58: this.identity.hotkeyB58 }, signer);
      await this.expectIncluded(tx_id, 'set_coordinator');
      view = (await this.chain.call('chain_getCoordinator', { competition_id: this.competitionId })).coordinator;
    }
    let creds = this.identity.current();
    const renewMs = (this.options.renewBeforeDays ?? 7) * 86_400_000;
    if (!creds || creds.notAfter.getTime() - this.now() * 1000 < renewMs) {
      creds = await this.identity.issueClientCertificate(this.authority, this.options.clientCertDays ?? 30, new Date(this.now() * 1000));
      this.recordClientCert(creds);
    }
    if (view?.cert_hashes[0] !== creds.certHash) await this.pinOnChain(creds.certHash);
    this.credentials = creds;
    this.log.info('coordinator identity on chain', { competition: this.competitionId, wallet: this.identity.walletB58, hotkey: this.identity.hotkeyB58, cert_hash: creds.certHash });
  }

  /** A new client key and certificate, pinned as primary (the previous one stays valid as secondary). */
  async rotateClientCertificate(): Promise<ClientCredentials> {
    const creds = await this.identity.issueClientCertificate(this.authority, this.options.clientCertDays ?? 30, new Date(this.now() * 1000));
    this.recordClientCert(creds);
    await this.pinOnChain(creds.certHash);
    this.credentials = creds;
    return creds;
  }

  /**
   * A gRPC client of the runner of `modelId` at `address` with this coordinator's current client
   * certificate; `v1` (default true) sends the signed `x-auth-*` metadata. Every call is logged and
   * recorded in `runner_calls` (model id, method, verdict, duration).
   */
  connectRunner(target: RunnerTarget & { v1?: boolean; chainCacheMs?: number }): RunnerClient {
    const creds = this.clientCredentials;
    return new RunnerClient({
      address: target.address,
      competitionId: this.competitionId,
      modelId: target.modelId,
      domain: this.domain,
      caPem: this.authority.certificatePem,
      clientKeyPem: creds.keyPem,
      clientCertPem: creds.certPem,
      chain: this.chain,
      // Gateway mode: the same RSA key as the client certificate (its hash is pinned on chain), as the public client's GatewayCredentials.from_files does.
      ...(target.transport === 'gateway' ? { gateway: { keyPem: creds.keyPem } } : target.v1 === false ? {} : { v1: this.identity.v1Container(creds.certPem) }),
      ...(target.chainCacheMs === undefined ? {} : { chainCacheMs: target.chainCacheMs }),
      onCall: ({ modelId, method, verdict, durationMs }) => {
        this.repo.recordCall(modelId, method, verdict, durationMs);
        const fields = { model_id: modelId, method, verdict, ms: Math.round(durationMs) };
        if (verdict === 'ok') this.log.info('runner call', fields);
        else this.log.warn('runner call refused', fields);
      },
    });
  }

  /**
   * One round on each runner: the next `ticks` values of the demo series, Setup with the
   * competition's class, tick and predict per value, scored and recorded in `runner_scores`.
   */
  async runRound(targets: readonly RunnerTarget[], options: { ticks?: number; className?: string; chainCacheMs?: number } = {}): Promise<{ round: number; epoch: number; results: Record<string, ScoredRound> }> {
    const round = this.repo.nextRound();
    const epoch = (await this.chain.call('chain_getEpoch', { competition_id: this.competitionId })).epoch;
    const ticks = options.ticks ?? 8;
    const series = demoSeries(round * ticks, ticks);
    const results: Record<string, ScoredRound> = {};
    for (const target of targets) {
      const client = this.connectRunner({ ...target, ...(options.chainCacheMs === undefined ? {} : { chainCacheMs: options.chainCacheMs }) });
      try {
        const result = await runScoredRound(client, options.className ?? this.className, series);
        this.repo.recordScore(round, epoch, target.modelId, result.score, result.verdict);
        this.log.info('round scored', { round, model_id: target.modelId, score: result.score, verdict: result.verdict, transport: target.transport ?? 'mtls' });
        results[target.modelId] = result;
      } finally {
        client.close();
      }
    }
    return { round, epoch, results };
  }

  /**
   * The runners of this competition on chain (`chain_listRunners`) that name an address, and the
   * payout hotkey of each model: what rounds call and whom epochs pay.
   */
  async discoverRunners(): Promise<{ targets: RunnerTarget[]; payees: Record<string, string> }> {
    const runners = (await this.chain.call('chain_listRunners', { competition_id: this.competitionId })).runners;
    const targets: RunnerTarget[] = [];
    const payees: Record<string, string> = {};
    for (const r of runners) {
      if (r.address !== '') targets.push({ address: r.address, modelId: r.model_id, transport: r.transport === 'gateway' ? 'gateway' : 'mtls' });
      if (r.payout_hotkey !== '') payees[r.model_id] = r.payout_hotkey;
    }
    return { targets, payees };
  }

  /**
   * Runs a round every `intervalMs` (after the previous one ends) on the runners `targets()` names
   * at that moment — by default the runners registered on chain with their address (discovered
   * again before every round) — and then pays the ended epochs to `payees()`, by default each
   * runner's payout hotkey on chain. A failing round is logged and the next one still runs.
   * `stopRounds()` (and `stop()`) waits for the round in flight.
   */
  startRounds(options: { intervalMs: number; targets?: () => readonly RunnerTarget[]; ticks?: number; payees?: () => Readonly<Record<string, string>> }): void {
    if (this.roundsOn) return;
    this.roundsOn = true;
    const schedule = (): void => {
      if (!this.roundsOn) return;
      this.roundTimer = setTimeout(() => {
        this.roundInFlight = (async () => {
          const found = options.targets && options.payees ? undefined : await this.discoverRunners();
          const targets = options.targets ? options.targets() : found!.targets;
          if (targets.length > 0) await this.runRound(targets, options.ticks === undefined ? {} : { ticks: options.ticks });
          return options.payees ? options.payees() : found!.payees;
        })()
          .then(async (payees) => {
            await this.payFinishedEpochs(payees);
          })
          .then(
            () => undefined,
            (error: unknown) => this.log.error('round failed', { error: String(error) }),
          )
          .finally(() => {
            this.roundInFlight = undefined;
            schedule();
          });
      }, options.intervalMs);
    };
    schedule();
  }

  /** Pays every epoch with scored rounds that has ended on chain and is not paid yet; returns the epochs paid. */
  async payFinishedEpochs(payees: Readonly<Record<string, string>>): Promise<number[]> {
    const now = await this.chain.call('chain_getEpoch', { competition_id: this.competitionId });
    const paid: number[] = [];
    for (const epoch of this.repo.scoredEpochs()) {
      if (epoch >= now.epoch) continue;
      const info = await this.chain.call('chain_getEpoch', { competition_id: this.competitionId, block: epoch * now.epoch_blocks });
      if (info.paid_block !== null) continue;
      if ((await this.payEpoch(epoch, payees)).length > 0) paid.push(epoch);
    }
    return paid;
  }

  async stopRounds(): Promise<void> {
    this.roundsOn = false;
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.roundTimer = undefined;
    await this.roundInFlight;
  }

  /**
   * Pays a chain epoch: the competition's emission split in proportion to each model's summed round
   * scores in that epoch (floored to base units), as one `emit_rewards` signed by the coordinator
   * authority, to the hotkey given for each model (`payees`: model id → registered SS58 hotkey; the
   * chain pays its coldkey). Models without a payee or with a zero total are left out.
   */
  async payEpoch(epoch: number, payees: Readonly<Record<string, string>>): Promise<{ hotkey: string; amount: string; model_id: string }[]> {
    const competition = (await this.chain.call('chain_listCompetitions', {})).competitions.find((c) => c.competition_id === this.competitionId);
    if (!competition) throw new Error(`The chain has no competition ${this.competitionId}.`);
    const totals = [...this.repo.epochScores(epoch)].filter(([model, total]) => payees[model] !== undefined && total > 0);
    const sum = totals.reduce((a, [, t]) => a + t, 0);
    const emission = BigInt(competition.emission_per_epoch);
    const scale = 1_000_000_000n;
    const payouts = totals
      .map(([model, total]) => ({ model_id: model, hotkey: payees[model]!, amount: ((emission * BigInt(Math.floor((total / sum) * Number(scale)))) / scale).toString() }))
      .filter((p) => p.amount !== '0');
    if (payouts.length === 0) return [];
    const { tx_id } = await this.chain.sendTx('emit_rewards', { competition_id: this.competitionId, epoch, payouts: payouts.map(({ hotkey, amount }) => ({ hotkey, amount })) }, authorityKey(this.options.dataDir, 'coordinator'));
    await this.expectIncluded(tx_id, 'emit_rewards');
    this.log.info('epoch paid', { epoch, payouts: payouts.map((p) => ({ model_id: p.model_id, amount: p.amount })) });
    return payouts;
  }

  /** The base class the competition declares (catalogue `rules.class_name`). */
  get className(): string {
    return DEMO_COMPETITIONS.find((c) => c.chain.competition_id === this.competitionId)?.catalogue.rules.class_name ?? 'TrackerBase';
  }

  private recordClientCert(creds: ClientCredentials): void {
    this.repo.recordIssued({ serial: `client-${creds.certHash.slice(0, 16)}-${Date.now()}`, usage: 'client', model_id: null, wallet_b58: this.identity.walletB58, san_dns: '', spki_sha256: creds.certHash, not_after: creds.notAfter.toISOString(), issued_at: new Date().toISOString() });
  }

  private async pinOnChain(certHash: string): Promise<void> {
    const { tx_id } = await this.chain.sendTx('rotate_coordinator_cert', { competition_id: this.competitionId, cert_hash: certHash }, authorityKey(this.options.dataDir, 'coordinator'));
    await this.expectIncluded(tx_id, 'rotate_coordinator_cert');
  }

  private async expectIncluded(txId: string, kind: string): Promise<void> {
    const status = await this.chain.waitForTx(txId);
    if (status.state !== 'included') throw new Error(`${kind} failed on chain: ${status.error.code} ${status.error.message}`);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (path === '/health' && method === 'GET') return sendJson(res, 200, { ok: true, party: 'coordinator', pid: process.pid });
    if (path === '/v1/coordinator' && method === 'GET')
      return sendJson(res, 200, { competition_id: this.competitionId, domain: this.domain, wallet_b58: this.identity.walletB58, smp_hotkey_b58: this.identity.hotkeyB58, cert_hash: this.clientCredentials.certHash });
    if (path === '/v1/security-credentials/tls/authority-certificate' && method === 'GET') return sendJson(res, 200, { authorityCertificatePemString: this.authority.certificatePem });
    if (path === CERT_REQUEST_PATH) {
      if (method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use POST.');
      try {
        return sendJson(res, 200, await this.issueRunnerCertificate(req));
      } catch (error) {
        if (error instanceof BodyTooLarge) return sendError(res, 413, 'TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
        if (!(error instanceof Refusal)) throw error;
        this.log.warn('certificate request refused', { code: error.code });
        return sendError(res, error.status, error.code, error.message);
      }
    }
    return sendError(res, 404, 'NOT_FOUND', 'No such path.');
  }

  /** §5 issue-certificate for a runner; see CERT_REQUEST_HEADERS for the signature. */
  private async issueRunnerCertificate(req: IncomingMessage): Promise<IssueCertificateAnswer> {
    const raw = await readBody(req, MAX_BODY_BYTES);
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      throw new Refusal(400, 'MALFORMED', 'The body is not a JSON object.');
    }
    const { tlsPublicKeyPemString: keyPem, commonName, isClient, isServer, sanDns, daysValid } = body;
    const allowed = new Set(['tlsPublicKeyPemString', 'commonName', 'isClient', 'isServer', 'sanDns', 'daysValid']);
    if (Object.keys(body).some((k) => !allowed.has(k))) throw new Refusal(400, 'MALFORMED', 'Unknown field in the body.');
    if (typeof keyPem !== 'string' || typeof commonName !== 'string' || typeof isClient !== 'boolean' || typeof isServer !== 'boolean') throw new Refusal(400, 'MALFORMED', 'tlsPublicKeyPemString, commonName (strings), isClient, isServer (booleans) are required.');
    const maxDays = this.options.maxDaysValid ?? 90;
    if (typeof daysValid !== 'number' || !Number.isInteger(daysValid) || daysValid < 1 || daysValid > maxDays) throw new Refusal(400, 'MALFORMED', `daysValid is a whole number from 1 to ${maxDays}.`);
    if (!isServer || isClient) throw new Refusal(400, 'MALFORMED', 'The service issues runner certificates only: isServer true, isClient false.');
    const names = typeof sanDns === 'string' ? [sanDns] : sanDns;
    if (!Array.isArray(names) || names.length !== 1 || typeof names[0] !== 'string') throw new Refusal(400, 'BAD_SAN', 'sanDns names exactly one DNS name.');
    const san = names[0];
    const suffix = `.${this.domain}`;
    const modelId = san.startsWith('model-node-') && san.endsWith(suffix) ? san.slice('model-node-'.length, -suffix.length) : '';
    if (!MODEL_ID.test(modelId) || san !== runnerDnsName(modelId, this.domain)) throw new Refusal(400, 'BAD_SAN', `sanDns must be model-node-<model_id>.${this.domain}.`);
    if (commonName !== san) throw new Refusal(400, 'MALFORMED', 'commonName must equal the SAN DNS name.');
    let spki: Uint8Array;
    try {
      spki = rsa2048Spki(keyPem);
    } catch (error) {
      if (error instanceof PublicKeyRefused) throw new Refusal(400, 'BAD_KEY', error.message);
      throw error;
    }

    // Who asks: the wallet registered on chain for this model, and no one else.
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const walletB58 = header(CERT_REQUEST_HEADERS.wallet);
    const timestampText = header(CERT_REQUEST_HEADERS.timestamp);
    const signatureB64 = header(CERT_REQUEST_HEADERS.signature);
    if (walletB58 === undefined || timestampText === undefined || signatureB64 === undefined) throw new Refusal(401, 'UNAUTHENTICATED', 'x-smp-wallet-pubkey, x-smp-timestamp and x-smp-signature are required.');
    if (!/^(0|[1-9][0-9]{0,11})$/.test(timestampText)) throw new Refusal(401, 'UNAUTHENTICATED', 'x-smp-timestamp is unix seconds.');
    const timestamp = Number(timestampText);
    if (Math.abs(this.now() - timestamp) > CERT_REQUEST_MAX_SKEW_S) throw new Refusal(401, 'STALE_SIGNATURE', 'stale signature');
    let runner;
    try {
      runner = (await this.chain.call('chain_getRunner', { competition_id: this.competitionId, model_id: modelId })).runner;
    } catch (error) {
      if (error instanceof ChainRpcError) throw error;
      throw new Refusal(503, 'CHAIN_UNAVAILABLE', 'The chain is not answering.');
    }
    if (!runner) throw new Refusal(403, 'UNKNOWN_RUNNER', `No runner is registered on chain for model ${modelId}.`);
    if (walletB58 !== runner.wallet_b58) throw new Refusal(403, 'WRONG_WALLET', 'The wallet is not the runner wallet on chain for this model.');
    let verified = false;
    try {
      const signature = fromBase64(signatureB64, 'x-smp-signature');
      const key = fromBase58(runner.wallet_b58, 'wallet', { length: 32 });
      const bytes = certificateRequestSigningBytes(this.competitionId, modelId, timestamp, createHash('sha256').update(raw).digest('hex'));
      verified = signature.length === 64 && ed25519.verify(signature, bytes, key, { zip215: false });
    } catch {
      verified = false;
    }
    if (!verified) throw new Refusal(401, 'BAD_SIGNATURE', 'bad signature');
    if (!this.replay.checkAndRecord(`cert:${signatureB64}`, this.now(), 2 * CERT_REQUEST_MAX_SKEW_S)) throw new Refusal(409, 'REPLAYED', 'This signed request was already used.');

    const issued = await this.authority.issue({ spki, commonName: san, usage: 'server', sanDns: [san], daysValid }, new Date(this.now() * 1000));
    this.repo.recordIssued({
      serial: issued.serial,
      usage: 'server',
      model_id: modelId,
      wallet_b58: runner.wallet_b58,
      san_dns: san,
      spki_sha256: createHash('sha256').update(spki).digest('hex'),
      not_after: issued.notAfter.toISOString(),
      issued_at: new Date().toISOString(),
    });
    this.log.info('runner certificate issued', { model_id: modelId, serial: issued.serial, not_after: issued.notAfter.toISOString() });
    return { authorityCertificatePemString: this.authority.certificatePem, tlsCertificatePemString: issued.pem };
  }
}

