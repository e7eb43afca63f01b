/**
 * kill -9 the app (`minerva serve`) during runner enrolment — while the chain step runs, then
 * while the server comes up — start it again each time, and check that the enrolment finishes
 * where the file says: one key (never made again), one runner entry on chain at the address the
 * runner serves, and the coordinator's round accepted. The practice network runs in this test's
 * process, so it survives the kills.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerChanged, RunnerView } from '@shared/contract/runner';
import { startPracticeNetwork, type PracticeNetwork } from '@devnet/index';
import { ChainClient } from '@devnet/chain/chain-client';
import { startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { connectRpc, type WsRpc } from '../../helpers/ws-rpc';
import { dockerForTests } from '../runtime/helpers';
import { COMPETITION, MODEL, PASSWORD } from './harness';

const env = await dockerForTests();
const step = (v: RunnerView, id: string): string | undefined => v.steps.find((s) => s.id === id)?.state;

function kill(serve: ServeHandle): Promise<void> {
  return new Promise((resolve) => {
    serve.process.once('exit', () => resolve());
    serve.process.kill('SIGKILL');
  });
}

function spkiOf(dataDir: string): string | null {
  const db = new Database(join(dataDir, 'minerva.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT tls_spki_sha256 FROM runner_enrolments WHERE competition_id = ?`).get(COMPETITION) as { tls_spki_sha256: string | null } | undefined)?.tls_spki_sha256 ?? null;
  } finally {
    db.close();
  }
}

describe.skipIf(env.skip)('runner enrolment survives kill -9', () => {
  let dataDir: string;
  let network: PracticeNetwork;
  let serve: ServeHandle | undefined;
  let rpc: WsRpc | undefined;

  beforeAll(async () => {
    dataDir = tempDataDir('minerva-runner-crash-');
    network = await startPracticeNetwork({ dataDir, blockTimeMs: 150, parties: ['chain', 'hub', 'coordinator'], coordinatorRounds: false });
  }, 120_000);

  afterAll(async () => {
    rpc?.close();
    await serve?.stop();
    await network?.stop();
  });

  it('killed in the chain step, then while the server comes up: one key, one chain entry, serving where the chain says', async () => {
    serve = await startServe({ dataDir });
    rpc = await connectRpc(serve.loginUrl);
    await rpc.call('vault.create', { password: PASSWORD });
    await rpc.call('competitions.list', { refresh: true });
    // From the chain step on, before the certificate is done.
    const inChain = rpc.waitFor<RunnerChanged>('runner.changed', (v) => step(v, 'tls-key') === 'done' && step(v, 'certificate') !== 'done', 120_000);
    await rpc.call('competitions.join', { id: COMPETITION });
    await inChain;
    await kill(serve);
    rpc.close();
    const spki = spkiOf(dataDir);
    expect(spki).toMatch(/^[0-9a-f]{64}$/);

    serve = await startServe({ dataDir });
    rpc = await connectRpc(serve.loginUrl);
    // After the message, while the model container starts and the server binds.
    const inListen = rpc.waitFor<RunnerChanged>('runner.changed', (v) => step(v, 'message') === 'done' && step(v, 'listen') !== 'done', 120_000);
    await rpc.call('vault.unlock', { password: PASSWORD });
    await inListen;
    await kill(serve);
    rpc.close();

    serve = await startServe({ dataDir });
    rpc = await connectRpc(serve.loginUrl);
    const serving = rpc.waitFor<RunnerChanged>('runner.changed', (v) => v.state === 'serving' && v.steps.every((s) => s.state === 'done'), 180_000);
    await rpc.call('vault.unlock', { password: PASSWORD });
    const view = await serving;

    expect(spkiOf(dataDir)).toBe(spki); // the key made before the first kill, opened after each restart
    expect(view.steps.find((s) => s.id === 'tls-key')!.detail).toMatch(/^Key /);
    const entry = (await new ChainClient(network.endpoints.chain).call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!;
    expect(entry).toMatchObject({ wallet_b58: view.wallet, smp_hotkey_b58: view.smpHotkey!.address, address: `127.0.0.1:${view.listen.port}` });
    expect((await network.coordinator!.discoverRunners()).targets).toEqual([{ address: `127.0.0.1:${view.listen.port}`, modelId: MODEL, transport: 'mtls' }]);
    const { results } = await network.coordinator!.runRound([{ address: `127.0.0.1:${view.listen.port}`, modelId: MODEL }], { ticks: 2 });
    expect(results[MODEL]!.verdict).toBe('ok');
  }, 600_000);
});
