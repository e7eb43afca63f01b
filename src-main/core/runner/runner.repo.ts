/**
 * The runner's tables (migration 60): one enrolment row per (network, competition), coordinator
 * calls and predictions. The TLS key is stored only as the vault sealed it.
 */
import type { RunnerAuthPolicy, RunnerCallView, RunnerMode, RunnerEnrolStepId, RunnerPredictionView, RunnerRefusalReason } from '@shared/contract/runner';
import type { Db } from '../db/open';

export type StepState = 'pending' | 'running' | 'done' | 'failed';
export interface StepRow {
  id: RunnerEnrolStepId;
  state: StepState;
  detail: string | null;
}

/** The order enrolment runs in: the chain must know the wallet before the certificate service answers. */
export const STEP_ORDER: readonly RunnerEnrolStepId[] = ['tls-key', 'chain', 'certificate', 'message', 'listen'];

export const STEP_LABELS: Record<RunnerEnrolStepId, string> = {
  'tls-key': 'TLS key (RSA-2048, sealed by your wallet)',
  chain: 'Runner wallet, SMP hotkey and address on chain',
  certificate: 'Certificate from the network’s certificate service',
  message: 'Runner message signed by the runner wallet',
  listen: 'Serving coordinator calls (gRPC over TLS)',
};

export interface EnrolmentRow {
  networkId: string;
  competitionId: string;
  modelId: string;
  steps: StepRow[];
  policy: RunnerAuthPolicy;
  mode: RunnerMode;
  /** JSON of the TEE check that allowed gateway mode (public), null in mTLS mode. */
  modeTeeJson: string | null;
  listenHost: string;
  listenPort: number | null;
  beyondLoopback: boolean;
  tlsKeySealed: Uint8Array | null;
  tlsSpkiSha256: string | null;
  certPem: string | null;
  caPem: string | null;
  certNotBefore: string | null;
  certNotAfter: string | null;
  smpHotkey: string | null;
  smpIndex: number | null;
  registeredAddress: string | null;
  messageJson: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  updatedAt: string;
}

interface Raw {
  network_id: string;
  competition_id: string;
  model_id: string;
  steps_json: string;
  policy: RunnerAuthPolicy;
  mode: RunnerMode;
  mode_tee_json: string | null;
  listen_host: string;
  listen_port: number | null;
  beyond_loopback: number;
  tls_key_sealed: Uint8Array | null;
  tls_spki_sha256: string | null;
  cert_pem: string | null;
  ca_pem: string | null;
  cert_not_before: string | null;
  cert_not_after: string | null;
  smp_hotkey: string | null;
  smp_index: number | null;
  registered_address: string | null;
  message_json: string | null;
  error_code: string | null;
  error_message: string | null;
  updated_at: string;
}

function fromRaw(r: Raw): EnrolmentRow {
  return {
    networkId: r.network_id,
    competitionId: r.competition_id,
    modelId: r.model_id,
    steps: JSON.parse(r.steps_json) as StepRow[],
    policy: r.policy,
    mode: r.mode,
    modeTeeJson: r.mode_tee_json,
    listenHost: r.listen_host,
    listenPort: r.listen_port,
    beyondLoopback: r.beyond_loopback === 1,
    tlsKeySealed: r.tls_key_sealed ? new Uint8Array(r.tls_key_sealed) : null,
    tlsSpkiSha256: r.tls_spki_sha256,
    certPem: r.cert_pem,
    caPem: r.ca_pem,
    certNotBefore: r.cert_not_before,
    certNotAfter: r.cert_not_after,
    smpHotkey: r.smp_hotkey,
    smpIndex: r.smp_index,
    registeredAddress: r.registered_address,
    messageJson: r.message_json,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    updatedAt: r.updated_at,
  };
}

export function freshSteps(): StepRow[] {
  return STEP_ORDER.map((id) => ({ id, state: 'pending', detail: null }));
}

export class RunnerRepo {
  constructor(private readonly db: Db) {}

  get(networkId: string, competitionId: string): EnrolmentRow | undefined {
    const r = this.db.prepare(`SELECT * FROM runner_enrolments WHERE network_id = ? AND competition_id = ?`).get(networkId, competitionId) as Raw | undefined;
    return r ? fromRaw(r) : undefined;
  }

  all(): EnrolmentRow[] {
    return (this.db.prepare(`SELECT * FROM runner_enrolments`).all() as Raw[]).map(fromRaw);
  }

  save(row: EnrolmentRow): void {
    this.db
      .prepare(
        `INSERT INTO runner_enrolments (network_id, competition_id, model_id, steps_json, policy, mode, mode_tee_json, listen_host, listen_port, beyond_loopback, tls_key_sealed, tls_spki_sha256,
           cert_pem, ca_pem, cert_not_before, cert_not_after, smp_hotkey, smp_index, registered_address, message_json, error_code, error_message, updated_at)
         VALUES (@network_id, @competition_id, @model_id, @steps_json, @policy, @mode, @mode_tee_json, @listen_host, @listen_port, @beyond_loopback, @tls_key_sealed, @tls_spki_sha256,
           @cert_pem, @ca_pem, @cert_not_before, @cert_not_after, @smp_hotkey, @smp_index, @registered_address, @message_json, @error_code, @error_message, @updated_at)
         ON CONFLICT (network_id, competition_id) DO UPDATE SET model_id = excluded.model_id, steps_json = excluded.steps_json, policy = excluded.policy,
           mode = excluded.mode, mode_tee_json = excluded.mode_tee_json,
           listen_host = excluded.listen_host, listen_port = excluded.listen_port, beyond_loopback = excluded.beyond_loopback, tls_key_sealed = excluded.tls_key_sealed,
           tls_spki_sha256 = excluded.tls_spki_sha256, cert_pem = excluded.cert_pem, ca_pem = excluded.ca_pem, cert_not_before = excluded.cert_not_before,
           cert_not_after = excluded.cert_not_after, smp_hotkey = excluded.smp_hotkey, smp_index = excluded.smp_index, registered_address = excluded.registered_address,
           message_json = excluded.message_json, error_code = excluded.error_code, error_message = excluded.error_message, updated_at = excluded.updated_at`,
      )
      .run({
        network_id: row.networkId,
        competition_id: row.competitionId,
        model_id: row.modelId,
        steps_json: JSON.stringify(row.steps),
        policy: row.policy,
        mode: row.mode,
        mode_tee_json: row.modeTeeJson,
        listen_host: row.listenHost,
        listen_port: row.listenPort,
        beyond_loopback: row.beyondLoopback ? 1 : 0,
        tls_key_sealed: row.tlsKeySealed ? Buffer.from(row.tlsKeySealed) : null,
        tls_spki_sha256: row.tlsSpkiSha256,
        cert_pem: row.certPem,
        ca_pem: row.caPem,
        cert_not_before: row.certNotBefore,
        cert_not_after: row.certNotAfter,
        smp_hotkey: row.smpHotkey,
        smp_index: row.smpIndex,
        registered_address: row.registeredAddress,
        message_json: row.messageJson,
        error_code: row.errorCode,
        error_message: row.errorMessage,
        updated_at: row.updatedAt,
      });
  }

  /** Stores calls in one transaction; returns their ids, in order. */
  insertCalls(rows: readonly { competitionId: string; at: string; method: string; outcome: 'accepted' | 'refused'; reason: RunnerRefusalReason | null; status: string | null; ms: number }[]): number[] {
    if (rows.length === 0) return [];
    const insert = this.db.prepare(`INSERT INTO runner_calls (competition_id, at, method, outcome, reason, status, ms) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    return this.db.transaction(() => rows.map((r) => Number(insert.run(r.competitionId, r.at, r.method, r.outcome, r.reason, r.status, r.ms).lastInsertRowid)))();
  }

  /** Keeps the newest `keep` calls of a competition. */
  pruneCalls(competitionId: string, keep: number): void {
    this.db.prepare(`DELETE FROM runner_calls WHERE competition_id = ? AND id <= (SELECT id FROM runner_calls WHERE competition_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`).run(competitionId, competitionId, keep);
  }

  calls(competitionId: string, limit: number): RunnerCallView[] {
    const rows = this.db.prepare(`SELECT id, at, method, outcome, reason, status, ms FROM runner_calls WHERE competition_id = ? ORDER BY id DESC LIMIT ?`).all(competitionId, limit) as RunnerCallView[];
    return rows.map((r) => ({ ...r, ms: Math.round(r.ms * 100) / 100 }));
  }

  /** Accepted coordinator calls of one method in [since, until) (iso): `Setup` opens each round. */
  countAccepted(competitionId: string, method: string, since: string, until: string): number {
    return (
      this.db.prepare(`SELECT COUNT(*) AS n FROM runner_calls WHERE competition_id = ? AND method = ? AND outcome = 'accepted' AND at >= ? AND at < ?`).get(competitionId, method, since, until) as {
        n: number;
      }
    ).n;
  }

  /** Counts and latency over the stored calls. */
  callStats(competitionId: string): { accepted: number; refused: number; refusedByReason: Partial<Record<RunnerRefusalReason, number>>; lastCallAt: string | null; msAccepted: number[] } {
    const counts = this.db.prepare(`SELECT outcome, reason, COUNT(*) AS n, MAX(at) AS last FROM runner_calls WHERE competition_id = ? GROUP BY outcome, reason`).all(competitionId) as {
      outcome: string;
      reason: RunnerRefusalReason | null;
      n: number;
      last: string;
    }[];
    let accepted = 0;
    let refused = 0;
    let lastCallAt: string | null = null;
    const refusedByReason: Partial<Record<RunnerRefusalReason, number>> = {};
    for (const c of counts) {
      if (c.outcome === 'accepted') accepted += c.n;
      else {
        refused += c.n;
        if (c.reason) refusedByReason[c.reason] = (refusedByReason[c.reason] ?? 0) + c.n;
      }
      if (!lastCallAt || c.last > lastCallAt) lastCallAt = c.last;
    }
    const ms = (this.db.prepare(`SELECT ms FROM runner_calls WHERE competition_id = ? AND outcome = 'accepted' ORDER BY id DESC LIMIT 1000`).all(competitionId) as { ms: number }[]).map((r) => r.ms);
    return { accepted, refused, refusedByReason, lastCallAt, msAccepted: ms };
  }

  insertPrediction(competitionId: string, at: string, tick: number | null, value: number | null): number {
    return Number(this.db.prepare(`INSERT INTO runner_predictions (competition_id, at, tick, value) VALUES (?, ?, ?, ?)`).run(competitionId, at, tick, value).lastInsertRowid);
  }

  scorePrediction(id: number, score: number): void {
    this.db.prepare(`UPDATE runner_predictions SET score = ? WHERE id = ?`).run(score, id);
  }

  predictions(competitionId: string, limit: number): RunnerPredictionView[] {
    return this.db.prepare(`SELECT at, tick, value, score FROM runner_predictions WHERE competition_id = ? ORDER BY id DESC LIMIT ?`).all(competitionId, limit) as RunnerPredictionView[];
  }

  prunePredictions(competitionId: string, keep: number): void {
    this.db.prepare(`DELETE FROM runner_predictions WHERE competition_id = ? AND id <= (SELECT id FROM runner_predictions WHERE competition_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`).run(competitionId, competitionId, keep);
  }
}
