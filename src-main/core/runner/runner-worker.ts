/**
 * One model runner for one joined model-runner competition (PROTOCOLS §5, docs/runner.md):
 * enrolment as a persisted step list — TLS key (RSA-2048, sealed by the vault), the runner wallet,
 * SMP hotkey, address and payout hotkey on chain, a certificate from the network's certificate
 * service, the runner message signed by the runner wallet — then the mTLS gRPC server forwarding
 * Setup/Call/Rest to the competition's model container. Every coordinator call is authenticated
 * with the chain's facts (refreshed at least every `chainRefreshMs`). Renewal before expiry.
 */
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { AppError, isAppError } from '@shared/contract/errors';
import type { RunnerAuthPolicy, RunnerState, RunnerView } from '@shared/contract/runner';
import { toBase64 } from '@shared/protocol/encoding';
import { pemToDer } from '@shared/protocol/x509';
import { certPub, certificateHash, smpMessageBytes, smpMetadata, type SmpContainer } from '@shared/protocol/smp';
import { CERT_REQUEST_HEADERS, CERT_REQUEST_PATH, certificateRequestSigningBytes, classNameForm, runnerDnsName, type IssueCertificateBody } from '@shared/protocol/smp.proto';
import type { ScopedLogger } from '../log/logger';
import { httpError, httpJson } from '../network/http';
import type { RunnerKeys } from '../vault/capabilities';
import { authenticateCoordinator, describeReason, type CoordinatorFacts } from './auth';
import type { RunnerChain } from './runner-chain';
import { freshSteps, STEP_LABELS, STEP_ORDER, type EnrolmentRow, type RunnerRepo, type StepRow } from './runner.repo';
import { SmpServer, type SmpCallRecord, type SmpModel } from './smp-server';

export interface RunnerConfig {
  /** Chain facts are read again at least this often (§5: at most 300 s). */
  chainRefreshMs: number;
  /** Validity asked of the certificate service. */
  certDays: number;
  /** Renew once less than this share of the validity is left. */
  renewFraction: number;
  /** How often renewal and the chain registration are checked. */
  checkMs: number;
  /** Retry delay after a failed step. */
  retryMs: number;
}

export interface RunnerWorkerDeps {
  networkId: string;
  networkKind: 'practice' | 'custom';
  competitionId: string;
  modelId: string;
  className: string;
  networkDomain: string;
  /** The certificate service (the coordinator's URL from the catalogue), null until it runs. */
  certServiceUrl: () => Promise<string | null>;
  /** SS58 of the miner's hotkey registered in the competition (paid for the runner's scores). */
  payoutHotkey: string;
  chain: RunnerChain;
  repo: RunnerRepo;
  /** The runner's keys only (never the vault), and whether the wallet is unlocked. */
  vault: RunnerKeys & { isUnlocked(): boolean };
  log: ScopedLogger;
  now: () => Date;
  config: RunnerConfig;
  /** The competition's model (started on demand). */
  model: SmpModel & { ensure(): Promise<void> };
  onChange: () => void;
  onCall: (competitionId: string, record: SmpCallRecord) => void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const KEY_LABEL = (networkId: string, competitionId: string): string => `runner-tls-key:${networkId}:${competitionId}`;

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class RunnerWorker {
  private row: EnrolmentRow;
  private state: RunnerState = 'enrolling';
  private detail = 'Starting.';
  /** The TLS private key (PEM) in memory only, opened from the vault-sealed copy. */
  private keyPem: string | undefined;
  private container: SmpContainer | undefined;
  private server: SmpServer | undefined;
  private facts: { at: number; value: CoordinatorFacts | null } | undefined;
  private refreshing: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastPrediction: { id: number; value: number } | null = null;
  private ticks = 0;

  constructor(private readonly d: RunnerWorkerDeps) {
    const existing = d.repo.get(d.networkId, d.competitionId);
    this.row = existing ?? {
      networkId: d.networkId,
      competitionId: d.competitionId,
      modelId: d.modelId,
      steps: freshSteps(),
      policy: 'either',
      listenHost: '127.0.0.1',
      listenPort: null,
      beyondLoopback: false,
      tlsKeySealed: null,
      tlsSpkiSha256: null,
      certPem: null,
      caPem: null,
      certNotBefore: null,
      certNotAfter: null,
      smpHotkey: null,
      smpIndex: null,
      registeredAddress: null,
      messageJson: null,
      errorCode: null,
      errorMessage: null,
      updatedAt: d.now().toISOString(),
    };
    if (this.row.modelId !== d.modelId) {
      // The catalogue moved to another model id: enrol again (the key stays).
      this.row.modelId = d.modelId;
      this.row.steps = freshSteps();
      this.row.certPem = null;
      this.row.messageJson = null;
    }
    // Steps that were running when the app stopped run again; the listen step always does, and so
    // does the chain step (it sends nothing when the chain already names this runner, but after a
    // leave and a new join the hub has taken the runner off the chain).
    for (const s of this.row.steps) if (s.state === 'running' || s.id === 'listen' || s.id === 'chain') s.state = 'pending';
    if (this.row.messageJson) this.container = JSON.parse(this.row.messageJson) as SmpContainer;
    this.save();
  }

  get competitionId(): string {
    return this.d.competitionId;
  }

  start(): void {
    void this.kick();
    this.timer = setInterval(() => this.periodic(), this.d.config.checkMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.queue.catch(() => undefined);
    await this.server?.stop();
    this.server = undefined;
    this.keyPem = undefined;
    this.state = 'stopped';
  }

  /** Runs the enrolment steps that are not done (one pass at a time). */
  kick(): Promise<void> {
    const next = this.queue.then(() => this.advance());
    this.queue = next.catch(() => undefined);
    return next;
  }

  vaultUnlocked(): void {
    if (this.state === 'paused-locked' || this.state === 'failed') void this.kick();
  }

  // ---- the view ----

  view(stats: RunnerView['calls'], predictions: RunnerView['predictions']): RunnerView {
    const r = this.row;
    let certificate: RunnerView['certificate'] = null;
    if (r.certPem && r.certNotBefore && r.certNotAfter) {
      certificate = { san: runnerDnsName(r.modelId, this.d.networkDomain), notBefore: r.certNotBefore, notAfter: r.certNotAfter, sha256: sha256Hex(pemToDer(r.certPem)), renewAt: this.renewAt().toISOString() };
    }
    // Before the first unlock of a session the vault knows no addresses: the signed message names the wallet.
    const wallet = this.identity('runner-wallet')?.address ?? this.container?.wallet_pubkey_b58 ?? null;
    return {
      competitionId: r.competitionId,
      modelId: r.modelId,
      className: this.d.className,
      classNameForm: classNameForm(this.d.className),
      networkDomain: this.d.networkDomain,
      state: this.state,
      detail: this.detail,
      steps: STEP_ORDER.map((id) => {
        const s = r.steps.find((x) => x.id === id) ?? { id, state: 'pending' as const, detail: null };
        return { id, label: STEP_LABELS[id], state: s.state, detail: s.detail };
      }),
      listen: { host: r.listenHost, port: this.server?.port ?? r.listenPort, beyondLoopback: r.beyondLoopback },
      policy: r.policy,
      certificate,
      wallet,
      smpHotkey: r.smpHotkey !== null && r.smpIndex !== null ? { address: r.smpHotkey, index: r.smpIndex } : null,
      calls: stats,
      predictions,
      error: r.errorCode && r.errorMessage ? { code: r.errorCode, message: r.errorMessage } : null,
    };
  }

  get running(): boolean {
    return this.state === 'serving';
  }

  get stateDetail(): { state: RunnerState; detail: string } {
    return { state: this.state, detail: this.detail };
  }

  // ---- settings ----

  setPolicy(policy: RunnerAuthPolicy): void {
    this.row.policy = policy;
    this.save();
    this.d.log.info('runner policy changed', { competition: this.d.competitionId, policy });
  }

  async setListen(host: string, port: number | undefined, acknowledgeRisk: boolean): Promise<void> {
    const loopback = LOOPBACK.has(host);
    if (!loopback) {
      if (this.d.networkKind === 'practice') throw new AppError('FORBIDDEN', 'On the practice network the runner listens on 127.0.0.1 only: its coordinator runs on this computer.');
      if (!acknowledgeRisk) throw new AppError('VALIDATION', 'Listening beyond this computer exposes the runner to the network. Confirm that you accept the risk to continue.');
      if (host === '0.0.0.0' || host === '::') throw new AppError('VALIDATION', 'Name the address coordinators reach you at (an IP address of this computer), not a wildcard.');
    }
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) throw new AppError('VALIDATION', 'The host is not an address or a name.');
    this.row.listenHost = host === 'localhost' ? '127.0.0.1' : host;
    this.row.listenPort = port ?? null;
    this.row.beyondLoopback = !loopback;
    this.row.registeredAddress = null;
    this.resetSteps(['chain', 'listen']);
    this.d.log.info('runner listen address changed', { competition: this.d.competitionId, host: this.row.listenHost, port: port ?? null, beyond_loopback: !loopback });
    await this.kick();
  }

  async renewCertificate(): Promise<void> {
    this.requireUnlocked('renew the certificate');
    this.row.certPem = null;
    this.resetSteps(['certificate', 'message', 'listen']);
    await this.kick();
    if (this.row.errorMessage && this.state === 'failed') throw new AppError((this.row.errorCode as never) ?? 'UNAVAILABLE', this.row.errorMessage);
  }

  /**
   * Moves to the next SMP hotkey: the vault derives it, the chain learns it, the message is signed
   * again. The server keeps serving: calls in flight finish with the old message, the next call
   * carries the new one.
   */
  async rotateHotkey(): Promise<void> {
    this.requireUnlocked('rotate the SMP hotkey');
    await this.d.vault.rotateSmpHotkey();
    await this.hotkeyRotated();
  }

  /** The vault's SMP hotkey changed (here or on the Wallet page): register it and sign again. */
  async hotkeyRotated(): Promise<void> {
    this.resetSteps(['chain', 'message']);
    await this.kick();
  }

  /** A runner deployed elsewhere (a TEE) answers for this model: the chain names its address. */
  async registerRemote(address: string): Promise<void> {
    this.requireUnlocked('register the runner');
    this.row.registeredAddress = address;
    this.resetSteps(['chain']);
    await this.kick();
    if (this.state === 'failed' && this.row.errorMessage) throw new AppError('UNAVAILABLE', this.row.errorMessage);
  }

  /** Reads the chain's facts now (tests, and after a refusal the miner wants to retry). */
  async refreshChainFacts(): Promise<void> {
    this.facts = undefined;
    await this.loadFacts();
  }

  // ---- enrolment ----

  private requireUnlocked(what: string): void {
    if (!this.d.vault.isUnlocked()) throw new AppError('VAULT_LOCKED', `Unlock your wallet to ${what}.`);
  }

  private resetSteps(ids: StepRow['id'][]): void {
    for (const s of this.row.steps) if (ids.includes(s.id)) s.state = 'pending';
    this.save();
  }

  private step(id: StepRow['id']): StepRow {
    return this.row.steps.find((s) => s.id === id)!;
  }

  private save(): void {
    this.row.updatedAt = this.d.now().toISOString();
    this.d.repo.save(this.row);
    this.d.onChange();
  }

  private setState(state: RunnerState, detail: string): void {
    this.state = state;
    this.detail = detail;
    this.d.onChange();
  }

  private async advance(): Promise<void> {
    if (this.stopped) return;
    for (const id of STEP_ORDER) {
      const step = this.step(id);
      if (step.state === 'done' && !(id === 'tls-key' && !this.keyPem)) continue;
      if (this.stopped) return;
      step.state = 'running';
      step.detail = null;
      if (this.state !== 'serving') this.setState('enrolling', STEP_LABELS[id]);
      this.save();
      try {
        step.detail = await this.run(id);
        step.state = 'done';
        this.row.errorCode = null;
        this.row.errorMessage = null;
        this.save();
      } catch (error) {
        const locked = isAppError(error) && error.code === 'VAULT_LOCKED';
        step.state = locked ? 'pending' : 'failed';
        const message = isAppError(error) ? error.message : 'An unexpected error stopped the runner.';
        step.detail = locked ? 'Waiting for your wallet to be unlocked.' : message;
        this.row.errorCode = locked ? null : isAppError(error) ? error.code : 'INTERNAL';
        this.row.errorMessage = locked ? null : message;
        this.save();
        if (locked) {
          if (this.state !== 'serving') this.setState('paused-locked', 'Unlock your wallet: the runner needs it to sign.');
        } else {
          if (!isAppError(error)) this.d.log.error('runner step failed', { competition: this.d.competitionId, step: id, error });
          else this.d.log.warn('runner step failed', { competition: this.d.competitionId, step: id, code: error.code, message });
          if (this.state !== 'serving') this.setState('failed', `${message} It is tried again shortly.`);
          this.retryLater();
        }
        return;
      }
    }
    const elsewhere = this.row.registeredAddress;
    this.setState(
      'serving',
      elsewhere
        ? `Standing by on ${this.advertised()}: the chain sends coordinators to your TEE-hosted runner at ${elsewhere}. Change the listening address to serve from this computer again.`
        : `Serving ${runnerDnsName(this.row.modelId, this.d.networkDomain)} on ${this.advertised()}.`,
    );
  }

  private retryTimer: NodeJS.Timeout | undefined;
  private retryLater(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.kick();
    }, this.d.config.retryMs);
    this.retryTimer.unref?.();
  }

  private advertised(): string {
    const host = this.row.listenHost.includes(':') ? `[${this.row.listenHost}]` : this.row.listenHost;
    return `${host}:${this.row.listenPort ?? 0}`;
  }

  private async run(id: StepRow['id']): Promise<string> {
    switch (id) {
      case 'tls-key':
        return this.tlsKey();
      case 'chain':
        return this.registerOnChain();
      case 'certificate':
        return this.certificate();
      case 'message':
        return this.message();
      case 'listen':
        return this.listen();
    }
  }

  private tlsKey(): string {
    if (this.row.tlsKeySealed && this.keyPem) return `Key ${this.row.tlsSpkiSha256?.slice(0, 16)}…`;
    this.requireUnlocked('open the runner’s TLS key');
    const label = KEY_LABEL(this.row.networkId, this.row.competitionId);
    if (this.row.tlsKeySealed) {
      try {
        this.keyPem = new TextDecoder().decode(this.d.vault.open(label, this.row.tlsKeySealed));
        return `Key ${this.row.tlsSpkiSha256?.slice(0, 16)}…`;
      } catch (error) {
        if (!isAppError(error) || error.code !== 'DECRYPT_FAILED') throw error;
        this.d.log.warn('runner TLS key does not open with this wallet; making a new one', { competition: this.d.competitionId });
      }
    }
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    const pem = String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    this.row.tlsKeySealed = this.d.vault.seal(label, new TextEncoder().encode(pem));
    this.row.tlsSpkiSha256 = sha256Hex(spki);
    this.keyPem = pem;
    // A new key needs a new certificate and message.
    this.row.certPem = null;
    this.resetSteps(['certificate', 'message', 'listen']);
    return `New key ${this.row.tlsSpkiSha256.slice(0, 16)}…`;
  }

  /** The active public identity of a role, or undefined (none, or the vault not unlocked yet this session). */
  private identity(role: 'runner-wallet' | 'smp-hotkey'): { address: string; index?: number } | undefined {
    try {
      return this.d.vault.identity(role);
    } catch {
      return undefined;
    }
  }

  private walletB58(): string {
    if (!this.d.vault.isUnlocked() && !this.identity('runner-wallet')) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
    const w = this.identity('runner-wallet');
    if (!w) throw new AppError('VAULT_MISSING', 'Your wallet has no runner wallet. Restore it from your recovery phrase or import a Solana keypair.');
    return w.address;
  }

  private smpHotkey(): { address: string; index: number } {
    const h = this.identity('smp-hotkey');
    if (!h) throw this.d.vault.isUnlocked() ? new AppError('VAULT_MISSING', 'Your wallet has no SMP hotkey. Restore it from your recovery phrase.') : new AppError('VAULT_LOCKED', 'Unlock your wallet.');
    return { address: h.address, index: h.index ?? 0 };
  }

  private async registerOnChain(): Promise<string> {
    if (this.row.listenPort === null || this.row.listenPort === 0) {
      this.row.listenPort = await freePort(this.row.listenHost);
      this.save();
    }
    const address = this.row.registeredAddress ?? this.advertised();
    const wallet = this.walletB58();
    const hotkey = this.smpHotkey();
    const onChain = await this.d.chain.runner(this.d.competitionId, this.row.modelId);
    if (onChain && onChain.wallet_b58 !== wallet) throw new AppError('CONFLICT', `Model id ${this.row.modelId} belongs to another runner wallet on chain.`);
    if (!onChain || onChain.smp_hotkey_b58 !== hotkey.address || onChain.address !== address || onChain.payout_hotkey !== this.d.payoutHotkey) {
      this.requireUnlocked('register the runner on chain');
      const { block } = await this.d.chain.registerRunner(
        { competition_id: this.d.competitionId, model_id: this.row.modelId, wallet_b58: wallet, smp_hotkey_b58: hotkey.address, address, payout_hotkey: this.d.payoutHotkey },
        { walletB58: wallet, sign: (m) => this.d.vault.signWithWallet(m).signature },
      );
      this.d.log.info('runner registered on chain', { competition: this.d.competitionId, model_id: this.row.modelId, smp_hotkey: hotkey.address, address, block });
    }
    if (this.row.smpHotkey !== hotkey.address) {
      this.row.smpHotkey = hotkey.address;
      this.row.smpIndex = hotkey.index;
      this.resetSteps(['message']);
    }
    this.row.registeredAddress = address === this.advertised() ? null : address;
    return `Model ${this.row.modelId} at ${address}, SMP hotkey #${hotkey.index}`;
  }

  private renewAt(): Date {
    const nb = Date.parse(this.row.certNotBefore ?? '');
    const na = Date.parse(this.row.certNotAfter ?? '');
    if (!Number.isFinite(nb) || !Number.isFinite(na)) return new Date(0);
    return new Date(na - (na - nb) * this.d.config.renewFraction);
  }

  private async certificate(): Promise<string> {
    if (this.row.certPem && this.d.now() < this.renewAt() && this.row.tlsSpkiSha256 && certificateHash(this.row.certPem) === this.row.tlsSpkiSha256) return `Valid until ${readableUtc(this.row.certNotAfter)}`;
    if (!this.keyPem) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
    const url = await this.d.certServiceUrl();
    if (!url) throw new AppError('UNAVAILABLE', 'The network’s certificate service (its coordinator) is not running yet.');
    const san = runnerDnsName(this.row.modelId, this.d.networkDomain);
    const publicKeyPem = String(createPublicKey(this.keyPem).export({ type: 'spki', format: 'pem' }));
    const body: IssueCertificateBody = { tlsPublicKeyPemString: publicKeyPem, commonName: san, isClient: false, isServer: true, sanDns: [san], daysValid: this.d.config.certDays };
    const text = JSON.stringify(body);
    const ts = Math.floor(this.d.now().getTime() / 1000);
    this.requireUnlocked('ask for a certificate');
    const wallet = this.walletB58();
    const signature = this.d.vault.signWithWallet(certificateRequestSigningBytes(this.d.competitionId, this.row.modelId, ts, sha256Hex(text))).signature;
    const answer = await httpJson('certificate service', `${url.replace(/\/$/, '')}${CERT_REQUEST_PATH}`, {
      method: 'POST',
      body: text,
      headers: { [CERT_REQUEST_HEADERS.wallet]: wallet, [CERT_REQUEST_HEADERS.timestamp]: String(ts), [CERT_REQUEST_HEADERS.signature]: toBase64(signature) },
    });
    if (answer.status !== 200) throw httpError('certificate service', answer);
    const a = answer.json as { authorityCertificatePemString?: unknown; tlsCertificatePemString?: unknown };
    if (typeof a.authorityCertificatePemString !== 'string' || typeof a.tlsCertificatePemString !== 'string') throw new AppError('NETWORK_ERROR', 'The certificate service sent an answer Minerva cannot read.');
    const cert = new X509Certificate(a.tlsCertificatePemString);
    const ca = new X509Certificate(a.authorityCertificatePemString);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new AppError('CERT_INVALID', 'The certificate service sent a certificate its own authority did not sign.');
    if (certificateHash(a.tlsCertificatePemString) !== this.row.tlsSpkiSha256) throw new AppError('CERT_INVALID', 'The certificate service sent a certificate for another key.');
    if (!(cert.subjectAltName ?? '').split(/,\s*/).includes(`DNS:${san}`)) throw new AppError('CERT_INVALID', `The certificate is not for ${san}.`);
    this.row.certPem = a.tlsCertificatePemString;
    this.row.caPem = a.authorityCertificatePemString;
    this.row.certNotBefore = new Date(cert.validFrom).toISOString();
    this.row.certNotAfter = new Date(cert.validTo).toISOString();
    this.resetSteps(['message', 'listen']);
    this.d.log.info('runner certificate issued', { competition: this.d.competitionId, san, not_after: this.row.certNotAfter, sha256: certificateHash(a.tlsCertificatePemString) });
    return `Valid until ${readableUtc(this.row.certNotAfter)}`;
  }

  private message(): string {
    if (!this.row.certPem || !this.row.smpHotkey) throw new AppError('INTERNAL', 'The message needs the certificate and the hotkey first.');
    const fields = { cert_pub: certPub(this.row.certPem), hotkey: this.row.smpHotkey, model_id: this.row.modelId };
    const bytes = smpMessageBytes(fields);
    const wallet = this.walletB58();
    if (this.container && this.container.message_b64 === toBase64(bytes) && this.container.wallet_pubkey_b58 === wallet) return 'Signed';
    this.requireUnlocked('sign the runner message');
    const signature = this.d.vault.signWithWallet(bytes).signature;
    // Swapped in one assignment: a call in flight keeps the metadata it already read.
    this.container = { message_b64: toBase64(bytes), wallet_pubkey_b58: wallet, signature_b64: toBase64(signature) };
    this.row.messageJson = JSON.stringify(this.container);
    this.d.log.info('runner message signed', { competition: this.d.competitionId, hotkey: fields.hotkey, model_id: fields.model_id });
    return 'Signed';
  }

  private async listen(): Promise<string> {
    if (!this.keyPem || !this.row.certPem || !this.row.caPem || !this.container) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
    await this.d.model.ensure();
    await this.loadFacts();
    const old = this.server;
    this.server = undefined;
    // Calls in flight on the old server finish; the port is taken over once it has closed.
    await old?.stop();
    const server = new SmpServer({
      caPem: this.row.caPem,
      certPem: this.row.certPem,
      keyPem: this.keyPem,
      host: this.row.listenHost,
      port: this.row.listenPort ?? 0,
      className: this.d.className,
      model: this.d.model,
      authenticate: (peer, get) => {
        this.maybeRefresh();
        return authenticateCoordinator(this.row.policy, this.facts?.value ?? null, peer, get);
      },
      serverMetadata: () => smpMetadata(this.container!, 'runner'),
      onCall: (record) => this.recorded(record),
    });
    let port: number;
    try {
      port = await server.start();
    } catch (error) {
      // The port went to another program: take a free one and tell the chain.
      this.d.log.warn('runner port unavailable; choosing another', { competition: this.d.competitionId, port: this.row.listenPort, error: String(error) });
      this.row.listenPort = null;
      this.resetSteps(['chain', 'listen']);
      throw new AppError('UNAVAILABLE', 'The runner’s port is taken by another program; a new port is registered.');
    }
    this.server = server;
    this.d.log.info('runner listening', { competition: this.d.competitionId, host: this.row.listenHost, port, policy: this.row.policy });
    return `Listening on ${this.advertised()}`;
  }

  // ---- chain facts ----

  private async loadFacts(): Promise<void> {
    this.refreshing ??= this.d.chain
      .coordinator(this.d.competitionId)
      .then(
        (value) => {
          this.facts = { at: Date.now(), value };
        },
        (error: unknown) => {
          this.d.log.warn('coordinator facts could not be read from the chain', { competition: this.d.competitionId, error: isAppError(error) ? error.message : String(error) });
        },
      )
      .finally(() => {
        this.refreshing = undefined;
      });
    await this.refreshing;
  }

  private maybeRefresh(): void {
    if (!this.facts || Date.now() - this.facts.at >= this.d.config.chainRefreshMs) void this.loadFacts();
  }

  private periodic(): void {
    if (this.stopped) return;
    this.maybeRefresh();
    if (this.state === 'serving' && this.row.certPem && this.d.now() >= this.renewAt()) {
      if (!this.d.vault.isUnlocked()) {
        this.detail = 'The certificate is due for renewal: unlock your wallet.';
        this.d.onChange();
        return;
      }
      this.d.log.info('runner certificate due for renewal', { competition: this.d.competitionId, not_after: this.row.certNotAfter });
      this.resetSteps(['certificate', 'message', 'listen']);
      void this.kick();
      return;
    }
    // The chain must still name this runner's hotkey and address (another device may have changed it).
    if (this.state === 'serving' && this.d.vault.isUnlocked()) {
      void this.d.chain.runner(this.d.competitionId, this.row.modelId).then(
        (r) => {
          const address = this.row.registeredAddress ?? this.advertised();
          if (!r || r.smp_hotkey_b58 !== this.row.smpHotkey || r.address !== address) {
            this.d.log.warn(r ? 'the chain names another runner hotkey or address; registering again' : 'the chain no longer lists this runner; registering again', { competition: this.d.competitionId });
            this.resetSteps(['chain', 'message']);
            void this.kick();
          }
        },
        () => undefined,
      );
    }
  }

  // ---- calls and predictions ----

  private recorded(record: SmpCallRecord): void {
    if (record.outcome === 'refused') {
      this.d.log.warn('runner call refused', { competition: this.d.competitionId, method: record.method, reason: record.reason, check: record.reason ? describeReason(record.reason) : null, detail: record.detail });
    }
    if (record.method === 'Setup' && record.status === 'SUCCESS') this.ticks = 0;
    if (record.call && record.status === 'SUCCESS') this.observe(record.call.method, record.call.args, record.call.result);
    this.d.onCall(this.d.competitionId, record);
  }

  /** Ticks reveal the value the last prediction aimed at: scored like the coordinator scores (1 / (1 + |error|)). */
  private observe(method: string, args: unknown[], result: unknown): void {
    const at = this.d.now().toISOString();
    if (method === 'tick') {
      this.ticks += 1;
      const payload = args[0];
      const truth = typeof payload === 'number' ? payload : typeof (payload as { value?: unknown } | null)?.value === 'number' ? (payload as { value: number }).value : undefined;
      if (truth !== undefined && this.lastPrediction) {
        this.d.repo.scorePrediction(this.lastPrediction.id, 1 / (1 + Math.abs(this.lastPrediction.value - truth)));
        this.lastPrediction = null;
      }
    } else if (method === 'predict') {
      const value = predictionNumber(result);
      const id = this.d.repo.insertPrediction(this.d.competitionId, at, this.ticks, value);
      this.lastPrediction = value === null ? null : { id, value };
    }
  }
}

/** A number from a model's prediction: a plain number, or the demo model's `predictions.value.mean[0]`. */
export function predictionNumber(result: unknown): number | null {
  if (typeof result === 'number' && Number.isFinite(result)) return result;
  const mean = (result as { predictions?: { value?: { mean?: unknown } } } | null)?.predictions?.value?.mean;
  const first: unknown = Array.isArray(mean) ? mean[0] : undefined;
  return typeof first === 'number' && Number.isFinite(first) ? first : null;
}

/** `2026-12-24 12:02 UTC` — an unambiguous time for a step's detail (core does not know the reader's zone). */
function readableUtc(iso: string | null): string {
  const ms = Date.parse(iso ?? '');
  return Number.isNaN(ms) ? 'unknown' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
