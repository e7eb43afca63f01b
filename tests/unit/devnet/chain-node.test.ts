import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChainError, ChainNode } from '@devnet/chain/chain-node';
import { authorityAddresses, authorityKey } from '@devnet/common/keys';
import { DEMO_COMPETITIONS } from '@devnet/demo/competitions';
import { rotationConsentBytes, TX_KINDS, txSigningBytes, type Tx, type TxArgs, type TxKind } from '@shared/protocol/chain-api';
import { to0xHex, toHex } from '@shared/protocol/encoding';
import { pairFromSuri, type SubstratePair } from '@shared/protocol/identities';

const competitions = DEMO_COMPETITIONS.map((c) => c.chain);
const dirs: string[] = [];
const nodes: ChainNode[] = [];

function open(dataDir?: string): { node: ChainNode; dataDir: string } {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'minerva-chain-'));
  if (!dataDir) dirs.push(dir);
  const node = new ChainNode({ dataDir: dir, blockTimeMs: 200, competitions, authorities: authorityAddresses(dir) });
  nodes.push(node);
  return { node, dataDir: dir };
}

function tx<K extends TxKind>(node: ChainNode, kind: K, args: TxArgs<K>, signer: SubstratePair, options: { nonce?: number; signWith?: SubstratePair; genesis?: string } = {}): Tx {
  const unsigned = { kind, args_json: JSON.stringify(args), signer: signer.address, scheme: signer.scheme, nonce: options.nonce ?? node.nextNonce(signer.address) };
  const signature = (options.signWith ?? signer).sign(txSigningBytes(options.genesis ?? node.genesisHash, unsigned));
  return { ...unsigned, signature: to0xHex(signature) };
}

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ChainError) return error.code;
    throw error;
  }
  return 'accepted';
}

let alice: SubstratePair;
let bob: SubstratePair;
let coldkey: SubstratePair;
let ckptA: SubstratePair;
let ckptB: SubstratePair;

beforeAll(async () => {
  await cryptoWaitReady();
  alice = pairFromSuri('//Alice', 'sr25519');
  bob = pairFromSuri('//Bob', 'sr25519');
  coldkey = pairFromSuri('//Cold', 'sr25519');
  ckptA = pairFromSuri('//CkptA', 'ed25519');
  ckptB = pairFromSuri('//CkptB', 'ed25519');
});

afterEach(() => {
  for (const n of nodes.splice(0)) n.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const HASH_1 = 'a'.repeat(64);
const HASH_2 = 'b'.repeat(64);

describe('chain: every transaction is signed and verified', () => {
  it('refuses forged, wrong-key, other-chain and replayed transactions, each with its own code', () => {
    const { node } = open();
    const args = { competition_id: 'practice-inference', hotkey: alice.address, coldkey: coldkey.address };
    const good = tx(node, 'register_hotkey', args, alice);

    const forged = { ...good, signature: `0x${'11'.repeat(64)}` };
    expect(rejection(() => node.submit(forged))).toBe('SIGNATURE_INVALID');
    expect(rejection(() => node.submit(tx(node, 'register_hotkey', args, alice, { signWith: bob })))).toBe('SIGNATURE_INVALID');
    expect(rejection(() => node.submit(tx(node, 'register_hotkey', args, alice, { genesis: 'f'.repeat(64) })))).toBe('SIGNATURE_INVALID');
    // Changing the args after signing breaks the signature too.
    expect(rejection(() => node.submit({ ...good, args_json: JSON.stringify({ ...args, coldkey: bob.address }) }))).toBe('SIGNATURE_INVALID');
    expect(rejection(() => node.submit(tx(node, 'register_hotkey', args, alice, { nonce: 5 })))).toBe('NONCE_TOO_HIGH');
    // A valid signature by someone else over a registration of alice's hotkey.
    expect(rejection(() => node.submit(tx(node, 'register_hotkey', args, bob)))).toBe('WRONG_SIGNER');
    // A coldkey that is not a valid SS58 address (checksum broken) never reaches the state.
    const badCold = `${coldkey.address.slice(0, -1)}${coldkey.address.endsWith('a') ? 'b' : 'a'}`;
    expect(rejection(() => node.submit(tx(node, 'register_hotkey', { ...args, coldkey: badCold }, alice)))).toBe('ARGS_INVALID');
    // Authority-only kinds from a miner key.
    expect(rejection(() => node.submit(tx(node, 'emit_rewards', { competition_id: 'practice-inference', epoch: 0, payouts: [] }, alice)))).toBe('WRONG_SIGNER');

    const { tx_id } = node.submit(good);
    // The same signed transaction again (a client retrying) is the same transaction, not a second one.
    expect(node.submit(good).tx_id).toBe(tx_id);
    // Another transaction with the used nonce is a replay.
    const replay = tx(node, 'deregister_hotkey', { competition_id: 'practice-inference', hotkey: alice.address }, alice, { nonce: 0 });
    expect(rejection(() => node.submit(replay))).toBe('NONCE_USED');
    expect(node.txStatus(tx_id).state).toBe('pending');
    const block = node.sealBlock();
    expect(block.tx_ids).toEqual([tx_id]);
    expect(node.txStatus(tx_id)).toEqual({ tx_id, state: 'included', block: block.number });
    expect(rejection(() => node.submit(good))).toBe('accepted'); // still idempotent after inclusion
    expect(node.nextNonce(alice.address)).toBe(1);
    expect(node.hotkey('practice-inference', alice.address)).toMatchObject({ registered: true, coldkey: coldkey.address, scheme: 'sr25519', public_key: toHex(alice.publicKey) });
  });

  it('refuses a signature by another key for every kind of transaction', () => {
    const { node } = open();
    for (const kind of TX_KINDS) {
      const unsigned = { kind, args_json: '{}', signer: alice.address, scheme: 'sr25519' as const, nonce: 0 };
      const forged = { ...unsigned, signature: to0xHex(bob.sign(txSigningBytes(node.genesisHash, unsigned))) };
      expect([kind, rejection(() => node.submit(forged))]).toEqual([kind, 'SIGNATURE_INVALID']);
    }
    expect(node.nextNonce(alice.address)).toBe(0);
  });

  it('registers ed25519 hotkeys only where the competition says so', () => {
    const { node } = open();
    expect(rejection(() => node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-inference', hotkey: ckptA.address, coldkey: coldkey.address }, ckptA)))).toBe('SCHEME_MISMATCH');
    const { tx_id } = node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, coldkey: coldkey.address }, ckptA));
    node.sealBlock();
    expect(node.txStatus(tx_id).state).toBe('included');
    expect(node.hotkey('practice-checkpoint', ckptA.address)).toMatchObject({ registered: true, scheme: 'ed25519' });
  });
});

describe('chain: hotkey registry', () => {
  it('rotation needs both hotkeys and makes the old one stop resolving in that block', () => {
    const { node } = open();
    node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, coldkey: coldkey.address }, ckptA));
    node.sealBlock();

    const badConsent = to0xHex(ckptB.sign(rotationConsentBytes(node.genesisHash, 'practice-checkpoint', ckptA.address, alice.address)));
    const bad = node.submit(tx(node, 'rotate_hotkey', { competition_id: 'practice-checkpoint', old_hotkey: ckptA.address, new_hotkey: ckptB.address, new_hotkey_signature: badConsent }, ckptA));
    node.sealBlock();
    expect(node.txStatus(bad.tx_id)).toMatchObject({ state: 'failed', error: { code: 'ROTATION_SIGNATURE_INVALID' } });
    expect(node.hotkey('practice-checkpoint', ckptA.address).registered).toBe(true);

    const consent = to0xHex(ckptB.sign(rotationConsentBytes(node.genesisHash, 'practice-checkpoint', ckptA.address, ckptB.address)));
    const rotate = node.submit(tx(node, 'rotate_hotkey', { competition_id: 'practice-checkpoint', old_hotkey: ckptA.address, new_hotkey: ckptB.address, new_hotkey_signature: consent }, ckptA));
    // The old hotkey's commitment queued behind the rotation in the same block already fails.
    const late = node.submit(tx(node, 'commit_hash', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, expert_group: 'g0', hash: HASH_1 }, ckptA));
    node.sealBlock();
    expect(node.txStatus(rotate.tx_id).state).toBe('included');
    expect(node.txStatus(late.tx_id)).toMatchObject({ state: 'failed', error: { code: 'UNKNOWN_HOTKEY' } });
    expect(node.hotkey('practice-checkpoint', ckptA.address).registered).toBe(false);
    expect(node.hotkey('practice-checkpoint', ckptB.address)).toMatchObject({ registered: true, coldkey: coldkey.address });
  });

  it('deregister by the hotkey or its coldkey, never by anyone else', () => {
    const { node } = open();
    node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-inference', hotkey: alice.address, coldkey: coldkey.address }, alice));
    node.sealBlock();
    const stranger = node.submit(tx(node, 'deregister_hotkey', { competition_id: 'practice-inference', hotkey: alice.address }, bob));
    node.sealBlock();
    expect(node.txStatus(stranger.tx_id)).toMatchObject({ state: 'failed', error: { code: 'NOT_AUTHORISED' } });
    const byCold = node.submit(tx(node, 'deregister_hotkey', { competition_id: 'practice-inference', hotkey: alice.address }, coldkey));
    node.sealBlock();
    expect(node.txStatus(byCold.tx_id).state).toBe('included');
    expect(node.hotkey('practice-inference', alice.address).registered).toBe(false);
  });
});

describe('chain: commitments (PROTOCOLS §3)', () => {
  it('accepts commits only in the commit phase, keeps every record, the latest in the phase counts', () => {
    const { node } = open();
    node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, coldkey: coldkey.address }, ckptA));
    node.sealBlock(); // block 1
    const round0 = node.round('practice-checkpoint');
    expect(round0).toMatchObject({ round: 0, phase: 'commit', round_blocks: 30, commit_blocks: 15, submit_blocks: 15, blocks_left_in_phase: 14 });

    const c1 = node.submit(tx(node, 'commit_hash', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, expert_group: 'g0', hash: HASH_1 }, ckptA));
    const c2 = node.submit(tx(node, 'commit_hash', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, expert_group: 'g0', hash: HASH_2 }, ckptA));
    node.sealBlock(); // block 2
    expect(node.txStatus(c1.tx_id).state).toBe('included');
    expect(node.commitment('practice-checkpoint', ckptA.address, 'g0', 0)).toMatchObject({ hash: HASH_2, round: 0, block: 2, tx_id: c2.tx_id });
    expect(node.listCommitments('practice-checkpoint', ckptA.address).map((c) => c.hash)).toEqual([HASH_1, HASH_2]);

    while (node.blockNumber < 14) node.sealBlock();
    const last = node.submit(tx(node, 'commit_hash', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, expert_group: 'g0', hash: HASH_1 }, ckptA));
    node.sealBlock(); // block 15: first block of the submission phase
    expect(node.round('practice-checkpoint')).toMatchObject({ round: 0, phase: 'submit', submit_start: 15, next_round_start: 30 });
    expect(node.txStatus(last.tx_id)).toMatchObject({ state: 'failed', error: { code: 'NOT_COMMIT_PHASE' } });
    expect(node.commitment('practice-checkpoint', ckptA.address, 'g0', 0)?.hash).toBe(HASH_2);

    // Commitments are insert-only in the database itself.
    expect(() => node.db.prepare(`UPDATE commitments SET hash = ?`).run(HASH_1)).toThrow(/never change/);
    expect(() => node.db.prepare(`DELETE FROM commitments`).run()).toThrow(/never change/);

    while (node.blockNumber < 29) node.sealBlock();
    const next = node.submit(tx(node, 'commit_hash', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, expert_group: 'g0', hash: HASH_1 }, ckptA));
    node.sealBlock(); // block 30: round 1 opens
    expect(node.txStatus(next.tx_id).state).toBe('included');
    expect(node.commitment('practice-checkpoint', ckptA.address, 'g0')).toMatchObject({ round: 1, hash: HASH_1 });
    expect(node.commitment('practice-checkpoint', ckptA.address, 'g0', 0)?.hash).toBe(HASH_2);
  });
});

describe('chain: registries and rewards', () => {
  it('pays an epoch once, to the coldkey, only from the competition’s authority', () => {
    const { node, dataDir } = open();
    const validator = authorityKey(dataDir, 'validator');
    const router = authorityKey(dataDir, 'router');
    node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-checkpoint', hotkey: ckptA.address, coldkey: coldkey.address }, ckptA));
    node.sealBlock();
    const payout = { competition_id: 'practice-checkpoint', epoch: 0, payouts: [{ hotkey: ckptA.address, amount: '12500000000' }] };
    expect(rejection(() => node.submit(tx(node, 'emit_rewards', payout, router)))).toBe('WRONG_SIGNER');
    const too = node.submit(tx(node, 'emit_rewards', { ...payout, payouts: [{ hotkey: ckptA.address, amount: '200000000001' }] }, validator));
    const paid = node.submit(tx(node, 'emit_rewards', payout, validator));
    const again = node.submit(tx(node, 'emit_rewards', payout, validator));
    node.sealBlock();
    expect(node.txStatus(too.tx_id)).toMatchObject({ state: 'failed', error: { code: 'EMISSION_EXCEEDED' } });
    expect(node.txStatus(paid.tx_id).state).toBe('included');
    expect(node.txStatus(again.tx_id)).toMatchObject({ state: 'failed', error: { code: 'EPOCH_ALREADY_PAID' } });
    expect(node.balance(coldkey.address)).toMatchObject({ amount: '12.5', base_units: '12500000000' });
    expect(node.epoch('practice-checkpoint')).toMatchObject({ epoch: 0, epoch_start: 0, next_epoch_start: 30, emission: '200', paid_block: 2, previous_paid_block: null });
    expect(node.epoch('practice-checkpoint', 31)).toMatchObject({ epoch: 1, paid_block: null, previous_paid_block: 2 });
    expect(node.rewards(coldkey.address)).toMatchObject([{ competition_id: 'practice-checkpoint', epoch: 0, hotkey: ckptA.address, coldkey: coldkey.address, amount: '12.5' }]);
  });

  it('session members come only from the hub authority, for registered hotkeys; deregistering removes them', () => {
    const { node, dataDir } = open();
    const hub = authorityKey(dataDir, 'hub');
    const eoa = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
    node.submit(tx(node, 'register_hotkey', { competition_id: 'practice-inference', hotkey: alice.address, coldkey: coldkey.address }, alice));
    node.sealBlock();
    const member = { competition_id: 'practice-inference', session_id: 101, eoa, hotkey: alice.address };
    expect(rejection(() => node.submit(tx(node, 'add_session_member', member, alice)))).toBe('WRONG_SIGNER');
    const wrongSession = node.submit(tx(node, 'add_session_member', { ...member, session_id: 7 }, hub));
    node.submit(tx(node, 'add_session_member', member, hub));
    node.sealBlock();
    expect(node.txStatus(wrongSession.tx_id)).toMatchObject({ state: 'failed', error: { code: 'WRONG_KIND' } });
    expect(node.sessionMembers(101).members).toMatchObject([{ eoa: eoa.toLowerCase(), hotkey: alice.address }]);
    node.submit(tx(node, 'deregister_hotkey', { competition_id: 'practice-inference', hotkey: alice.address }, alice));
    node.sealBlock();
    expect(node.sessionMembers(101).members).toEqual([]);
  });

  it('coordinator cert rotation keeps the two newest hashes', () => {
    const { node, dataDir } = open();
    const coord = authorityKey(dataDir, 'coordinator');
    const wallet = '11111111111111111111111111111112';
    expect(rejection(() => node.submit(tx(node, 'set_coordinator', { competition_id: 'practice-runner', wallet_b58: wallet, smp_hotkey_b58: wallet }, alice)))).toBe('WRONG_SIGNER');
    const early = node.submit(tx(node, 'rotate_coordinator_cert', { competition_id: 'practice-runner', cert_hash: HASH_1 }, coord));
    node.sealBlock();
    expect(node.txStatus(early.tx_id)).toMatchObject({ state: 'failed', error: { code: 'NO_COORDINATOR' } });
    node.submit(tx(node, 'set_coordinator', { competition_id: 'practice-runner', wallet_b58: wallet, smp_hotkey_b58: wallet }, coord));
    for (const h of [HASH_1, HASH_2, 'c'.repeat(64)]) node.submit(tx(node, 'rotate_coordinator_cert', { competition_id: 'practice-runner', cert_hash: h }, coord));
    node.sealBlock();
    expect(node.coordinator('practice-runner')?.cert_hashes).toEqual(['c'.repeat(64), HASH_2]);
  });
});

describe('chain: persistence', () => {
  it('a restart keeps genesis, blocks, nonces and registrations', () => {
    const first = open();
    first.node.submit(tx(first.node, 'register_hotkey', { competition_id: 'practice-inference', hotkey: alice.address, coldkey: coldkey.address }, alice));
    first.node.sealBlock();
    first.node.sealBlock();
    const genesis = first.node.genesisHash;
    first.node.stop();
    nodes.splice(nodes.indexOf(first.node), 1);

    const { node } = open(first.dataDir);
    expect(node.genesisHash).toBe(genesis);
    expect(node.blockNumber).toBe(2);
    expect(node.nextNonce(alice.address)).toBe(1);
    expect(node.hotkey('practice-inference', alice.address).registered).toBe(true);
    expect(node.sealBlock().number).toBe(3);
  });
});
