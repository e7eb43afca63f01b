import { mkdtempSync } from 'node:fs';
import { MIGRATIONS } from '@core/create-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import type { CompetitionsView } from '@shared/contract/competitions';
import { AuditRepo } from '@core/db/audit.repo';
import { openDatabase, type Db } from '@core/db/open';
import { createLogger } from '@core/log/logger';
import { CompetitionsService, type MinerKeys } from '@core/competitions/competitions.service';
import type { CatalogueEntry, KeySigner, NetworkClient } from '@core/network/client';
import { COMPETITIONS_DEFAULTS, type CompetitionsConfig } from '@core/competitions/competitions.config';
import { FlowEngine } from '@core/kernel/flow-engine';
import { SimpleUnlockGate } from '@core/kernel/unlock-gate';

/**
 * The join/leave engine on its own. The network here is a scripted in-memory one so that each
 * fault lands exactly where the test wants it; tests/integration/competitions runs the same
 * flows against the real practice network.
 */
const ENTRY: CatalogueEntry = {
  id: 'practice-inference',
  netuid: 1,
  slug: 'practice-inference',
  kind: 'private-inference',
  title: 'Practice inference',
  description: 'd',
  requirements: { gpu: null, memoryMiB: 512, imageDigest: null },
  rewards: { summary: '10 PRAC per epoch', symbol: 'PRAC', perEpoch: '10', epochBlocks: 30 },
  rules: [],
  hotkeyScheme: 'sr25519',
  actionPrefix: 'platform-upload-v1',
  endpoints: { validator: null, router: null, coordinator: null },
  blockWindow: null,
  paddedSignature: true,
};

class ScriptedNetwork implements NetworkClient {
  registered = new Set<string>();
  joined = new Set<string>();
  registrations = 0;
  pendingTx = new Map<string, number>(); // txId -> polls until included
  failNext: { method: string; error: AppError }[] = [];
  joinBodies: Record<string, unknown>[] = [];

  private maybeFail(method: string): void {
    const i = this.failNext.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.failNext.splice(i, 1);
      if (f) throw f.error;
    }
  }
  catalogue = () => Promise.resolve([ENTRY]);
  participants = () => Promise.resolve(this.joined.size);
  isRegistered = (_c: string, hotkey: string) => (this.maybeFail('isRegistered'), Promise.resolve(this.registered.has(hotkey)));
  register = (_c: string, hotkey: KeySigner) => {
    this.maybeFail('register');
    this.registrations += 1;
    const txId = `tx-${this.registrations}`;
    this.pendingTx.set(txId, 2);
    this.registered.add(`pending:${hotkey.address}`);
    return Promise.resolve({ txId });
  };
  deregister = () => Promise.resolve({ txId: 'x' });
  txStatus = (txId: string) => {
    this.maybeFail('txStatus');
    const left = this.pendingTx.get(txId);
    if (left === undefined) return Promise.resolve({ state: 'unknown' as const });
    if (left > 0) {
      this.pendingTx.set(txId, left - 1);
      return Promise.resolve({ state: 'pending' as const });
    }
    this.registered.add('5Hotkey');
    return Promise.resolve({ state: 'included' as const });
  };
  join = (_e: CatalogueEntry, hotkey: KeySigner, body: Record<string, unknown>) => {
    this.maybeFail('join');
    if (!this.registered.has(hotkey.address)) throw new AppError('UNAUTHENTICATED', 'unknown hotkey', { details: { reason: 'unknown hotkey' } });
    this.joinBodies.push(body);
    this.joined.add(hotkey.address);
    return Promise.resolve();
  };
  leave = (_e: CatalogueEntry, hotkey: KeySigner) => (this.maybeFail('leave'), this.joined.delete(hotkey.address), Promise.resolve());
  balance = () => Promise.resolve({ amount: '0', symbol: 'PRAC' });
  rewards = () => Promise.resolve([]);
}

interface KeyState {
  unlocked: boolean;
  listeners: (() => void)[];
  hotkey?: string;
  rotated?: (() => void)[];
}

function keys(state: KeyState): MinerKeys {
  return {
    isUnlocked: () => state.unlocked,
    hotkey: (scheme) => {
      if (!state.unlocked) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
      return { address: state.hotkey ?? '5Hotkey', publicKeyHex: 'ab', scheme, sign: () => new Uint8Array(64) };
    },
    coldkeyAddress: () => '5Coldkey',
    eoaSign: (message) => ({ address: '0xEoa', signature: `sig(${message})` }),
    onHotkeyRotated: (l) => ((state.rotated ??= []).push(l), () => undefined),
  };
}

/** The engine as the kernel builds it, its unlock gate over the test's wallet state (batches of 1 ms). */
function engineFor(keyState: KeyState): FlowEngine {
  const gate = new SimpleUnlockGate(() => keyState.unlocked);
  keyState.listeners.push(() => gate.notify());
  return new FlowEngine({ gate, log: createLogger({ console: false }).scope('flows'), batchMs: 1 });
}

const CONFIG: CompetitionsConfig = { ...COMPETITIONS_DEFAULTS, backoffBaseMs: 5, backoffMaxMs: 5, txPollMs: 1 };

function service(db: Db, network: ScriptedNetwork, keyState: KeyState = { unlocked: true, listeners: [] }, now = () => new Date()) {
  const views: CompetitionsView[] = [];
  const svc = new CompetitionsService({
    db,
    audit: new AuditRepo(db),
    log: createLogger({ console: false }).scope('competitions'),
    activeNetwork: () => Promise.resolve({ id: 'practice', kind: 'practice', chainUrl: 'x', hubUrl: 'y' }),
    clientFor: () => network,
    keys: () => keys(keyState),
    now,
    onChange: (v) => views.push(v),
    flows: engineFor(keyState),
    config: CONFIG,
  });
  return { svc, views, keyState };
}

const newDb = () => openDatabase(join(mkdtempSync(join(tmpdir(), 'minerva-flow-')), 'minerva.db'), MIGRATIONS);

async function settle(svc: CompetitionsService, until: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !until(); i += 1) await new Promise((r) => setTimeout(r, 2));
  await svc.close().catch(() => undefined);
}

const membership = async (svc: CompetitionsService) => (await svc.list(false)).competitions[0]?.membership;

describe('join flow', () => {
  it('registers, waits for inclusion, joins with the EOA proof, and records it', async () => {
    const net = new ScriptedNetwork();
    const { svc } = service(newDb(), net);
    await svc.list(true);
    expect((await svc.join(ENTRY.id)).state).toBe('joining');
    await settle(svc, () => net.joined.size === 1);
    const m = await membership(svc);
    expect(m?.state).toBe('joined');
    expect(m?.steps.map((s) => s.state)).toEqual(['done', 'done']);
    expect(net.registrations).toBe(1);
    expect(net.joinBodies[0]).toEqual({ eoa: '0xEoa', eoa_signature: 'sig(minerva-join:practice-inference:5Hotkey)' });
  });

  it('skips registration for a hotkey already on chain', async () => {
    const net = new ScriptedNetwork();
    net.registered.add('5Hotkey');
    const { svc } = service(newDb(), net);
    await svc.join(ENTRY.id);
    await settle(svc, () => net.joined.size === 1);
    expect((await membership(svc))?.steps.map((s) => s.state)).toEqual(['skipped', 'done']);
    expect(net.registrations).toBe(0);
  });

  it('after a restart mid-registration, follows the sent transaction instead of sending another', async () => {
    const db = newDb();
    const net = new ScriptedNetwork();
    const first = service(db, net);
    // Stop the first app while its registration is pending.
    net.failNext.push({ method: 'txStatus', error: new AppError('UNAVAILABLE', 'chain down') });
    await first.svc.join(ENTRY.id);
    await settle(first.svc, () => net.registrations === 1);
    expect(net.registrations).toBe(1);

    const second = service(db, net);
    void second.svc.start();
    await settle(second.svc, () => net.joined.size === 1);
    expect((await membership(second.svc))?.state).toBe('joined');
    expect(net.registrations).toBe(1);
  });

  it('retries network faults with backoff, saying so, then completes', async () => {
    const net = new ScriptedNetwork();
    net.failNext.push({ method: 'isRegistered', error: new AppError('UNAVAILABLE', 'The chain is not answering.') });
    net.failNext.push({ method: 'join', error: new AppError('NETWORK_ERROR', 'The hub is not answering.') });
    const { svc, views } = service(newDb(), net);
    await svc.join(ENTRY.id);
    await settle(svc, () => net.joined.size === 1);
    const details = views.flatMap((v) => v.competitions[0]?.membership?.steps.map((s) => s.detail) ?? []);
    expect(details.some((d) => d?.startsWith('The chain is not answering. Trying again in'))).toBe(true);
    expect(details.some((d) => d?.startsWith('The hub is not answering. Trying again in'))).toBe(true);
    expect((await membership(svc))?.state).toBe('joined');
  });

  it('explains a stale-signature refusal as a clock off by minutes, and stops', async () => {
    const net = new ScriptedNetwork();
    net.registered.add('5Hotkey');
    const now = new Date('2026-11-24T10:07:00Z');
    net.failNext.push({ method: 'join', error: new AppError('UNAUTHENTICATED', 'stale signature', { details: { reason: 'stale signature', serverTime: '2026-11-24T10:00:00Z' } }) });
    const { svc } = service(newDb(), net, undefined, () => now);
    await svc.join(ENTRY.id);
    await settle(svc, () => false);
    const m = await membership(svc);
    expect(m?.state).toBe('failed');
    expect(m?.error?.message).toBe("Your computer's clock is off by 7 minutes (ahead) — the network allows 5. Turn on automatic date and time, then press Retry.");
  });

  it('pauses while the wallet is locked and resumes on unlock', async () => {
    const net = new ScriptedNetwork();
    const keyState = { unlocked: true, listeners: [] as (() => void)[] };
    const { svc } = service(newDb(), net, keyState);
    void svc.start();
    await svc.join(ENTRY.id);
    keyState.unlocked = false;
    for (let i = 0; i < 100; i += 1) await new Promise((r) => setTimeout(r, 2));
    const paused = await membership(svc);
    expect(paused?.state).toBe('joining');
    expect(paused?.error?.code).toBe('VAULT_LOCKED');
    keyState.unlocked = true;
    keyState.listeners.forEach((l) => l());
    await settle(svc, () => net.joined.size === 1);
    expect((await membership(svc))?.state).toBe('joined');
  });

  it('refuses to join while locked, and leaves with a signed leave', async () => {
    const net = new ScriptedNetwork();
    const keyState = { unlocked: false, listeners: [] as (() => void)[] };
    const db = newDb();
    const { svc } = service(db, net, keyState);
    await expect(svc.join(ENTRY.id)).rejects.toMatchObject({ code: 'VAULT_LOCKED' });
    keyState.unlocked = true;
    await svc.join(ENTRY.id);
    await settle(svc, () => net.joined.size === 1);
    const { svc: again } = service(db, net, keyState);
    await again.leave(ENTRY.id);
    await settle(again, () => net.joined.size === 0);
    expect((await membership(again))?.state).toBe('left');
  });

  it('joins again with the new hotkey after a rotation, registering it first', async () => {
    const net = new ScriptedNetwork();
    const keyState: KeyState = { unlocked: true, listeners: [], hotkey: '5Hotkey' };
    const db = newDb();
    const { svc } = service(db, net, keyState);
    void svc.start();
    await svc.join(ENTRY.id);
    for (let i = 0; i < 300 && net.joined.size === 0; i += 1) await new Promise((r) => setTimeout(r, 2));
    // The vault rotates: the new hotkey is active, listeners are told.
    keyState.hotkey = '5NewHotkey';
    net.txStatus = () => (net.registered.add('5NewHotkey'), Promise.resolve({ state: 'included' as const }));
    keyState.rotated?.forEach((l) => l());
    await settle(svc, () => net.joined.has('5NewHotkey'));
    const m = await membership(svc);
    expect(m).toMatchObject({ state: 'joined', hotkey: '5NewHotkey' });
    expect(net.registrations).toBe(2);
    const audit = (db.prepare('SELECT actor, action FROM audit_log ORDER BY id').all() as { actor: string; action: string }[]).map((r) => `${r.actor}:${r.action}`);
    expect(audit).toEqual(['user:competitions.join', 'app:competitions.rejoin']);
  });

  it('lists an unreachable network as a view with the reason, not a failure', async () => {
    const db = newDb();
    const svc = new CompetitionsService({
      db,
      audit: new AuditRepo(db),
      log: createLogger({ console: false }).scope('competitions'),
      activeNetwork: () => Promise.reject(new AppError('UNAVAILABLE', 'The practice network is not running.')),
      clientFor: () => new ScriptedNetwork(),
      keys: () => undefined,
      now: () => new Date(),
      onChange: () => undefined,
      flows: engineFor({ unlocked: true, listeners: [] }),
      config: CONFIG,
    });
    await expect(svc.list(true)).resolves.toEqual({ networkId: '', competitions: [], fetchedAt: null, blockMs: null, error: 'The practice network is not running.' });
  });
});

/** The membership flow on the kernel's engine, with the rows read straight from the SQLite file. */
describe('membership flow on the flow engine (real SQLite file)', () => {
  const rowOf = (db: Db) => db.prepare("SELECT state, steps_json, pending_tx, attempts, error_code FROM memberships WHERE competition_id = 'practice-inference'").get() as { state: string; steps_json: string; pending_tx: string | null; attempts: number; error_code: string | null };
  const stepsOf = (db: Db) => (JSON.parse(rowOf(db).steps_json) as { id: string; state: string; detail: string | null }[]).map((s) => `${s.id}:${s.state}`);

  it('resumes at the stored step after an engine restart, without redoing finished steps', async () => {
    const db = newDb();
    const net = new ScriptedNetwork();
    net.registered.add('5Hotkey');
    // The hub is down for the first app: it stops with the join step unfinished.
    for (let i = 0; i < 50; i += 1) net.failNext.push({ method: 'join', error: new AppError('NETWORK_ERROR', 'The hub is not answering.') });
    let checks = 0;
    const isRegistered = net.isRegistered;
    net.isRegistered = (c, h) => ((checks += 1), isRegistered(c, h));
    const first = service(db, net);
    await first.svc.join(ENTRY.id);
    await settle(first.svc, () => rowOf(db).error_code === 'NETWORK_ERROR');
    expect(stepsOf(db)).toEqual(['register:skipped', 'join:active']);
    expect(checks).toBe(1);

    net.failNext.length = 0;
    const second = service(db, net);
    void second.svc.start();
    await settle(second.svc, () => rowOf(db).state === 'joined');
    expect(stepsOf(db)).toEqual(['register:skipped', 'join:done']);
    expect(checks).toBe(1); // the register step was not run again
    expect(rowOf(db)).toMatchObject({ attempts: 0, error_code: null });
  });

  it('follows a pending registration after a restart and never sends it again', async () => {
    const db = newDb();
    const net = new ScriptedNetwork();
    const followed: string[] = [];
    const txStatus = net.txStatus;
    net.txStatus = (txId) => (followed.push(txId), txStatus(txId));
    net.register = (_c, hotkey) => {
      net.registrations += 1;
      net.pendingTx.set('tx-slow', 1_000_000); // the chain takes its time
      void hotkey;
      return Promise.resolve({ txId: 'tx-slow' });
    };
    const first = service(db, net);
    await first.svc.join(ENTRY.id);
    await settle(first.svc, () => followed.length >= 2);
    expect(rowOf(db).pending_tx).toBe('tx-slow');
    expect(stepsOf(db)).toEqual(['register:active', 'join:pending']);

    net.pendingTx.set('tx-slow', 0);
    followed.length = 0;
    const second = service(db, net);
    void second.svc.start();
    await settle(second.svc, () => rowOf(db).state === 'joined');
    expect(net.registrations).toBe(1);
    expect(followed[0]).toBe('tx-slow');
    expect(rowOf(db)).toMatchObject({ state: 'joined', pending_tx: null });
  });

  it('sends a registration again when the chain lost the one that was sent', async () => {
    const db = newDb();
    const net = new ScriptedNetwork();
    const { svc } = service(db, net);
    await svc.join(ENTRY.id);
    for (let i = 0; i < 500 && net.registrations === 0; i += 1) await new Promise((r) => setTimeout(r, 2));
    net.pendingTx.delete('tx-1'); // a chain restart before inclusion: `unknown`
    await settle(svc, () => net.joined.size === 1);
    expect(net.registrations).toBe(2);
    expect(rowOf(db).state).toBe('joined');
  });

  it('waits for the unlock without counting an attempt, saying so in words', async () => {
    const db = newDb();
    const net = new ScriptedNetwork();
    const keyState: KeyState = { unlocked: true, listeners: [] };
    const { svc } = service(db, net, keyState);
    const isRegistered = net.isRegistered;
    // The miner locks the wallet while the registration is on its way: the next look needs the hotkey.
    net.isRegistered = (c, h) => ((keyState.unlocked = false), isRegistered(c, h));
    await svc.join(ENTRY.id);
    for (let i = 0; i < 500 && rowOf(db).error_code !== 'VAULT_LOCKED'; i += 1) await new Promise((r) => setTimeout(r, 2));
    expect(rowOf(db)).toMatchObject({ state: 'joining', attempts: 0, error_code: 'VAULT_LOCKED' });
    const steps = JSON.parse(rowOf(db).steps_json) as { state: string; detail: string | null }[];
    expect(steps[0]).toMatchObject({ state: 'pending', detail: 'Waiting for you to unlock your wallet.' });
    // However long it stays locked, it never fails and never counts.
    for (let i = 0; i < 50; i += 1) await new Promise((r) => setTimeout(r, 2));
    expect(rowOf(db)).toMatchObject({ state: 'joining', attempts: 0 });

    keyState.unlocked = true;
    keyState.listeners.forEach((l) => l());
    await settle(svc, () => net.joined.size === 1);
    expect(rowOf(db)).toMatchObject({ state: 'joined', attempts: 0, error_code: null });
  });
});
