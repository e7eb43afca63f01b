import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainClient } from '@devnet/chain/chain-client';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { eip191Sign, parsePrivateKey } from '@shared/protocol/eip191';
import { concatBytes, to0xHex } from '@shared/protocol/encoding';
import type { CatalogueWire, ParticipantsResult } from '@shared/protocol/hub-api';
import { pairFromSuri, type SubstratePair } from '@shared/protocol/identities';
import { actionCanonical, actionNonce, signAction } from '@shared/protocol/miner-action';

const EOA_KEY = parsePrivateKey('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');

let dataDir: string;
let net: PracticeNetwork;
let chain: ChainClient;
let hubUrl: string;
let alice: SubstratePair;
let bob: SubstratePair;
let carol: SubstratePair;
let cold: SubstratePair;
let ckpt: SubstratePair;

const NETUID = { 'practice-inference': 1, 'practice-runner': 2, 'practice-checkpoint': 3 } as const;
type Id = keyof typeof NETUID;

async function register(competition: Id, hotkey: SubstratePair): Promise<void> {
  const { tx_id } = await chain.sendTx('register_hotkey', { competition_id: competition, hotkey: hotkey.address, coldkey: cold.address }, hotkey);
  expect((await chain.waitForTx(tx_id)).state).toBe('included');
}

interface Sent {
  status: number;
  json: Record<string, unknown> & { error?: { code: string; message: string } };
}

async function action(
  competition: Id,
  verb: 'join' | 'leave',
  signer: SubstratePair,
  body: unknown,
  options: { nonce?: string; timestamp?: string; signWith?: SubstratePair; raw?: Uint8Array; wrap?: boolean } = {},
): Promise<Sent> {
  const path = `/v1/competitions/${competition}/${verb}`;
  const bytes = options.raw ?? new TextEncoder().encode(JSON.stringify(body));
  const target = { netuid: NETUID[competition], slug: competition, method: 'POST', path, body: bytes };
  const nonce = options.nonce ?? actionNonce();
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  let headers: Record<string, string>;
  if (signer.scheme === 'sr25519' && !options.signWith && !options.wrap) {
    headers = signAction(signer, target, { nonce, timestamp });
  } else {
    let canonical = actionCanonical(target, signer.address, nonce, timestamp);
    if (options.wrap) canonical = concatBytes(new TextEncoder().encode('<Bytes>'), canonical, new TextEncoder().encode('</Bytes>'));
    const sig = (options.signWith ?? signer).sign(canonical);
    headers = { 'X-Hotkey': signer.address, 'X-Signature': to0xHex(sig), 'X-Nonce': nonce, 'X-Timestamp': timestamp };
  }
  const res = await fetch(`${hubUrl}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: Buffer.from(bytes) });
  return { status: res.status, json: (await res.json()) as Sent['json'] };
}

function eoaProof(competition: string, hotkey: string): { eoa: string; eoa_signature: string } {
  const s = eip191Sign(EOA_KEY, `minerva-join:${competition}:${hotkey}`);
  return { eoa: s.address, eoa_signature: s.signature };
}

async function participants(competition: Id): Promise<string[]> {
  const res = await fetch(`${hubUrl}/v1/competitions/${competition}/participants`);
  return ((await res.json()) as ParticipantsResult).participants.map((p) => p.hotkey);
}

beforeAll(async () => {
  await cryptoWaitReady();
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-hub-'));
  net = await startPracticeNetwork({ dataDir, blockTimeMs: 200 });
  chain = new ChainClient(net.endpoints.chain);
  hubUrl = net.endpoints.hub!;
  alice = pairFromSuri('//Alice', 'sr25519');
  bob = pairFromSuri('//Bob', 'sr25519');
  carol = pairFromSuri('//Carol', 'sr25519');
  cold = pairFromSuri('//Cold', 'sr25519');
  ckpt = pairFromSuri('//Ckpt', 'ed25519');
  await register('practice-inference', alice);
  await register('practice-runner', alice);
  await register('practice-runner', bob);
  await register('practice-checkpoint', ckpt);
});

afterAll(async () => {
  await net.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('hub catalogue', () => {
  it('lists one competition per kind with endpoints, requirements, rewards and rules', async () => {
    const res = await fetch(`${hubUrl}/v1/competitions`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as CatalogueWire;
    expect(body.competitions.map((c) => [c.id, c.kind, c.netuid])).toEqual([
      ['practice-inference', 'private-inference', 1],
      ['practice-runner', 'model-runner', 2],
      ['practice-checkpoint', 'checkpoint', 3],
    ]);
    for (const c of body.competitions) expect(c.endpoints).toMatchObject({ chain: net.endpoints.chain, hub: hubUrl });
    const ckptEntry = body.competitions[2]!;
    expect(ckptEntry.rules).toMatchObject({ scheme: 'ed25519', round_blocks: 30, commit_blocks: 15, submit_blocks: 15, block_window: 10 });
    expect(ckptEntry.rules.current_round).toMatchObject({ round: expect.any(Number) as number, phase: expect.stringMatching(/commit|submit/) as string });
    expect(body.competitions[0]!.rules.session_id).toBe(101);
    expect(body.competitions[1]!.rules).toMatchObject({ model_id: 'practice-ts-1', class_name: 'TrackerBase', network_domain: 'practice.local' });
  });
});

describe('loopback only', () => {
  it('answers 421 to a request naming another host (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${hubUrl}/v1/competitions`, { headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('evil.example')).toBe(421);
    // Malformed percent-encoding in a competition id is a 404, not a crash.
    expect((await fetch(`${hubUrl}/v1/competitions/%E0%A4%A/participants`)).status).toBe(404);
    expect(await status(`localhost:${new URL(hubUrl).port}`)).toBe(200);
  });
});

describe('hub signed actions (PROTOCOLS §4)', () => {
  it('refuses an unregistered hotkey with 401 unknown hotkey', async () => {
    const r = await action('practice-runner', 'join', carol, {});
    expect(r.status).toBe(401);
    expect(r.json.error).toEqual({ code: 'UNKNOWN_HOTKEY', message: 'unknown hotkey' });
    // Registered elsewhere is not registered here.
    const other = await action('practice-checkpoint', 'join', alice, {});
    expect(other.json.error?.code).toBe('UNKNOWN_HOTKEY');
  });

  it('refuses a timestamp more than 300 s off with 401 stale signature, and accepts one inside', async () => {
    const old = await action('practice-runner', 'join', bob, {}, { timestamp: String(Math.floor(Date.now() / 1000) - 301) });
    expect(old.status).toBe(401);
    expect(old.json.error).toEqual({ code: 'STALE_SIGNATURE', message: 'stale signature' });
    const ahead = await action('practice-runner', 'join', bob, {}, { timestamp: String(Math.floor(Date.now() / 1000) + 400) });
    expect(ahead.json.error?.code).toBe('STALE_SIGNATURE');
    const inside = await action('practice-runner', 'join', bob, {}, { timestamp: String(Math.floor(Date.now() / 1000) - 250) });
    expect(inside.status).toBe(200);
  });

  it('refuses a signature by another key with 401 bad signature, and accepts the <Bytes> form', async () => {
    const forged = await action('practice-runner', 'join', alice, {}, { signWith: carol });
    expect(forged.status).toBe(401);
    expect(forged.json.error).toEqual({ code: 'BAD_SIGNATURE', message: 'bad signature' });
    const wrapped = await action('practice-runner', 'join', alice, {}, { wrap: true });
    expect(wrapped.status).toBe(200);
  });

  it('refuses a replayed nonce with 409', async () => {
    const nonce = actionNonce();
    expect((await action('practice-runner', 'join', alice, {}, { nonce })).status).toBe(200);
    const again = await action('practice-runner', 'join', alice, {}, { nonce });
    expect(again.status).toBe(409);
    expect(again.json.error?.code).toBe('NONCE_REPLAYED');
    // The same nonce on another verb's request still collides: the key is (netuid, slug, hotkey, nonce).
    expect((await action('practice-runner', 'leave', alice, {}, { nonce })).status).toBe(409);
  });

  it('checks in the order of §4: hotkey, then time, then signature, then nonce', async () => {
    const stale = String(Math.floor(Date.now() / 1000) - 1000);
    expect((await action('practice-runner', 'join', carol, {}, { timestamp: stale, signWith: bob })).json.error?.code).toBe('UNKNOWN_HOTKEY');
    expect((await action('practice-runner', 'join', alice, {}, { timestamp: stale, signWith: bob })).json.error?.code).toBe('STALE_SIGNATURE');
    // A nonce is recorded only once the signature verified: a forged request cannot burn it.
    const nonce = actionNonce();
    expect((await action('practice-runner', 'join', alice, {}, { nonce, signWith: bob })).json.error?.code).toBe('BAD_SIGNATURE');
    expect((await action('practice-runner', 'join', alice, {}, { nonce })).status).toBe(200);
  });

  it('refuses a body over 7,500,000 bytes with 413', async () => {
    const big = new Uint8Array(7_500_001).fill(0x20);
    const r = await action('practice-runner', 'join', alice, null, { raw: big });
    expect(r.status).toBe(413);
    expect(r.json.error?.code).toBe('TOO_LARGE');
  });
});

describe('hub join and leave', () => {
  it('private inference: the EOA proof is checked, the chain lists the EOA while joined', async () => {
    const wrongEoa = await action('practice-inference', 'join', alice, eoaProof('practice-runner', alice.address));
    expect(wrongEoa.status).toBe(401);
    expect(wrongEoa.json.error?.code).toBe('BAD_EOA_SIGNATURE');
    const missing = await action('practice-inference', 'join', alice, {});
    expect(missing.status).toBe(400);

    const proof = eoaProof('practice-inference', alice.address);
    const joined = await action('practice-inference', 'join', alice, proof);
    expect(joined.status).toBe(200);
    expect(joined.json).toMatchObject({ competition_id: 'practice-inference', hotkey: alice.address, already_joined: false, eoa: proof.eoa });
    // The hub answers once the chain holds the member: no waiting on the caller's side.
    expect((await chain.call('chain_txStatus', { tx_id: joined.json.session_tx_id as string })).state).toBe('included');
    expect((await chain.call('chain_getSessionMembers', { session_id: 101 })).members).toMatchObject([{ eoa: proof.eoa.toLowerCase(), hotkey: alice.address }]);
    expect(await participants('practice-inference')).toEqual([alice.address]);

    const left = await action('practice-inference', 'leave', alice, {});
    expect(left.status).toBe(200);
    expect(left.json).toMatchObject({ was_participant: true });
    expect((await chain.call('chain_txStatus', { tx_id: left.json.session_tx_id as string })).state).toBe('included');
    expect((await chain.call('chain_getSessionMembers', { session_id: 101 })).members).toEqual([]);
    expect(await participants('practice-inference')).toEqual([]);
  });

  it('checkpoint: an ed25519 hotkey joins and leaves; the participants list follows', async () => {
    const joined = await action('practice-checkpoint', 'join', ckpt, {});
    expect(joined.status).toBe(200);
    expect(await participants('practice-checkpoint')).toEqual([ckpt.address]);
    const again = await action('practice-checkpoint', 'join', ckpt, {});
    expect(again.json).toMatchObject({ already_joined: true });
    const forged = await action('practice-checkpoint', 'join', ckpt, {}, { signWith: pairFromSuri('//Other', 'ed25519') });
    expect(forged.json.error?.code).toBe('BAD_SIGNATURE');
    expect((await action('practice-checkpoint', 'leave', ckpt, {})).status).toBe(200);
    expect(await participants('practice-checkpoint')).toEqual([]);
  });

  it('a rotated-out hotkey is unknown to the hub at once', async () => {
    const { rotationConsentBytes } = await import('@shared/protocol/chain-api');
    const genesis = await chain.genesisHash();
    const dave = pairFromSuri('//Dave', 'sr25519');
    const consent = to0xHex(dave.sign(rotationConsentBytes(genesis, 'practice-runner', bob.address, dave.address)));
    expect(await participants('practice-runner')).toContain(bob.address);
    const { tx_id } = await chain.sendTx('rotate_hotkey', { competition_id: 'practice-runner', old_hotkey: bob.address, new_hotkey: dave.address, new_hotkey_signature: consent }, bob);
    expect((await chain.waitForTx(tx_id)).state).toBe('included');
    expect((await action('practice-runner', 'join', bob, {})).json.error?.code).toBe('UNKNOWN_HOTKEY');
    // A participant whose hotkey no longer resolves on chain is not listed.
    expect(await participants('practice-runner')).not.toContain(bob.address);
    expect((await action('practice-runner', 'join', dave, {})).status).toBe(200);
    expect(await participants('practice-runner')).toContain(dave.address);
  });
});
