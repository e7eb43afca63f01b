/**
 * Mining mode through core (issue 16): the idle lock (2 s here, MINERVA_AUTO_LOCK_SECONDS) keeps
 * the work keys, so the real router's jobs go on being answered; "Stop mining" pauses them and
 * says so truthfully; with the opt-in key file a restarted core answers jobs without the password.
 * No phrase or seed ends up in the key file, the logs or the database.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VaultOverview } from '@shared/contract/vault';
import { bip39Seed, substrateMiniSecret } from '@core/vault/derive';
import type { Core } from '@core/create-core';
import { call, completion, COMPETITION, expectedCompletion, joinInference, PASSWORD, startParties, untilStatus, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

async function untilVault(core: Core, check: (o: VaultOverview) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check(await call<VaultOverview>(core, 'vault.status'))) {
    if (Date.now() > deadline) throw new Error('the wallet did not reach the expected state');
    await new Promise((r) => setTimeout(r, 200));
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('mining mode', () => {
  it('answers jobs past the idle lock, stops when mining stops, and resumes after a restart only with the opt-in', async () => {
    parties = await startParties({ env: { MINERVA_AUTO_LOCK_SECONDS: '2' } });
    const { core, network, token, dataDir } = parties;
    const routerUrl = network.endpoints.router!;
    const lockEvents: unknown[] = [];
    core.events.onAny((m) => {
      if (m.event === 'vault.locked') lockEvents.push(m.payload);
    });
    await joinInference(core);
    const { mnemonic } = await call<{ mnemonic: string }>(core, 'vault.revealMnemonic', { password: PASSWORD });
    const needles = [mnemonic, Buffer.from(bip39Seed(mnemonic)).toString('hex'), Buffer.from(substrateMiniSecret(mnemonic)).toString('hex')];

    // idle past the auto-lock: locked, mining on, the worker keeps answering
    await untilVault(core, (o) => o.status.mining);
    expect(lockEvents).toContainEqual({ reason: 'idle', mining: true });
    const overview = await call<VaultOverview>(core, 'vault.status');
    expect(overview.status).toMatchObject({ state: 'locked', mining: true });
    const answer = await completion(routerUrl, token, 'The miller opened the gate', 60);
    expect(answer.status).toBe(200);
    expect(answer.json.output).toBe(expectedCompletion('The miller opened the gate'));
    expect((await untilStatus(core, (s) => s.workers[0]?.state === 'running')).workers[0]?.state).toBe('running');
    await expect(call(core, 'vault.setResumeOnRestart', { enabled: true })).rejects.toThrow(/VAULT_LOCKED/);

    // opt in (needs the password), then restart: mining resumes without it
    await call(core, 'vault.unlock', { password: PASSWORD });
    const optedIn = await call<VaultOverview>(core, 'vault.setResumeOnRestart', { enabled: true });
    expect(optedIn.status.resumeOnRestart).toBe('key-file');
    expect(optedIn.warnings.map((w) => w.id)).toContain('mining-keys-on-disk');
    const keyFile = readFileSync(join(dataDir, 'mining-keys.json'), 'utf8');
    expect(statSync(join(dataDir, 'mining-keys.json')).mode & 0o777).toBe(0o600);
    for (const needle of needles) expect(keyFile.includes(needle)).toBe(false);
    await core.close();
    const restarted = parties.open();
    const after = await call<VaultOverview>(restarted, 'vault.status');
    expect(after.status).toMatchObject({ state: 'locked', mining: true, resumeOnRestart: 'key-file' });
    await untilStatus(restarted, (s) => s.workers.some((w) => w.competitionId === COMPETITION && w.state === 'running'));
    const again = await completion(routerUrl, token, 'Bread and salt', 60);
    expect(again.json.output).toBe(expectedCompletion('Bread and salt'));

    // "Stop mining": jobs wait for the password, in words that do not promise nothing is lost
    const stopped = await call<VaultOverview>(restarted, 'vault.lock', { keepMining: false });
    expect(stopped.status).toMatchObject({ mining: false, resumeOnRestart: 'off' });
    expect(existsSync(join(dataDir, 'mining-keys.json'))).toBe(false);
    const paused = await untilStatus(restarted, (s) => s.workers[0]?.state === 'paused-locked');
    expect(paused.workers[0]?.detail).toMatch(/waiting for your password/i);
    expect(paused.workers[0]?.detail).toMatch(/time out/i);

    // no phrase or seed in any file outside the encrypted vault (key file while it existed, logs, DB)
    for (const path of filesUnder(dataDir)) {
      if (/vault\.json/u.test(path)) continue;
      const text = readFileSync(path).toString('latin1');
      for (const needle of needles) expect(text.includes(needle), `${path} holds the phrase or seed`).toBe(false);
    }
  });
});
