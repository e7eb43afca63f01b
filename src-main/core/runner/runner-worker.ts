/**
 * One model runner for one joined model-runner competition (PROTOCOLS §5, docs/runner.md). Its
 * enrolment is a flow of the kernel's engine (enrolment-flow.ts, steps in enrolment-steps.ts);
 * this class holds what lives in memory only — the opened TLS key, the signed container, the mTLS
 * gRPC server and the chain's coordinator facts — and what happens beside the flow: the miner's
 * settings, the periodic checks (renewal at 1/3 validity, the chain entry), the view, and the
 * accounting of coordinator calls.
 */
import { AppError } from '@shared/contract/errors';
import type { RunnerAuthPolicy, RunnerMode, RunnerState, RunnerView } from '@shared/contract/runner';
import type { TeeRecord } from '@shared/contract/runtime';
import { pemToDer } from '@shared/protocol/x509';
import { smpMetadata, type SmpContainer } from '@shared/protocol/smp';
import { classNameForm, runnerDnsName } from '@shared/protocol/smp.proto';
import type { FlowHandle, FlowState, FlowStatus, StepContext } from '../kernel/flow-engine';
import type { MembershipWorker } from '../kernel/membership-workers';
import type { ScopedLogger } from '../log/logger';
import type { RunnerKeys } from '../vault/capabilities';
import { authenticateCoordinator, authenticateGateway, describeReason, gatewayModeAllowed } from './auth';
import { CoordinatorFactsCache } from './coordinator-facts';
import { crunchCoordinatorFacts, type CrunchProfile } from './crunch-profile';
import { currentStep, enrolmentId, resetSteps, rowForStart } from './enrolment';
import { advertised, identity, requireUnlocked, sha256Hex, type EnrolmentHost } from './enrolment-steps';
import { PredictionTracker } from './predictions';
import type { RunnerChain } from './runner-chain';
import { STEP_LABELS, STEP_ORDER, type EnrolmentRow, type RunnerRepo } from './runner.repo';
import { SmpServer, type SmpCallRecord, type SmpModel } from './smp-server';

export { predictionNumber } from './predictions';

export interface RunnerConfig {
  /** Chain facts are read again at least this often (§5: at most 300 s). */
  chainRefreshMs: number;
  /** Validity asked of the certificate service. */
  certDays: number;
  /** Renew once less than this share of the validity is left. */
  renewFraction: number;
  /** How often renewal and the chain registration are checked. */
  checkMs: number;
  /** First retry delay after a failed step (the engine backs off from there). */
  retryMs: number;
  /** Predictions kept per competition. */
  keepPredictions: number;
}

export interface RunnerWorkerDeps {
  networkId: string;
  networkKind: 'practice' | 'custom' | 'bittensor';
  competitionId: string;
  modelId: string;
  className: string;
  networkDomain: string;
  /** A Crunch-style network (crunch-profile.ts): its issuer and indexer instead of the certificate service and the chain's coordinator. */
  crunch: CrunchProfile | null;
  /** The certificate service (the coordinator's URL from the catalogue), null until it runs. */
  certServiceUrl: () => Promise<string | null>;
  /** SS58 of the miner's hotkey registered in the competition (paid for the runner's scores). */
  payoutHotkey: string;
  chain: RunnerChain;
  repo: RunnerRepo;
  /** The enrolment flow (registered once by the module) and the engine's batched status changes. */
  flow: FlowHandle<EnrolmentRow>;
  /** The runners whose flows may run, by flow id (the flow's steps find their runner there). */
  hosts: Map<string, EnrolmentHost>;
  onFlowStatus(listener: (changed: FlowStatus[]) => void): () => void;
  /** The runner's keys only (never the vault), and whether the wallet is unlocked. */
  vault: RunnerKeys & { isUnlocked(): boolean };
  log: ScopedLogger;
  now: () => Date;
  config: RunnerConfig;
  /** The competition's model (started on demand). */
  model: SmpModel & { ensure(): Promise<void> };
  /** Something the flow does not save changed (a setting): tell the UI. */
  onChange: () => void;
  /** The runner stopped (left, another network or setup): tell the UI, which drops it. */
  onStopped: () => void;
  onCall: (competitionId: string, record: SmpCallRecord) => void;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Flow states in which a miner's request has its answer (done, waiting for the wallet, or trying again later). */
const SETTLED: ReadonlySet<FlowState> = new Set(['waiting-unlock', 'backoff', 'waiting', 'done', 'failed', 'stopped', 'cancelled']);

export class RunnerWorker implements EnrolmentHost, MembershipWorker {
  /** The enrolment flow's id. */
  readonly id: string;
  /** The TLS private key (PEM) in memory only, opened from the vault-sealed copy. */
  keyPem: string | undefined;
  container: SmpContainer | undefined;
  private server: SmpServer | undefined;
  /** Read on every coordinator call: kept in memory, saved with the row. */
  private policy: RunnerAuthPolicy;
  private readonly facts: CoordinatorFactsCache;
  private readonly predictions: PredictionTracker;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly d: RunnerWorkerDeps) {
    this.id = enrolmentId(d.networkId, d.competitionId);
    const row = rowForStart(d.repo.get(d.networkId, d.competitionId), d, d.now());
    d.repo.save(row);
    if (row.messageJson) this.container = JSON.parse(row.messageJson) as SmpContainer;
    this.policy = row.policy;
    const crunch = d.crunch;
    this.facts = new CoordinatorFactsCache(crunch ? () => crunchCoordinatorFacts(crunch) : () => d.chain.coordinator(d.competitionId), d.competitionId, d.config.chainRefreshMs, d.log);
    this.predictions = new PredictionTracker(d.repo, d.competitionId, d.now, d.config.keepPredictions);
  }

  // ---- what the enrolment steps use (EnrolmentHost) ----

  get competitionId(): string {
    return this.d.competitionId;
  }
  get networkDomain(): string {
    return this.d.networkDomain;
  }
  get crunch(): CrunchProfile | null {
    return this.d.crunch;
  }
  get payoutHotkey(): string {
    return this.d.payoutHotkey;
  }
  get chain(): RunnerChain {
    return this.d.chain;
  }
  get vault(): RunnerKeys & { isUnlocked(): boolean } {
    return this.d.vault;
  }
  get log(): ScopedLogger {
    return this.d.log;
  }
  get certDays(): number {
    return this.d.config.certDays;
  }
  certServiceUrl(): Promise<string | null> {
    return this.d.certServiceUrl();
  }
  now(): Date {
    return this.d.now();
  }
  row(): EnrolmentRow {
    const row = this.d.repo.get(this.d.networkId, this.d.competitionId);
    if (!row) throw new AppError('INTERNAL', 'The runner’s enrolment is missing from the database.');
    return row;
  }
  renewAt(row: EnrolmentRow): Date {
    const nb = Date.parse(row.certNotBefore ?? '');
    const na = Date.parse(row.certNotAfter ?? '');
    if (!Number.isFinite(nb) || !Number.isFinite(na)) return new Date(0);
    return new Date(na - (na - nb) * this.d.config.renewFraction);
  }

  // ---- lifecycle ----

  start(): void {
    this.d.hosts.set(this.id, this);
    void this.d.flow.start(this.id);
    this.timer = setInterval(() => this.check(), this.d.config.checkMs);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // The flow stops where it is (it resumes there when the runner starts again), then the server.
    await this.d.flow.stop((id) => id === this.id);
    if (this.d.hosts.get(this.id) === this) this.d.hosts.delete(this.id);
    await this.server?.stop();
    this.server = undefined;
    this.keyPem = undefined;
    this.d.onStopped();
  }

  /** The wallet was unlocked: a flow that ended on a failure starts again (a waiting one resumes by itself). */
  resume(): void {
    if (!this.stopped && !this.d.flow.isRunning(this.id) && currentStep(this.row()) !== null) void this.d.flow.start(this.id);
  }

  /**
   * Runs the enrolment until a miner's request has its answer: every step done, waiting for the
   * wallet, or backing off after a failure (the engine keeps trying on its own).
   */
  private settle(): Promise<void> {
    return new Promise((resolve) => {
      let off = (): void => undefined;
      const finish = (): void => {
        off();
        resolve();
      };
      off = this.d.onFlowStatus((changed) => {
        if (changed.some((s) => s.id === this.id && SETTLED.has(s.state))) finish();
      });
      const now = this.flowStatus()?.state;
      if (now === 'waiting-unlock' || now === 'backoff') finish();
      void this.d.flow.start(this.id).then(finish);
    });
  }

  private flowStatus(): FlowStatus | undefined {
    return this.d.flow.status().find((s) => s.id === this.id);
  }

  /** Saves a miner's change to the row and tells the UI (the flow's own saves are batched by the engine). */
  private update(patch: Partial<EnrolmentRow>): EnrolmentRow {
    const row: EnrolmentRow = { ...this.row(), ...patch, updatedAt: this.d.now().toISOString() };
    this.d.repo.save(row);
    this.d.onChange();
    return row;
  }

  // ---- the view ----

  view(stats: RunnerView['calls'], predictions: RunnerView['predictions']): RunnerView {
    const r = this.row();
    let certificate: RunnerView['certificate'] = null;
    if (r.certPem && r.certNotBefore && r.certNotAfter) {
      certificate = { san: runnerDnsName(r.modelId, this.d.networkDomain), notBefore: r.certNotBefore, notAfter: r.certNotAfter, sha256: sha256Hex(pemToDer(r.certPem)), renewAt: this.renewAt(r).toISOString() };
    }
    // Before the first unlock of a session the vault knows no addresses: the signed message names the wallet.
    const wallet = identity(this, 'runner-wallet')?.address ?? this.container?.wallet_pubkey_b58 ?? null;
    const { state, detail } = this.stateOf(r);
    return {
      competitionId: r.competitionId,
      modelId: r.modelId,
      className: this.d.className,
      classNameForm: classNameForm(this.d.className),
      networkDomain: this.d.networkDomain,
      state,
      detail,
      steps: STEP_ORDER.map((id) => {
        const s = r.steps.find((x) => x.id === id) ?? { id, state: 'pending' as const, detail: null };
        return { id, label: STEP_LABELS[id], state: s.state, detail: s.detail };
      }),
      listen: { host: r.listenHost, port: this.server?.port ?? r.listenPort, beyondLoopback: r.beyondLoopback },
      policy: r.policy,
      mode: r.mode,
      modeTee: r.modeTeeJson ? (JSON.parse(r.modeTeeJson) as TeeRecord) : null,
      certificate,
      wallet,
      smpHotkey: r.smpHotkey !== null && r.smpIndex !== null ? { address: r.smpHotkey, index: r.smpIndex } : null,
      calls: stats,
      predictions,
      error: r.errorCode && r.errorMessage ? { code: r.errorCode, message: r.errorMessage } : null,
    };
  }

  get stateDetail(): { state: RunnerState; detail: string } {
    return this.stateOf(this.row());
  }

  /** The runner's state, from the server, the flow's status and the row: a serving runner keeps serving while a step waits. */
  private stateOf(row: EnrolmentRow): { state: RunnerState; detail: string } {
    if (this.stopped) return { state: 'stopped', detail: 'Stopped.' };
    const flow = this.flowStatus();
    const locked = flow?.state === 'waiting-unlock';
    if (this.server) {
      if (locked && flow.step === 'certificate') return { state: 'serving', detail: 'The certificate is due for renewal: unlock your wallet.' };
      if (locked) return { state: 'serving', detail: `${this.servingDetail(row)} Unlock your wallet to finish: ${STEP_LABELS[flow.step as keyof typeof STEP_LABELS] ?? 'enrolment'}.` };
      return { state: 'serving', detail: this.servingDetail(row) };
    }
    if (locked) return { state: 'paused-locked', detail: 'Not serving: waiting for your password. The runner needs its wallet key to open its TLS key and sign; unlock the wallet, or turn on "Resume mining after a restart" in Wallet & Security.' };
    if (row.errorMessage) return { state: 'failed', detail: `${row.errorMessage} It is tried again shortly.` };
    const step = currentStep(row);
    return { state: 'enrolling', detail: step ? STEP_LABELS[step] : 'Starting.' };
  }

  private servingDetail(row: EnrolmentRow): string {
    return row.registeredAddress
      ? `Standing by on ${advertised(row)}: the chain sends coordinators to your TEE-hosted runner at ${row.registeredAddress}. Change the listening address to serve from this computer again.`
      : `Serving ${runnerDnsName(row.modelId, this.d.networkDomain)} on ${advertised(row)}${row.mode === 'gateway' ? ' in gateway mode' : ''}.`;
  }

  // ---- the miner's settings ----

  setPolicy(policy: RunnerAuthPolicy): void {
    this.policy = policy;
    this.update({ policy });
    this.d.log.info('runner policy changed', { competition: this.d.competitionId, policy });
  }

  /**
   * Switches how coordinators reach the runner. Gateway mode needs `tee`, a passed TEE check of
   * this machine (the caller ran it); a failed one is refused here with what failed. The server
   * is brought up again in the new mode (calls in flight finish).
   */
  async setMode(mode: RunnerMode, tee: TeeRecord | null): Promise<void> {
    if (mode === 'gateway') {
      const gate = gatewayModeAllowed(tee);
      if (!gate.allowed) throw new AppError('FORBIDDEN', gate.why);
    }
    const row = this.row();
    if (row.mode === mode && mode === 'mtls') return;
    // The chain tells coordinators the mode (register_runner `transport`), then the server comes up in it.
    this.update({ mode, modeTeeJson: mode === 'gateway' ? JSON.stringify(tee) : null, steps: resetSteps(row.steps, ['chain', 'listen']) });
    this.d.log.info('runner mode changed', { competition: this.d.competitionId, mode, tcb_status: tee?.tcbStatus ?? null });
    await this.settle();
    const after = this.row();
    if (after.errorMessage) throw new AppError((after.errorCode as never) ?? 'UNAVAILABLE', after.errorMessage);
  }

  async setListen(host: string, port: number | undefined, acknowledgeRisk: boolean): Promise<void> {
    const loopback = LOOPBACK.has(host);
    if (!loopback) {
      if (this.d.networkKind === 'practice') throw new AppError('FORBIDDEN', 'On the practice network the runner listens on 127.0.0.1 only: its coordinator runs on this computer.');
      if (!acknowledgeRisk) throw new AppError('VALIDATION', 'Listening beyond this computer exposes the runner to the network. Confirm that you accept the risk to continue.');
      if (host === '0.0.0.0' || host === '::') throw new AppError('VALIDATION', 'Name the address coordinators reach you at (an IP address of this computer), not a wildcard.');
    }
    if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) throw new AppError('VALIDATION', 'The host is not an address or a name.');
    const row = this.update({ listenHost: host === 'localhost' ? '127.0.0.1' : host, listenPort: port ?? null, beyondLoopback: !loopback, registeredAddress: null, steps: resetSteps(this.row().steps, ['chain', 'listen']) });
    this.d.log.info('runner listen address changed', { competition: this.d.competitionId, host: row.listenHost, port: port ?? null, beyond_loopback: !loopback });
    await this.settle();
  }

  async renewCertificate(): Promise<void> {
    requireUnlocked(this, 'renew the certificate');
    this.update({ certPem: null, steps: resetSteps(this.row().steps, ['certificate', 'message', 'listen']) });
    await this.settle();
    const row = this.row();
    if (row.errorMessage) throw new AppError((row.errorCode as never) ?? 'UNAVAILABLE', row.errorMessage);
  }

  /**
   * Moves to the next SMP hotkey: the vault derives it, the chain learns it, the message is signed
   * again. The server keeps serving: calls in flight finish with the old message, the next call
   * carries the new one.
   */
  async rotateHotkey(): Promise<void> {
    requireUnlocked(this, 'rotate the SMP hotkey');
    await this.d.vault.rotateSmpHotkey();
    await this.hotkeyRotated();
  }

  /** The vault's SMP hotkey changed (here or on the Wallet page): register it and sign again. */
  async hotkeyRotated(): Promise<void> {
    this.update({ steps: resetSteps(this.row().steps, ['chain', 'message']) });
    await this.settle();
  }

  /** A runner deployed elsewhere (a TEE) answers for this model: the chain names its address. */
  async registerRemote(address: string): Promise<void> {
    requireUnlocked(this, 'register the runner');
    this.update({ registeredAddress: address, steps: resetSteps(this.row().steps, ['chain']) });
    await this.settle();
    const row = this.row();
    if (row.errorMessage) throw new AppError('UNAVAILABLE', row.errorMessage);
  }

  /** Reads the chain's facts now (tests, and after a refusal the miner wants to retry). */
  refreshChainFacts(): Promise<void> {
    return this.facts.reload();
  }

  // ---- the server (the flow's last step brings it up) ----

  async serve(row: EnrolmentRow, ctx: StepContext<EnrolmentRow>): Promise<string> {
    const container = this.container;
    if (!this.keyPem || !row.certPem || !row.caPem || !container) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
    await this.d.model.ensure();
    await this.facts.load();
    const old = this.server;
    this.server = undefined;
    // Calls in flight on the old server finish; the port is taken over once it has closed.
    await old?.stop();
    const gateway = row.mode === 'gateway';
    const server = new SmpServer({
      caPem: row.caPem,
      certPem: row.certPem,
      keyPem: this.keyPem,
      host: row.listenHost,
      port: row.listenPort ?? 0,
      className: this.d.className,
      model: this.d.model,
      authenticate: (peer, get) => {
        this.facts.refreshIfStale();
        if (gateway) return authenticateGateway(this.facts.value(), row.modelId, get, this.d.now().getTime());
        return authenticateCoordinator(this.policy, this.facts.value(), peer, get);
      },
      transport: gateway ? { kind: 'gateway', tee: row.modeTeeJson ? (JSON.parse(row.modeTeeJson) as TeeRecord) : null } : { kind: 'mtls' },
      serverMetadata: () => smpMetadata(this.container ?? container, 'runner'),
      onCall: (record) => this.recorded(record),
    });
    let port: number;
    try {
      port = await server.start();
    } catch (error) {
      if (error instanceof AppError && error.code === 'FORBIDDEN') throw error; // gateway mode without a passed TEE check: said in words
      // The port went to another program: take a free one and tell the chain.
      this.d.log.warn('runner port unavailable; choosing another', { competition: this.d.competitionId, port: row.listenPort, error: String(error) });
      ctx.save({ listenPort: null, steps: resetSteps(this.row().steps, ['chain', 'listen']) });
      throw new AppError('UNAVAILABLE', 'The runner’s port is taken by another program; a new port is registered.');
    }
    this.server = server;
    this.d.log.info('runner listening', { competition: this.d.competitionId, host: row.listenHost, port, policy: this.policy, mode: row.mode });
    return gateway ? `Listening on ${advertised(row)} in gateway mode (no client certificate; signed calls)` : `Listening on ${advertised(row)}`;
  }

  // ---- periodic checks ----

  /**
   * Every `checkMs`: coordinator facts refreshed when stale; a flow that ended on a failure tried
   * again; the certificate renewed once 1/3 of its validity is left (the certificate step waits
   * for the wallet while the server keeps serving); the chain entry compared with this runner.
   */
  check(): void {
    if (this.stopped) return;
    this.facts.refreshIfStale();
    if (this.d.flow.isRunning(this.id)) return;
    const row = this.row();
    if (currentStep(row) !== null) {
      void this.d.flow.start(this.id);
      return;
    }
    if (!this.server) return;
    if (row.certPem && this.d.now() >= this.renewAt(row)) {
      this.d.log.info('runner certificate due for renewal', { competition: this.d.competitionId, not_after: row.certNotAfter });
      this.update({ steps: resetSteps(row.steps, ['certificate', 'message', 'listen']) });
      void this.d.flow.start(this.id);
      return;
    }
    if (this.d.vault.isUnlocked()) void this.checkChain(row);
  }

  /** The chain must still name this runner's hotkey and address (another device may have changed it; a leave removes it). */
  private async checkChain(row: EnrolmentRow): Promise<void> {
    const onChain = await this.d.chain.runner(this.d.competitionId, row.modelId).catch(() => undefined);
    if (onChain === undefined || this.stopped) return;
    const address = row.registeredAddress ?? advertised(row);
    if (onChain && onChain.smp_hotkey_b58 === row.smpHotkey && onChain.address === address && (onChain.transport ?? 'mtls') === (row.registeredAddress ? 'mtls' : row.mode)) return;
    this.d.log.warn(onChain ? 'the chain names another runner hotkey or address; registering again' : 'the chain no longer lists this runner; registering again', { competition: this.d.competitionId });
    this.update({ steps: resetSteps(this.row().steps, ['chain', 'message']) });
    void this.d.flow.start(this.id);
  }

  // ---- calls and predictions ----

  private recorded(record: SmpCallRecord): void {
    if (record.outcome === 'refused') {
      this.d.log.warn('runner call refused', { competition: this.d.competitionId, method: record.method, reason: record.reason, check: record.reason ? describeReason(record.reason) : null, detail: record.detail });
    }
    if (record.method === 'Setup' && record.status === 'SUCCESS') this.predictions.setup();
    if (record.call && record.status === 'SUCCESS') this.predictions.observe(record.call.method, record.call.args, record.call.result);
    this.d.onCall(this.d.competitionId, record);
  }
}
