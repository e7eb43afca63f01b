import type { RunnerAuthPolicy, RunnerMode, RunnerRefusalReason, RunnerState } from '@shared/contract/runner';
import type { TeeCheckName } from '@shared/contract/runtime';
import { formatClock } from '@shared/format/time';

/** The words the Runner page uses for core's names (PROTOCOLS §5 and §6), in one place. */

/** Why a coordinator call was refused, in a miner's words. */
export const REFUSAL_WORDS: Record<RunnerRefusalReason, string> = {
  handshake: "no client certificate from the network's certificate authority (refused in the TLS handshake)",
  metadata: 'its authentication headers were missing, repeated or not canonical base64',
  'v1.wallet_pubkey': "the wallet key it sent is not the coordinator's wallet on chain",
  'v1.signature': "signature did not verify with the coordinator's wallet on chain",
  'v1.message_keys': 'its signed message did not hold exactly cert_pub and hotkey',
  'v1.cert_pub': 'its signed message names another TLS key than the certificate it connected with',
  'v1.hotkey': "its signed message names a hotkey that is not the coordinator's hotkey on chain now",
  'pinned.cert_hash': 'its certificate is not one of the two the coordinator registered on chain',
  'gateway.metadata': 'its x-gateway-auth headers were missing, repeated or not canonical base64',
  'gateway.cert_hash': 'the key it signed with is not one of the two the coordinator registered on chain',
  'gateway.signature': 'its x-gateway-auth signature did not verify with the key it presented',
  'gateway.payload': 'its signed token was not exactly a model id and a whole-second timestamp',
  'gateway.timestamp': 'its signed token was more than 30 seconds old (or ahead): check both clocks',
  'gateway.model_id': 'its signed token was made for another model',
};

export const REFUSAL_ORDER = Object.keys(REFUSAL_WORDS) as RunnerRefusalReason[];

export const POLICY_WORDS: Record<RunnerAuthPolicy, { label: string; help: string }> = {
  v1: { label: 'Signed calls (v1)', help: "Every call must carry the coordinator's wallet signature, checked against the chain; unsigned calls are refused." },
  pinned: { label: 'Pinned certificate', help: 'The coordinator’s certificate must be one of the two it registered on chain; signature headers are ignored (what public coordinators do today).' },
  either: { label: 'Either', help: 'A call with signature headers is judged by its signature alone; one without them by the pinned certificate.' },
};

export const MODE_WORDS: Record<RunnerMode, { label: string; help: string }> = {
  mtls: {
    label: 'Mutual TLS',
    help: "Coordinators connect with a client certificate from the network's certificate authority, then pass the authentication policy. The default.",
  },
  gateway: {
    label: 'Gateway',
    help: 'For a runner behind a TLS-terminating gateway (e.g. a Phala confidential VM): no client certificate; every call must carry a fresh token signed by a coordinator key registered on chain. Needs a passed TEE check of this computer.',
  },
};

export const STATE_WORDS: Record<RunnerState, string> = {
  enrolling: 'Enrolling',
  serving: 'Serving',
  'paused-locked': 'Paused: wallet locked',
  failed: 'Failed',
  stopped: 'Stopped',
};

export const TEE_CHECK_WORDS: Record<TeeCheckName, string> = {
  collateral: 'Collateral (Intel-signed TCB data for this quote)',
  quote: 'Quote signature and certificate chain',
  tcb_status: 'TCB status allowed',
  report_data: 'reportData binds the runner key',
  mr_td: 'mrTd in your allowlist',
  rt_mr0: 'rtMr0 in the allowlist',
  rt_mr1: 'rtMr1 in the allowlist',
  rt_mr2: 'rtMr2 in the allowlist',
};

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;
export const isLoopback = (host: string) => LOOPBACK.test(host.trim());

/** A moment in the app's one time format (src-shared/format/time.ts): "14:05:09" today, "2026-11-24 10:48" before. */
export const when = (iso: string | null | undefined): string => formatClock(iso);

export const ms = (v: number | null) => (v === null ? '—' : v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
