import { z } from 'zod';
import { event, method } from './define';
import type { TeeRecord } from './runtime';

/**
 * Model runner (PROTOCOLS §5): for each joined model-runner competition core enrols (TLS key kept
 * with the vault, certificate from the network's certificate service, runner wallet + SMP hotkey
 * on chain), serves the Secure Model Protocol over mTLS gRPC, authenticates every coordinator
 * call, and forwards Setup/Call/Rest to the competition's model container. Nothing here carries
 * key material: public keys, addresses, fingerprints and counts only.
 */
export type RunnerAuthPolicy = 'v1' | 'pinned' | 'either';

/**
 * How coordinators reach the runner (issue 15): `mtls` (default) — a client certificate from the
 * network CA in the TLS handshake, then the policy above; `gateway` — TLS with the runner's
 * certificate but no client certificate (a TLS-terminating proxy in front, model-runner-client
 * 0.12 `security/gateway_*`), every call authenticated by its signed `x-gateway-auth-*` headers.
 * Gateway mode is allowed only after a passed TEE check of the machine the runner runs on.
 */
export type RunnerMode = 'mtls' | 'gateway';

/** §5's refusal reasons by name (`handshake` = no client certificate from the network CA). */
export type RunnerRefusalReason =
  | 'handshake'
  | 'v1.wallet_pubkey'
  | 'v1.signature'
  | 'v1.message_keys'
  | 'v1.cert_pub'
  | 'v1.hotkey'
  | 'pinned.cert_hash'
  | 'metadata'
  // Gateway mode (a runner behind a TLS-terminating proxy; x-gateway-auth-*, issue 15):
  | 'gateway.metadata'
  | 'gateway.cert_hash'
  | 'gateway.signature'
  | 'gateway.payload'
  | 'gateway.timestamp'
  | 'gateway.model_id';

export type RunnerEnrolStepId = 'tls-key' | 'certificate' | 'chain' | 'message' | 'listen';

export type RunnerState =
  | 'enrolling'
  | 'serving'
  | 'paused-locked' // enrolment or signing needs the wallet: the UI asks to unlock
  | 'failed' // with `error`, in words with what to do next
  | 'stopped';

export interface RunnerCallView {
  /** Stored order: a newer call has a larger id (lists from events and from `runner.calls` merge by it). */
  id: number;
  at: string;
  /** `Setup`, `Call:tick`, `Call:predict`, `Rest`, `Health/Check`. */
  method: string;
  outcome: 'accepted' | 'refused';
  reason: RunnerRefusalReason | null;
  /** Model status code for accepted calls (`SUCCESS`, `INVALID_ARGUMENT`, …). */
  status: string | null;
  ms: number;
}

export interface RunnerPredictionView {
  at: string;
  tick: number | null;
  /** The prediction as the model returned it (public numbers, not secrets). */
  value: number | null;
  /** Score given by the coordinator once the truth is revealed (from the chain/ledger), else null. */
  score: number | null;
}

export interface RunnerView {
  competitionId: string;
  modelId: string;
  className: string;
  /** How the competition declares the class: `bare` (`TrackerBase`) or `module-path` (`pkg.mod.TrackerBase`); Setup accepts either form. */
  classNameForm: 'bare' | 'module-path';
  networkDomain: string;
  state: RunnerState;
  detail: string;
  steps: Array<{ id: RunnerEnrolStepId; label: string; state: 'pending' | 'running' | 'done' | 'failed'; detail: string | null }>;
  listen: { host: string; port: number | null; beyondLoopback: boolean };
  policy: RunnerAuthPolicy;
  mode: RunnerMode;
  /** The TEE check that allowed gateway mode (public: measurements, TCB status); null in mTLS mode. */
  modeTee: TeeRecord | null;
  certificate: { san: string; notBefore: string; notAfter: string; sha256: string; renewAt: string } | null;
  /** b58 of the runner wallet's ed25519 public key. */
  wallet: string | null;
  smpHotkey: { address: string; index: number } | null;
  calls: {
    accepted: number;
    refused: number;
    refusedByReason: Partial<Record<RunnerRefusalReason, number>>;
    p50Ms: number | null;
    p99Ms: number | null;
    lastCallAt: string | null;
  };
  predictions: RunnerPredictionView[];
  error: { code: string; message: string } | null;
}

/** `runner.changed`: the runner's whole view, and the calls stored since the previous event. */
export interface RunnerChanged extends RunnerView {
  /** Newest first (at most 50); empty when the change was not a call (an enrolment step, a setting). */
  recentCalls: RunnerCallView[];
}

/** A runner the miner deployed elsewhere in a TEE, checked (§6) before it is registered. */
export interface RemoteRunnerView {
  id: string;
  competitionId: string;
  /** Where the runner serves gRPC (`host:port`). */
  address: string;
  registered: boolean;
  tee: TeeRecord;
}

export interface RunnerStatus {
  runners: RunnerView[];
  remote: RemoteRunnerView[];
}

export const runnerMethods = {
  'runner.status': method<RunnerStatus>()({ input: z.object({}).strict(), summary: 'Runners of joined model-runner competitions: enrolment, certificate, hotkey, calls, predictions.' }),
  'runner.calls': method<{ calls: RunnerCallView[] }>()({
    input: z.object({ competitionId: z.string().min(1).max(128), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
    summary: 'The latest coordinator calls of a runner, accepted or refused by reason.',
  }),
  'runner.setPolicy': method<RunnerView>()({
    input: z.object({ competitionId: z.string().min(1).max(128), policy: z.enum(['v1', 'pinned', 'either']) }).strict(),
    summary: 'How coordinator calls are authenticated (§5: v1, pinned or either).',
  }),
  'runner.setListen': method<RunnerView>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        host: z.string().min(1).max(255),
        port: z.number().int().min(0).max(65_535).optional(),
        /** Listening beyond loopback is an explicit choice with a standing warning. */
        acknowledgeRisk: z.boolean().default(false),
      })
      .strict(),
    summary: 'Where the runner listens (loopback by default; never beyond it on the practice network).',
  }),
  'runner.setMode': method<RunnerView>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        mode: z.enum(['mtls', 'gateway']),
        /** Gateway mode only: the TDX quote of the machine the runner runs on, checked (§6) before the switch. */
        tee: z
          .object({
            quoteB64: z.string().min(1).max(200_000),
            collateral: z.record(z.string(), z.unknown()).optional(),
            at: z.iso.datetime().optional(),
            mrTd: z.array(z.string().regex(/^(0x)?[0-9a-fA-F]{96}$/)).max(64).optional(),
            expectedReportData: z.string().regex(/^(0x)?[0-9a-fA-F]{128}$/, '64 bytes as 128 hex digits').optional(),
            allowSwHardening: z.boolean().default(false),
          })
          .strict()
          .optional(),
      })
      .strict(),
    summary: 'How coordinators reach the runner: mTLS (default) or gateway (no client certificate, signed x-gateway-auth-* calls; only after a passed TEE check).',
  }),
  'runner.rotateHotkey': method<RunnerView>()({
    input: z.object({ competitionId: z.string().min(1).max(128) }).strict(),
    summary: 'Move to the next SMP hotkey, re-sign the runner message and update the chain; in-flight calls finish.',
  }),
  'runner.renewCertificate': method<RunnerView>()({
    input: z.object({ competitionId: z.string().min(1).max(128) }).strict(),
    summary: 'Ask the certificate service for a new certificate now (otherwise done before expiry).',
  }),
  'runner.addRemote': method<RemoteRunnerView>()({
    input: z
      .object({
        competitionId: z.string().min(1).max(128),
        address: z.string().min(3).max(300),
        /** The runner's TDX quote, base64 (from its attestation endpoint). */
        quoteB64: z.string().min(1).max(200_000),
        collateral: z.record(z.string(), z.unknown()).optional(),
        at: z.iso.datetime().optional(),
        mrTd: z.array(z.string().regex(/^(0x)?[0-9a-fA-F]{96}$/)).max(64).optional(),
        /** The 64 bytes the runner must have bound in reportData (§6 check 3), hex; absent: not checked. */
        expectedReportData: z.string().regex(/^(0x)?[0-9a-fA-F]{128}$/, '64 bytes as 128 hex digits').optional(),
        allowSwHardening: z.boolean().default(false),
      })
      .strict(),
    summary: "Check a TEE-hosted runner's attestation (§6) and register it only if every check passes.",
  }),
};

export const runnerEvents = {
  'runner.changed': event<RunnerChanged>('A runner moved an enrolment step, served calls, or changed state (batched): its whole view and the calls since the previous event.'),
};
