import type { CompetitionView } from '@shared/contract/competitions';

/**
 * What the app needs from a network (chain + hub), whatever its wire format. The practice
 * network's implementation lives in ./practice-client.ts; a real network gets its own.
 *
 * Methods throw AppError: UNAVAILABLE / NETWORK_ERROR / TIMEOUT for faults worth retrying;
 * UNAUTHENTICATED with `details.reason` ('unknown hotkey', 'stale signature', 'bad signature')
 * and `details.serverTime` (iso) when the network says so; CONFLICT for a replayed nonce.
 */
export interface CatalogueEntry extends Omit<CompetitionView, 'participants' | 'membership' | 'submissions'> {
  /** Signature scheme of the hotkey this competition registers (checkpoint: ed25519 by default). */
  hotkeyScheme: 'sr25519' | 'ed25519';
  /** Prefix of the signed miner actions (PROTOCOLS §4), e.g. `platform-upload-v1`. */
  actionPrefix: string;
  /** Where this competition's parties answer (null until that party runs). */
  endpoints: { validator: string | null; router: string | null; coordinator: string | null };
  /** Checkpoint competitions (PROTOCOLS §3): blocks a signed message stays valid, and b64url padding. */
  blockWindow: number | null;
  paddedSignature: boolean;
  /** Private inference (PROTOCOLS §2.9): the competition's dedicated router session; null for other kinds. */
  sessionId?: number | null;
  /** The demo bundle (resources/models/<name>) built locally when there is no image digest. */
  modelBundle?: string | null;
  /** Model-runner competitions (PROTOCOLS §5): the model id, the base class and the network's certificate domain. */
  runner?: {
    modelId: string;
    className: string;
    networkDomain: string;
    /** A Crunch-style network (issue 15, runner/crunch-profile.ts): its issuer API, indexer, CA and coordinator wallet. */
    crunch?: { issuerUrl: string; cpiUrl: string; caPem: string; coordinatorWallet: string } | null;
  } | null;
}

/** Signs with one of the miner's keys; provided by the vault, which never hands out the key. */
export interface KeySigner {
  address: string;
  publicKeyHex: string;
  scheme: 'sr25519' | 'ed25519';
  sign(message: Uint8Array): Uint8Array;
}

export interface NetworkClient {
  catalogue(): Promise<CatalogueEntry[]>;
  participants(competitionId: string): Promise<number>;
  /** Is this hotkey registered for the competition right now? */
  isRegistered(competitionId: string, hotkey: string): Promise<boolean>;
  /** Sends the registration transaction; returns its id to follow. */
  register(competitionId: string, hotkey: KeySigner, coldkeyAddress: string): Promise<{ txId: string }>;
  deregister(competitionId: string, hotkey: KeySigner): Promise<{ txId: string }>;
  /** Follows a transaction: pending, included, or failed with a code and words. */
  txStatus(txId: string): Promise<{ state: 'pending' | 'included' | 'failed' | 'unknown'; error?: { code: string; message: string } }>;
  /** The signed join of PROTOCOLS §4 (with the EOA proof of §2.9 for private inference). */
  join(entry: CatalogueEntry, hotkey: KeySigner, body: Record<string, unknown>): Promise<void>;
  leave(entry: CatalogueEntry, hotkey: KeySigner): Promise<void>;
  /** A signed file submission to a Platform challenge (kind `challenge`, PROTOCOLS §4); absent where there are none. */
  submit?(entry: CatalogueEntry, hotkey: KeySigner, file: { bytes: Uint8Array<ArrayBuffer>; fileName: string; contentType: string }): Promise<{ id: string | null; status: string | null }>;
  /** Where a submission's evaluation stands, as the challenge says (kind `challenge`); absent where there are none. */
  submissionStatus?(entry: CatalogueEntry, submissionId: string): Promise<{ status: string; score: number | null; reason: string | null }>;
  /** The reward token's balance of an account, as a decimal string of whole tokens. */
  balance(address: string): Promise<{ amount: string; symbol: string }>;
  /** The chain's block time in ms (epochs in time for the earning checklist); absent: 12 s is assumed. */
  blockTimeMs?(): Promise<number>;
  /** Rewards the ledger paid to this account since the given time, oldest first. */
  rewards(address: string, since: Date): Promise<{ at: string; block: number; competitionId: string; amount: string }[]>;
}

/** The chain calls of the checkpoint flow (PROTOCOLS §3). */
export interface ChainRounds {
  round(competitionId: string): Promise<{ round: number; phase: 'commit' | 'submit'; block: number; blocksLeft: number; nextRoundStart: number; submitStart: number }>;
  /** Resolves at block `n` (or later); throws TIMEOUT after `timeoutMs`. */
  waitForBlock(n: number, timeoutMs: number): Promise<number>;
  commitHash(competitionId: string, hotkey: KeySigner, expertGroup: string, sha256Hex: string): Promise<{ txId: string }>;
  commitment(competitionId: string, hotkey: string, expertGroup: string, round: number): Promise<{ hash: string; block: number; txId: string } | null>;
  txStatus(txId: string): Promise<{ state: 'pending' | 'included' | 'failed' | 'unknown'; error?: { code: string; message: string } }>;
}
