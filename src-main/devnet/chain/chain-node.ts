/**
 * The practice chain: a single block producer that checks every transaction's signature and
 * nonce when it is submitted, then applies the pending ones in order when it seals the next
 * block. A rule that fails at inclusion (a commitment outside the commit phase, a hotkey already
 * taken, …) marks that transaction `failed` with a code and consumes its nonce, as real chains do;
 * the rest of the block still applies. State lives in chain-db.ts; a restart continues from the
 * last block with the same genesis hash.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  formatAmount,
  isTxKind,
  rotationConsentBytes,
  roundAt,
  TOKEN,
  txArgsSchemas,
  txId as computeTxId,
  txSigningBytes,
  type AuthorityRole,
  type BalanceView,
  type BlockView,
  type ChainCompetition,
  type ChainInfo,
  type CommitmentView,
  type CoordinatorView,
  type EpochInfo,
  type HotkeyView,
  type KeyScheme,
  type RewardEntry,
  type RoundInfo,
  type RunnerView,
  type SessionMembersView,
  type Tx,
  type TxArgs,
  type TxFailCode,
  type TxKind,
  type TxRejectCode,
  type TxStatus,
} from '@shared/protocol/chain-api';
import { concatBytes, fromBase58, fromHex, toHex } from '@shared/protocol/encoding';
import { ss58Decode, ss58Encode, verifySubstrate } from '@shared/protocol/identities';
import { utf8Encode } from '@shared/protocol/runtime';
import type { DevnetLog } from '../common/http';
import { silentLog } from '../common/http';
import { openChainDb, type ChainDb } from './chain-db';

const ZERO_HASH = '0'.repeat(64);
const MAX_PENDING = 10_000;
const WRAP_PREFIX = utf8Encode('<Bytes>');
const WRAP_SUFFIX = utf8Encode('</Bytes>');

/** A refusal at submit (JSON-RPC error) or a lookup miss. */
export class ChainError extends Error {
  constructor(
    readonly code: TxRejectCode | 'NOT_FOUND' | 'VALIDATION' | 'UNKNOWN_COMPETITION' | 'SCHEME_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

/** A rule that fails when the transaction is applied (its status becomes `failed`). */
class TxFailure extends Error {
  constructor(
    readonly code: TxFailCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ChainNodeOptions {
  dataDir: string;
  blockTimeMs?: number;
  competitions: readonly ChainCompetition[];
  authorities: Record<AuthorityRole, string>;
  log?: DevnetLog;
  /** Clock for block timestamps (tests). */
  now?: () => Date;
}

interface TxRow {
  tx_id: string;
  seq: number;
  kind: string;
  signer: string;
  scheme: KeyScheme;
  nonce: number;
  args_json: string;
  signature: string;
  state: 'pending' | 'included' | 'failed';
  block: number | null;
  error_code: string | null;
  error_message: string | null;
}

interface HotkeyRow {
  competition_id: string;
  hotkey: string;
  coldkey: string;
  scheme: KeyScheme;
  public_key: string;
  registered_block: number;
}

export function chainDbFile(dataDir: string): string {
  return join(dataDir, 'devnet', 'chain', 'chain.db');
}

export class ChainNode {
  readonly db: ChainDb;
  readonly genesisHash: string;
  readonly blockTimeMs: number;
  private readonly log: DevnetLog;
  private readonly now: () => Date;
  private readonly competitions = new Map<string, ChainCompetition>();
  private readonly authorities: Record<AuthorityRole, string>;
  private head: BlockView;
  private timer: NodeJS.Timeout | undefined;
  private waiters: { number: number; resolve: (b: BlockView) => void }[] = [];
  private closed = false;

  constructor(options: ChainNodeOptions) {
    this.db = openChainDb(chainDbFile(options.dataDir));
    this.blockTimeMs = options.blockTimeMs ?? 2000;
    this.log = options.log ?? silentLog;
    this.now = options.now ?? (() => new Date());
    this.authorities = options.authorities;
    const existing = this.db.prepare(`SELECT value FROM meta WHERE key = 'genesis_hash'`).get() as { value: string } | undefined;
    if (existing) {
      this.genesisHash = existing.value;
    } else {
      const at = this.now().toISOString();
      this.genesisHash = toHex(sha256(utf8Encode(`minerva-practice-genesis:${at}:${toHex(new Uint8Array(randomBytes(16)))}`)));
      this.db.transaction(() => {
        this.db.prepare(`INSERT INTO meta(key, value) VALUES ('genesis_hash', ?), ('created_at', ?)`).run(this.genesisHash, at);
        this.db.prepare(`INSERT INTO blocks(number, hash, parent_hash, at, tx_ids) VALUES (0, ?, ?, ?, '[]')`).run(this.genesisHash, ZERO_HASH, at);
      })();
    }
    // Competitions and authorities: new ones are added; existing competitions keep their rules.
    const addCompetition = this.db.prepare(`INSERT OR IGNORE INTO competitions(competition_id, json) VALUES (?, ?)`);
    const setAuthority = this.db.prepare(`INSERT INTO authorities(role, address) VALUES (?, ?) ON CONFLICT(role) DO UPDATE SET address = excluded.address`);
    this.db.transaction(() => {
      for (const c of options.competitions) addCompetition.run(c.competition_id, JSON.stringify(c));
      for (const [role, address] of Object.entries(options.authorities)) setAuthority.run(role, address);
    })();
    for (const row of this.db.prepare(`SELECT json FROM competitions`).all() as { json: string }[]) {
      const c = JSON.parse(row.json) as ChainCompetition;
      this.competitions.set(c.competition_id, c);
    }
    this.head = this.blockAt(this.latestNumber())!;
  }

  // -------------------------------------------------------------------------------------------
  // Block production

  /** Starts sealing a block every `blockTimeMs`. */
  start(): void {
    if (this.timer || this.closed) return;
    const tick = (): void => {
      this.timer = setTimeout(() => {
        try {
          this.sealBlock();
        } catch (error) {
          this.log.error('sealing a block failed', { error: String(error) });
        }
        if (!this.closed) tick();
      }, this.blockTimeMs);
    };
    tick();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters) w.resolve(this.head);
    this.waiters = [];
    this.db.close();
  }

  get blockNumber(): number {
    return this.head.number;
  }

  /** Resolves once block `n` exists (at once if it does). */
  waitForBlock(n: number, timeoutMs?: number): Promise<BlockView> {
    if (this.head.number >= n || this.closed) return Promise.resolve(n <= this.head.number ? this.blockAt(n)! : this.head);
    return new Promise((resolve) => {
      const waiter = { number: n, resolve };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(this.head);
        }, timeoutMs).unref();
      }
    });
  }

  /** Seals the next block with every pending transaction, in submission order. */
  sealBlock(): BlockView {
    const number = this.head.number + 1;
    const at = this.now().toISOString();
    const pending = this.db.prepare(`SELECT * FROM txs WHERE state = 'pending' ORDER BY seq`).all() as TxRow[];
    const markIncluded = this.db.prepare(`UPDATE txs SET state = 'included', block = ? WHERE tx_id = ?`);
    const markFailed = this.db.prepare(`UPDATE txs SET state = 'failed', block = ?, error_code = ?, error_message = ? WHERE tx_id = ?`);
    const block = this.db.transaction((): BlockView => {
      const ids: string[] = [];
      for (const tx of pending) {
        ids.push(tx.tx_id);
        this.db.exec('SAVEPOINT tx');
        try {
          this.apply(tx, number, at);
          this.db.exec('RELEASE tx');
          markIncluded.run(number, tx.tx_id);
        } catch (error) {
          this.db.exec('ROLLBACK TO tx');
          this.db.exec('RELEASE tx');
          const failure = error instanceof TxFailure ? error : new TxFailure('ARGS_INVALID', 'The transaction could not be applied to the state.');
          if (!(error instanceof TxFailure)) this.log.error('transaction apply error', { tx_id: tx.tx_id, error: String(error) });
          markFailed.run(number, failure.code, failure.message, tx.tx_id);
        }
      }
      const parent = this.head.hash;
      const hash = toHex(sha256(utf8Encode(`${parent}:${number}:${at}:${ids.join(',')}`)));
      this.db.prepare(`INSERT INTO blocks(number, hash, parent_hash, at, tx_ids) VALUES (?, ?, ?, ?, ?)`).run(number, hash, parent, at, JSON.stringify(ids));
      return { number, hash, parent_hash: parent, at, tx_ids: ids };
    })();
    this.head = block;
    const ready = this.waiters.filter((w) => w.number <= number);
    this.waiters = this.waiters.filter((w) => w.number > number);
    for (const w of ready) w.resolve(this.blockAt(w.number) ?? block);
    return block;
  }

  // -------------------------------------------------------------------------------------------
  // Submission: signature, nonce, shape and signer role, all checked before a tx is accepted

  submit(tx: Tx): { tx_id: string } {
    if (!isTxKind(tx.kind)) throw new ChainError('UNKNOWN_KIND', `Unknown transaction kind "${tx.kind}".`);
    const id = computeTxId(this.genesisHash, tx);
    let publicKey: Uint8Array;
    try {
      publicKey = ss58Decode(tx.signer);
    } catch {
      throw new ChainError('SIGNATURE_INVALID', 'The signer is not an SS58 address.');
    }
    const signature = fromHex(tx.signature, 'signature', { length: 64, prefix: '0x', lowercase: false });
    const bytes = txSigningBytes(this.genesisHash, tx);
    const ok =
      verifySubstrate(tx.scheme, bytes, signature, publicKey) ||
      (tx.scheme === 'sr25519' && verifySubstrate('sr25519', concatBytes(WRAP_PREFIX, bytes, WRAP_SUFFIX), signature, publicKey));
    if (!ok) throw new ChainError('SIGNATURE_INVALID', 'The transaction signature does not verify for its signer on this chain.');

    const known = this.db.prepare(`SELECT signature FROM txs WHERE tx_id = ?`).get(id) as { signature: string } | undefined;
    // The same signed transaction sent again (a client retrying after a fault) is not a second one.
    if (known && known.signature.toLowerCase() === tx.signature.toLowerCase()) return { tx_id: id };

    const next = this.nextNonce(tx.signer);
    if (tx.nonce < next) throw new ChainError('NONCE_USED', `Nonce ${tx.nonce} was already used by this signer; the next is ${next}.`);
    if (tx.nonce > next) throw new ChainError('NONCE_TOO_HIGH', `Nonce ${tx.nonce} is ahead; the signer's next nonce is ${next}.`);

    let parsedArgs: unknown;
    try {
      parsedArgs = JSON.parse(tx.args_json);
    } catch {
      throw new ChainError('ARGS_INVALID', 'args_json is not JSON.');
    }
    const args = txArgsSchemas[tx.kind].safeParse(parsedArgs);
    if (!args.success) throw new ChainError('ARGS_INVALID', `args_json does not fit ${tx.kind}: ${args.error.issues.map((i) => `${i.path.join('.') || '(args)'} ${i.message}`).join('; ')}.`);
    checkAddresses(args.data);
    this.checkSigner(tx.kind, tx.signer, tx.scheme, publicKey, args.data);

    const count = (this.db.prepare(`SELECT count(*) AS n FROM txs WHERE state = 'pending'`).get() as { n: number }).n;
    if (count >= MAX_PENDING) throw new ChainError('POOL_FULL', 'Too many pending transactions; try again in a few blocks.');
    this.db.transaction(() => {
      const seq = ((this.db.prepare(`SELECT max(seq) AS s FROM txs`).get() as { s: number | null }).s ?? 0) + 1;
      this.db
        .prepare(`INSERT INTO txs(tx_id, seq, kind, signer, scheme, nonce, args_json, signature, state, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`)
        .run(id, seq, tx.kind, tx.signer, tx.scheme, tx.nonce, tx.args_json, tx.signature, this.now().toISOString());
      this.db.prepare(`INSERT INTO nonces(signer, next_nonce) VALUES (?, ?) ON CONFLICT(signer) DO UPDATE SET next_nonce = excluded.next_nonce`).run(tx.signer, next + 1);
    })();
    return { tx_id: id };
  }

  private competitionOf(id: string): ChainCompetition {
    const c = this.competitions.get(id);
    if (!c) throw new ChainError('UNKNOWN_COMPETITION', `No competition "${id}" on this chain.`);
    return c;
  }

  private checkSigner(kind: TxKind, signer: string, scheme: KeyScheme, publicKey: Uint8Array, args: Record<string, unknown>): void {
    const wrong = (who: string): never => {
      throw new ChainError('WRONG_SIGNER', `${kind} must be signed by ${who}.`);
    };
    const authority = (role: AuthorityRole): void => {
      if (signer !== this.authorities[role]) wrong(`the ${role} authority of the practice network`);
    };
    const competition = typeof args.competition_id === 'string' ? this.competitionOf(args.competition_id) : undefined;
    switch (kind) {
      case 'transfer':
        return;
      case 'register_hotkey':
        if (signer !== args.hotkey) wrong('the hotkey it registers');
        if (competition && scheme !== competition.scheme) throw new ChainError('SCHEME_MISMATCH', `Competition ${competition.competition_id} registers ${competition.scheme} hotkeys.`);
        return;
      case 'rotate_hotkey':
        if (signer !== args.old_hotkey) wrong('the old hotkey (the new one co-signs in new_hotkey_signature)');
        return;
      case 'deregister_hotkey':
        return; // the hotkey or its coldkey: checked against the registry when applied
      case 'commit_hash':
        if (signer !== args.hotkey) wrong('the committing hotkey');
        return;
      case 'set_coordinator':
      case 'rotate_coordinator_cert':
        return authority('coordinator');
      case 'register_runner': {
        const wallet = fromBase58(args.wallet_b58, 'wallet_b58', { length: 32 });
        if (scheme !== 'ed25519' || toHex(wallet) !== toHex(publicKey)) wrong('the runner wallet (its ed25519 key as an SS58 signer)');
        return;
      }
      case 'add_session_member':
      case 'remove_session_member':
      case 'remove_runners':
        return authority('hub');
      case 'emit_rewards':
        return authority(competition!.reward_authority);
      default:
        return kind satisfies never;
    }
  }

  nextNonce(signer: string): number {
    return (this.db.prepare(`SELECT next_nonce FROM nonces WHERE signer = ?`).get(signer) as { next_nonce: number } | undefined)?.next_nonce ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // Application at inclusion

  private apply(row: TxRow, block: number, at: string): void {
    const kind = row.kind as TxKind;
    const args = txArgsSchemas[kind].parse(JSON.parse(row.args_json)) as Record<string, unknown>;
    switch (kind) {
      case 'transfer':
        return this.applyTransfer(row.signer, args as TxArgs<'transfer'>);
      case 'register_hotkey':
        return this.applyRegister(args as TxArgs<'register_hotkey'>, row.scheme, block);
      case 'rotate_hotkey':
        return this.applyRotate(args as TxArgs<'rotate_hotkey'>, block);
      case 'deregister_hotkey':
        return this.applyDeregister(row.signer, args as TxArgs<'deregister_hotkey'>, block);
      case 'commit_hash':
        return this.applyCommit(row.tx_id, args as TxArgs<'commit_hash'>, block);
      case 'set_coordinator':
        return this.applySetCoordinator(args as TxArgs<'set_coordinator'>, block);
      case 'rotate_coordinator_cert':
        return this.applyRotateCert(args as TxArgs<'rotate_coordinator_cert'>, block);
      case 'register_runner':
        return this.applyRunner(args as TxArgs<'register_runner'>, block);
      case 'remove_runners': {
        const a = args as TxArgs<'remove_runners'>;
        this.db.prepare(`DELETE FROM runners WHERE competition_id = ? AND payout_hotkey = ?`).run(a.competition_id, a.payout_hotkey);
        return;
      }
      case 'add_session_member':
        return this.applyAddMember(args as TxArgs<'add_session_member'>, block);
      case 'remove_session_member': {
        const a = args as TxArgs<'remove_session_member'>;
        this.db.prepare(`DELETE FROM session_members WHERE session_id = ? AND eoa = ?`).run(a.session_id, a.eoa.toLowerCase());
        return;
      }
      case 'emit_rewards':
        return this.applyEmit(args as TxArgs<'emit_rewards'>, block, at);
      default:
        return kind satisfies never;
    }
  }

  private units(address: string): bigint {
    return BigInt((this.db.prepare(`SELECT units FROM balances WHERE address = ?`).get(address) as { units: string } | undefined)?.units ?? '0');
  }

  private credit(address: string, delta: bigint): void {
    const next = this.units(address) + delta;
    if (next < 0n) throw new TxFailure('INSUFFICIENT_BALANCE', 'The balance is too low.');
    this.db.prepare(`INSERT INTO balances(address, units) VALUES (?, ?) ON CONFLICT(address) DO UPDATE SET units = excluded.units`).run(address, next.toString());
  }

  private applyTransfer(from: string, a: TxArgs<'transfer'>): void {
    const amount = BigInt(a.amount);
    this.credit(from, -amount);
    this.credit(a.to, amount);
  }

  private hotkeyRow(competition: string, hotkey: string): HotkeyRow | undefined {
    return this.db.prepare(`SELECT * FROM hotkeys WHERE competition_id = ? AND hotkey = ?`).get(competition, hotkey) as HotkeyRow | undefined;
  }

  private requireCompetition(id: string): ChainCompetition {
    const c = this.competitions.get(id);
    if (!c) throw new TxFailure('UNKNOWN_COMPETITION', `No competition "${id}" on this chain.`);
    return c;
  }

  private event(competition: string, hotkey: string, event: string, detail: string | null, block: number): void {
    this.db.prepare(`INSERT INTO hotkey_events(competition_id, hotkey, event, detail, block) VALUES (?, ?, ?, ?, ?)`).run(competition, hotkey, event, detail, block);
  }

  private applyRegister(a: TxArgs<'register_hotkey'>, scheme: KeyScheme, block: number): void {
    const c = this.requireCompetition(a.competition_id);
    if (scheme !== c.scheme) throw new TxFailure('SCHEME_MISMATCH', `This competition registers ${c.scheme} hotkeys.`);
    ss58Decode(a.coldkey, 'VALIDATION');
    const existing = this.hotkeyRow(a.competition_id, a.hotkey);
    if (existing) {
      if (existing.coldkey === a.coldkey) return; // already registered to the same coldkey: nothing to do
      throw new TxFailure('HOTKEY_TAKEN', 'This hotkey is registered to another coldkey in this competition.');
    }
    this.db
      .prepare(`INSERT INTO hotkeys(competition_id, hotkey, coldkey, scheme, public_key, registered_block) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(a.competition_id, a.hotkey, a.coldkey, scheme, toHex(ss58Decode(a.hotkey)), block);
    this.event(a.competition_id, a.hotkey, 'registered', a.coldkey, block);
  }

  private applyRotate(a: TxArgs<'rotate_hotkey'>, block: number): void {
    const c = this.requireCompetition(a.competition_id);
    const old = this.hotkeyRow(a.competition_id, a.old_hotkey);
    if (!old) throw new TxFailure('UNKNOWN_HOTKEY', 'The old hotkey is not registered in this competition.');
    if (this.hotkeyRow(a.competition_id, a.new_hotkey)) throw new TxFailure('HOTKEY_TAKEN', 'The new hotkey is already registered in this competition.');
    const newKey = ss58Decode(a.new_hotkey, 'VALIDATION');
    const consent = rotationConsentBytes(this.genesisHash, a.competition_id, a.old_hotkey, a.new_hotkey);
    const sig = fromHex(a.new_hotkey_signature, 'new_hotkey_signature', { length: 64, prefix: '0x', lowercase: false });
    if (!verifySubstrate(c.scheme, consent, sig, newKey)) throw new TxFailure('ROTATION_SIGNATURE_INVALID', 'The new hotkey did not sign this rotation.');
    this.db.prepare(`DELETE FROM hotkeys WHERE competition_id = ? AND hotkey = ?`).run(a.competition_id, a.old_hotkey);
    this.db
      .prepare(`INSERT INTO hotkeys(competition_id, hotkey, coldkey, scheme, public_key, registered_block) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(a.competition_id, a.new_hotkey, old.coldkey, c.scheme, toHex(newKey), block);
    // Session membership belongs to the hotkey that joined (§2.9): the new one joins again.
    this.db.prepare(`DELETE FROM session_members WHERE competition_id = ? AND hotkey = ?`).run(a.competition_id, a.old_hotkey);
    this.event(a.competition_id, a.old_hotkey, 'rotated-out', a.new_hotkey, block);
    this.event(a.competition_id, a.new_hotkey, 'rotated-in', a.old_hotkey, block);
  }

  private applyDeregister(signer: string, a: TxArgs<'deregister_hotkey'>, block: number): void {
    this.requireCompetition(a.competition_id);
    const row = this.hotkeyRow(a.competition_id, a.hotkey);
    if (!row) throw new TxFailure('UNKNOWN_HOTKEY', 'This hotkey is not registered in this competition.');
    if (signer !== row.hotkey && signer !== row.coldkey) throw new TxFailure('NOT_AUTHORISED', 'Only the hotkey or its coldkey may deregister it.');
    this.db.prepare(`DELETE FROM hotkeys WHERE competition_id = ? AND hotkey = ?`).run(a.competition_id, a.hotkey);
    this.db.prepare(`DELETE FROM session_members WHERE competition_id = ? AND hotkey = ?`).run(a.competition_id, a.hotkey);
    this.event(a.competition_id, a.hotkey, 'deregistered', null, block);
  }

  private applyCommit(txId: string, a: TxArgs<'commit_hash'>, block: number): void {
    const c = this.requireCompetition(a.competition_id);
    const round = roundAt(c, block);
    if (!round) throw new TxFailure('WRONG_KIND', 'This competition has no rounds and takes no commitments.');
    if (!this.hotkeyRow(a.competition_id, a.hotkey)) throw new TxFailure('UNKNOWN_HOTKEY', 'This hotkey is not registered in this competition.');
    if (round.phase !== 'commit') {
      throw new TxFailure('NOT_COMMIT_PHASE', `Block ${block} is in the submission phase of round ${round.round}; the next commit phase opens at block ${round.next_round_start}.`);
    }
    this.db
      .prepare(`INSERT INTO commitments(competition_id, hotkey, expert_group, round, hash, block, tx_id) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(a.competition_id, a.hotkey, a.expert_group, round.round, a.hash, block, txId);
  }

  private applySetCoordinator(a: TxArgs<'set_coordinator'>, block: number): void {
    const c = this.requireCompetition(a.competition_id);
    if (c.kind !== 'model-runner') throw new TxFailure('WRONG_KIND', 'Coordinators belong to model-runner competitions.');
    fromBase58(a.wallet_b58, 'wallet_b58', { length: 32 });
    fromBase58(a.smp_hotkey_b58, 'smp_hotkey_b58', { length: 32 });
    this.db
      .prepare(
        `INSERT INTO coordinators(competition_id, wallet_b58, smp_hotkey_b58, cert_primary, cert_secondary, updated_block) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(competition_id) DO UPDATE SET wallet_b58 = excluded.wallet_b58, smp_hotkey_b58 = excluded.smp_hotkey_b58, updated_block = excluded.updated_block`,
      )
      .run(a.competition_id, a.wallet_b58, a.smp_hotkey_b58, ZERO_HASH, ZERO_HASH, block);
  }

  private applyRotateCert(a: TxArgs<'rotate_coordinator_cert'>, block: number): void {
    this.requireCompetition(a.competition_id);
    const changed = this.db
      .prepare(`UPDATE coordinators SET cert_secondary = cert_primary, cert_primary = ?, updated_block = ? WHERE competition_id = ?`)
      .run(a.cert_hash, block, a.competition_id).changes;
    if (changed === 0) throw new TxFailure('NO_COORDINATOR', 'Set the coordinator (set_coordinator) before its certificates.');
  }

  private applyRunner(a: TxArgs<'register_runner'>, block: number): void {
    const c = this.requireCompetition(a.competition_id);
    if (c.kind !== 'model-runner') throw new TxFailure('WRONG_KIND', 'Runners belong to model-runner competitions.');
    fromBase58(a.smp_hotkey_b58, 'smp_hotkey_b58', { length: 32 });
    const existing = this.db.prepare(`SELECT wallet_b58 FROM runners WHERE competition_id = ? AND model_id = ?`).get(a.competition_id, a.model_id) as { wallet_b58: string } | undefined;
    if (existing && existing.wallet_b58 !== a.wallet_b58) throw new TxFailure('MODEL_TAKEN', 'Another runner wallet holds this model id.');
    if (!this.hotkeyRow(a.competition_id, a.payout_hotkey)) throw new TxFailure('UNKNOWN_HOTKEY', 'The payout hotkey is not registered in this competition (register_hotkey first).');
    this.db
      .prepare(
        `INSERT INTO runners(competition_id, model_id, wallet_b58, smp_hotkey_b58, address, payout_hotkey, transport, updated_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(competition_id, model_id) DO UPDATE SET smp_hotkey_b58 = excluded.smp_hotkey_b58, address = excluded.address,
           payout_hotkey = excluded.payout_hotkey, transport = excluded.transport, updated_block = excluded.updated_block`,
      )
      .run(a.competition_id, a.model_id, a.wallet_b58, a.smp_hotkey_b58, a.address, a.payout_hotkey, a.transport ?? 'mtls', block);
  }

  private applyAddMember(a: TxArgs<'add_session_member'>, block: number): void {
    const c = this.requireCompetition(a.competition_id);
    if (c.kind !== 'private-inference' || c.session_id !== a.session_id) throw new TxFailure('WRONG_KIND', `Session ${a.session_id} does not belong to ${a.competition_id}.`);
    if (!this.hotkeyRow(a.competition_id, a.hotkey)) throw new TxFailure('UNKNOWN_HOTKEY', 'This hotkey is not registered in this competition.');
    this.db
      .prepare(
        `INSERT INTO session_members(session_id, eoa, hotkey, competition_id, added_block) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(session_id, eoa) DO UPDATE SET hotkey = excluded.hotkey, added_block = excluded.added_block`,
      )
      .run(a.session_id, a.eoa.toLowerCase(), a.hotkey, a.competition_id, block);
  }

  private applyEmit(a: TxArgs<'emit_rewards'>, block: number, at: string): void {
    const c = this.requireCompetition(a.competition_id);
    if (this.db.prepare(`SELECT 1 FROM epochs_paid WHERE competition_id = ? AND epoch = ?`).get(a.competition_id, a.epoch)) {
      throw new TxFailure('EPOCH_ALREADY_PAID', `Epoch ${a.epoch} of ${a.competition_id} was already paid.`);
    }
    const total = a.payouts.reduce((sum, p) => sum + BigInt(p.amount), 0n);
    if (total > BigInt(c.emission_per_epoch)) throw new TxFailure('EMISSION_EXCEEDED', `The payouts exceed the ${formatAmount(BigInt(c.emission_per_epoch))} ${TOKEN.symbol} of an epoch.`);
    const insert = this.db.prepare(`INSERT INTO rewards(block, at, competition_id, epoch, hotkey, coldkey, units) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    for (const p of a.payouts) {
      const row = this.hotkeyRow(a.competition_id, p.hotkey);
      if (!row) throw new TxFailure('UNKNOWN_HOTKEY', `Hotkey ${p.hotkey} is not registered in ${a.competition_id}.`);
      this.credit(row.coldkey, BigInt(p.amount));
      insert.run(block, at, a.competition_id, a.epoch, p.hotkey, row.coldkey, p.amount);
    }
    this.db.prepare(`INSERT INTO epochs_paid(competition_id, epoch, block) VALUES (?, ?, ?)`).run(a.competition_id, a.epoch, block);
  }

  // -------------------------------------------------------------------------------------------
  // Queries (the JSON-RPC methods of rpc-server.ts)

  info(): ChainInfo {
    return { chain: 'minerva-practice', genesis_hash: this.genesisHash, block_number: this.head.number, block_time_ms: this.blockTimeMs, ss58_prefix: 42, token: { ...TOKEN } };
  }

  private latestNumber(): number {
    return (this.db.prepare(`SELECT max(number) AS n FROM blocks`).get() as { n: number }).n;
  }

  blockAt(n: number): BlockView | undefined {
    const row = this.db.prepare(`SELECT * FROM blocks WHERE number = ?`).get(n) as { number: number; hash: string; parent_hash: string; at: string; tx_ids: string } | undefined;
    return row ? { number: row.number, hash: row.hash, parent_hash: row.parent_hash, at: row.at, tx_ids: JSON.parse(row.tx_ids) as string[] } : undefined;
  }

  headBlock(): BlockView {
    return this.head;
  }

  txStatus(id: string): TxStatus {
    const row = this.db.prepare(`SELECT tx_id, state, block, error_code, error_message FROM txs WHERE tx_id = ?`).get(id) as
      | Pick<TxRow, 'tx_id' | 'state' | 'block' | 'error_code' | 'error_message'>
      | undefined;
    if (!row) throw new ChainError('NOT_FOUND', 'No transaction with this id.');
    if (row.state === 'pending') return { tx_id: row.tx_id, state: 'pending' };
    if (row.state === 'included') return { tx_id: row.tx_id, state: 'included', block: row.block! };
    return { tx_id: row.tx_id, state: 'failed', block: row.block!, error: { code: row.error_code as TxFailCode, message: row.error_message ?? '' } };
  }

  balance(address: string): BalanceView {
    const units = this.units(address);
    return { address, amount: formatAmount(units), base_units: units.toString() };
  }

  listCompetitions(): ChainCompetition[] {
    return [...this.competitions.values()];
  }

  round(competitionId: string, block?: number): RoundInfo {
    const c = this.competitionOf(competitionId);
    const info = roundAt(c, block ?? this.head.number);
    if (!info) throw new ChainError('NOT_FOUND', `Competition ${competitionId} has no rounds.`);
    return info;
  }

  private hotkeyView(row: HotkeyRow): HotkeyView {
    return { competition_id: row.competition_id, hotkey: row.hotkey, registered: true, coldkey: row.coldkey, scheme: row.scheme, public_key: row.public_key, registered_block: row.registered_block };
  }

  hotkey(competitionId: string, hotkey: string): HotkeyView {
    this.competitionOf(competitionId);
    const row = this.hotkeyRow(competitionId, hotkey);
    return row ? this.hotkeyView(row) : { competition_id: competitionId, hotkey, registered: false };
  }

  listHotkeys(competitionId: string, coldkey?: string): HotkeyView[] {
    this.competitionOf(competitionId);
    const rows = (
      coldkey === undefined
        ? this.db.prepare(`SELECT * FROM hotkeys WHERE competition_id = ? ORDER BY registered_block, hotkey`).all(competitionId)
        : this.db.prepare(`SELECT * FROM hotkeys WHERE competition_id = ? AND coldkey = ? ORDER BY registered_block, hotkey`).all(competitionId, coldkey)
    ) as HotkeyRow[];
    return rows.map((r) => this.hotkeyView(r));
  }

  /** The last commitment of the hotkey for the group in round `round` (default: the current round). */
  commitment(competitionId: string, hotkey: string, expertGroup: string, round?: number): CommitmentView | null {
    const r = round ?? this.round(competitionId).round;
    const row = this.db
      .prepare(`SELECT * FROM commitments WHERE competition_id = ? AND hotkey = ? AND expert_group = ? AND round = ? ORDER BY id DESC LIMIT 1`)
      .get(competitionId, hotkey, expertGroup, r) as (CommitmentView & { id: number }) | undefined;
    return row ? commitmentView(row) : null;
  }

  listCommitments(competitionId: string, hotkey?: string, round?: number): CommitmentView[] {
    this.competitionOf(competitionId);
    const rows = this.db
      .prepare(`SELECT * FROM commitments WHERE competition_id = ? AND (? IS NULL OR hotkey = ?) AND (? IS NULL OR round = ?) ORDER BY id`)
      .all(competitionId, hotkey ?? null, hotkey ?? null, round ?? null, round ?? null) as (CommitmentView & { id: number })[];
    return rows.map(commitmentView);
  }

  coordinator(competitionId: string): CoordinatorView | null {
    this.competitionOf(competitionId);
    const row = this.db.prepare(`SELECT * FROM coordinators WHERE competition_id = ?`).get(competitionId) as
      | { competition_id: string; wallet_b58: string; smp_hotkey_b58: string; cert_primary: string; cert_secondary: string; updated_block: number }
      | undefined;
    return row
      ? { competition_id: row.competition_id, wallet_b58: row.wallet_b58, smp_hotkey_b58: row.smp_hotkey_b58, cert_hashes: [row.cert_primary, row.cert_secondary], updated_block: row.updated_block }
      : null;
  }

  runner(competitionId: string, modelId: string): RunnerView | null {
    this.competitionOf(competitionId);
    return (this.db.prepare(`SELECT * FROM runners WHERE competition_id = ? AND model_id = ?`).get(competitionId, modelId) as RunnerView | undefined) ?? null;
  }

  listRunners(competitionId: string): RunnerView[] {
    this.competitionOf(competitionId);
    return this.db.prepare(`SELECT * FROM runners WHERE competition_id = ? ORDER BY model_id`).all(competitionId) as RunnerView[];
  }

  sessionMembers(sessionId: number): SessionMembersView {
    const members = this.db
      .prepare(`SELECT eoa, hotkey, competition_id, added_block FROM session_members WHERE session_id = ? ORDER BY added_block, eoa`)
      .all(sessionId) as SessionMembersView['members'];
    return { session_id: sessionId, members };
  }

  rewards(address: string, since?: string, competitionId?: string): RewardEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM rewards WHERE (coldkey = ? OR hotkey = ?) AND (? IS NULL OR at >= ?) AND (? IS NULL OR competition_id = ?) ORDER BY block, id`,
      )
      .all(address, address, since ?? null, since ?? null, competitionId ?? null, competitionId ?? null) as (Omit<RewardEntry, 'amount' | 'base_units'> & { units: string })[];
    return rows.map((r) => ({ at: r.at, block: r.block, competition_id: r.competition_id, epoch: r.epoch, hotkey: r.hotkey, coldkey: r.coldkey, amount: formatAmount(BigInt(r.units)), base_units: r.units }));
  }

  epoch(competitionId: string, block?: number): EpochInfo {
    const c = this.competitionOf(competitionId);
    const b = block ?? this.head.number;
    const epoch = Math.floor(b / c.epoch_blocks);
    const paid = (e: number): number | null =>
      e < 0 ? null : ((this.db.prepare(`SELECT block FROM epochs_paid WHERE competition_id = ? AND epoch = ?`).get(competitionId, e) as { block: number } | undefined)?.block ?? null);
    return {
      competition_id: competitionId,
      block: b,
      epoch,
      epoch_start: epoch * c.epoch_blocks,
      next_epoch_start: (epoch + 1) * c.epoch_blocks,
      epoch_blocks: c.epoch_blocks,
      emission: formatAmount(BigInt(c.emission_per_epoch)),
      paid_block: paid(epoch),
      previous_paid_block: paid(epoch - 1),
    };
  }

  authorityAddresses(): Record<AuthorityRole, string> {
    return { ...this.authorities };
  }
}

const SS58_FIELDS = ['hotkey', 'coldkey', 'old_hotkey', 'new_hotkey', 'to', 'payout_hotkey'] as const;
const B58_FIELDS = ['wallet_b58', 'smp_hotkey_b58'] as const;

/** Every address in the args decodes (SS58 checksum, 32-byte keys), so no bad address reaches the state. */
function checkAddresses(args: Record<string, unknown>): void {
  const bad = (field: string): never => {
    throw new ChainError('ARGS_INVALID', `args_json: ${field} is not a valid address.`);
  };
  const ss58 = (field: string, value: unknown): void => {
    try {
      ss58Decode(value);
    } catch {
      bad(field);
    }
  };
  for (const f of SS58_FIELDS) if (args[f] !== undefined) ss58(f, args[f]);
  for (const f of B58_FIELDS) {
    if (args[f] === undefined) continue;
    try {
      fromBase58(args[f], f, { length: 32 });
    } catch {
      bad(f);
    }
  }
  if (Array.isArray(args.payouts)) (args.payouts as { hotkey: unknown }[]).forEach((p, i) => ss58(`payouts.${i}.hotkey`, p.hotkey));
}

function commitmentView(row: CommitmentView & { id?: number }): CommitmentView {
  return { competition_id: row.competition_id, hotkey: row.hotkey, expert_group: row.expert_group, round: row.round, hash: row.hash, block: row.block, tx_id: row.tx_id };
}

/** The SS58 signer of a runner wallet (its 32-byte ed25519 key) for `register_runner`. */
export function runnerWalletSigner(walletB58: string): string {
  return ss58Encode(fromBase58(walletB58, 'wallet_b58', { length: 32 }));
}
