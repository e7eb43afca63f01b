/**
 * Runner enrolment on the kernel's flow engine, with every party real (practice chain, hub and
 * coordinator with its certificate service, core over its SQLite file, the ts-predictor
 * container): a locked wallet pauses only the step that needs it while the runner keeps serving,
 * and after a restart the enrolment resumes at the step the file says.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerView } from '@shared/contract/runner';
import { ChainClient } from '@devnet/chain/chain-client';
import { dockerForTests } from '../runtime/helpers';
import { call, COMPETITION, joinRunner, MODEL, PASSWORD, startParties, untilRunner, type Parties } from './harness';

const env = await dockerForTests();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const stepStates = (r: RunnerView): Record<string, string> => Object.fromEntries(r.steps.map((s) => [s.id, s.state]));

describe.skipIf(env.skip)('runner enrolment as a flow', () => {
  let p: Parties;
  let first: RunnerView;
  const chainRunner = async () => (await new ChainClient(p.network.endpoints.chain).call('chain_getRunner', { competition_id: COMPETITION, model_id: MODEL })).runner!;

  beforeAll(async () => {
    p = await startParties();
    first = await joinRunner(p.core);
  }, 240_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('a locked wallet pauses only the step that needs it: the runner keeps serving at its old address until the unlock', async () => {
    await call(p.core, 'vault.lock');
    const port = await freePort();
    // The new address must go on chain, which needs the runner wallet's signature: the chain step waits.
    // runner.setListen answers once the flow waits for the wallet.
    const waiting = await call<RunnerView>(p.core, 'runner.setListen', { competitionId: COMPETITION, host: '127.0.0.1', port });
    expect(stepStates(waiting)).toEqual({ 'tls-key': 'done', chain: 'pending', certificate: 'done', message: 'done', listen: 'pending' });
    expect(waiting.steps.find((s) => s.id === 'chain')!.detail).toMatch(/unlock/i);
    expect(waiting.state).toBe('serving');
    expect(waiting.detail).toMatch(/unlock your wallet/i);
    // Coordinators still reach it where the chain says it is.
    expect((await chainRunner()).address).toBe(`127.0.0.1:${first.listen.port}`);
    const { results } = await p.coordinator.runRound([{ address: `127.0.0.1:${first.listen.port}`, modelId: MODEL }], { ticks: 2 });
    expect(results[MODEL]!.verdict).toBe('ok');

    await call(p.core, 'vault.unlock', { password: PASSWORD });
    const moved = await untilRunner(p.core, (r) => r.state === 'serving' && r.listen.port === port && r.steps.every((s) => s.state === 'done'));
    expect((await chainRunner()).address).toBe(`127.0.0.1:${port}`);
    expect(moved.certificate!.sha256).toBe(first.certificate!.sha256);
    const again = await p.coordinator.runRound([{ address: `127.0.0.1:${port}`, modelId: MODEL }], { ticks: 2 });
    expect(again.results[MODEL]!.verdict).toBe('ok');
  });

  it('after a restart the enrolment resumes at the stored step: the key is opened (not made again), the chain is followed (nothing sent), the certificate asked for', async () => {
    const before = await untilRunner(p.core, (r) => r.state === 'serving');
    const onChainBefore = await chainRunner();
    let spki = '';
    // The app stops while the certificate step runs (as a crash would leave it).
    const core = await p.restartCore(() => {
      const db = new Database(join(p.dataDir, 'minerva.db'));
      try {
        const row = db.prepare(`SELECT steps_json, tls_spki_sha256 FROM runner_enrolments WHERE competition_id = ?`).get(COMPETITION) as { steps_json: string; tls_spki_sha256: string };
        spki = row.tls_spki_sha256;
        const steps = (JSON.parse(row.steps_json) as { id: string; state: string; detail: string | null }[]).map((s) =>
          s.id === 'certificate' ? { ...s, state: 'running', detail: null } : s.id === 'message' || s.id === 'listen' ? { ...s, state: 'pending' } : s,
        );
        db.prepare(`UPDATE runner_enrolments SET steps_json = ?, cert_pem = NULL WHERE competition_id = ?`).run(JSON.stringify(steps), COMPETITION);
      } finally {
        db.close();
      }
    });
    // Locked: the key must be opened into memory first; the certificate step is pending, not lost.
    const paused = await untilRunner(core, (r) => r.state === 'paused-locked');
    expect(stepStates(paused)).toMatchObject({ 'tls-key': 'pending', certificate: 'pending', message: 'pending', listen: 'pending' });
    expect(paused.certificate).toBeNull();
    await call(core, 'vault.unlock', { password: PASSWORD });
    const serving = await untilRunner(core, (r) => r.state === 'serving' && r.steps.every((s) => s.state === 'done'));
    expect(serving.steps.find((s) => s.id === 'tls-key')!.detail).toMatch(/^Key /); // opened, not "New key"
    expect(serving.certificate!.sha256).not.toBe(before.certificate!.sha256);
    expect(serving.listen.port).toBe(before.listen.port);
    const db = new Database(join(p.dataDir, 'minerva.db'), { readonly: true });
    try {
      expect((db.prepare(`SELECT tls_spki_sha256 FROM runner_enrolments WHERE competition_id = ?`).get(COMPETITION) as { tls_spki_sha256: string }).tls_spki_sha256).toBe(spki);
    } finally {
      db.close();
    }
    // The chain already named this runner: no registration was sent again.
    expect((await chainRunner()).updated_block).toBe(onChainBefore.updated_block);
    const { results } = await p.coordinator.runRound([{ address: `127.0.0.1:${serving.listen.port}`, modelId: MODEL }], { ticks: 2 });
    expect(results[MODEL]!.verdict).toBe('ok');
  });
});
