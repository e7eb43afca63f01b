/**
 * Demo traffic: the router sends completions to its private session at a steady pace, a miner
 * written in the test serves them, and the generator never keeps more than `maxInFlight` waiting.
 */
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterNode } from '@devnet/router/router-server';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { parsePrivateKey } from '@shared/protocol/eip191';
import { decryptEnvelope, parseEnvelope, type EncryptedEnvelope } from '@shared/protocol/envelope';
import { TestMiner } from './miner-client';

useNodeCryptoAesGcm(nodeCrypto);

const MINER_KEY = parsePrivateKey(`0x${'51'.repeat(32)}`);
const PROMPTS = ['demo prompt one', 'demo prompt two'];
let dataDir: string;
let router: RouterNode;
const answered: (() => void)[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-router-demo-'));
  const miner = new TestMiner('', MINER_KEY);
  const onLog = (message: string, fields?: Record<string, unknown>): void => {
    if (message === 'demo completion' && fields?.status === 200) answered.shift()?.();
  };
  router = new RouterNode({
    dataDir,
    chainUrl: null,
    sessions: [{ session_id: 101, private: true, competition_id: 'practice-inference' }],
    env: { ENCRYPTION_SEED: '55'.repeat(32), ROUTER_API_TOKENS: 'demo-test-token-0123456789', ENCRYPTION_ALLOWED_LIST: `101:${miner.address}` },
    demoTraffic: { intervalMs: 40, maxInFlight: 2, timeoutS: 30, prompts: PROMPTS },
    log: { info: onLog, warn: onLog, error: onLog },
  });
  await router.start();
});

afterAll(async () => {
  await router.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('demo traffic', () => {
  it('sends encrypted demo prompts that a practice miner sees and answers', async () => {
    const miner = new TestMiner(router.url, MINER_KEY);
    const threeAnswered = Promise.all([0, 1, 2].map(() => new Promise<void>((resolve) => answered.push(resolve))));
    // Before anyone serves, the generator keeps at most two completions waiting.
    const first = (await miner.poll(5, 10)).jobs;
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(2);
    const seen: string[] = [];
    for (const job of first) {
      const input = parseEnvelope(await miner.getEnvelope(job.input_urn)) as EncryptedEnvelope;
      expect(input.payload_type).toBe('encrypted');
      seen.push(String((await decryptEnvelope(await miner.keyFor(input), input)).prompt));
      expect((await miner.report(job.job_id, await miner.compute(job))).status).toBe(200);
    }
    const stop = new AbortController();
    const loop = miner.loop(stop.signal);
    await threeAnswered;
    stop.abort();
    await loop;
    expect(seen.every((p) => PROMPTS.includes(p))).toBe(true);
    expect(router.demo!.stats.answered).toBeGreaterThanOrEqual(3);
    expect(router.demo!.stats.sent).toBeGreaterThanOrEqual(3);
  });
});
