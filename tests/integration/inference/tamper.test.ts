/**
 * Tampered inputs end as failed jobs before anything reaches the model: a flipped ciphertext
 * byte, a ciphertext sealed with the right key but another AAD, an unknown `alg`, a key version
 * the router does not hold. The router hears a failure code (its caller gets 502), the job rows
 * say why in words without plaintext, and no model container was ever started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceStatus, JobView } from '@shared/contract/inference';
import { aesGcmEncrypt } from '@shared/protocol/aes-gcm';
import { fromBase64, toBase64 } from '@shared/protocol/encoding';
import { utf8Encode } from '@shared/protocol/runtime';
import type { EncryptedEnvelope } from '@shared/protocol/envelope';
import { deriveScopedKey } from '@shared/protocol/hkdf-keys';
import { call, completion, COMPETITION, expectedCompletion, joinInference, PASSWORD, SESSION, startParties, untilJobs, untilStatus, type Parties } from './harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

describe('tampered inputs', () => {
  it('fail with a code and words, tell the router, and never reach the model', async () => {
    parties = await startParties();
    const { core, network, token } = parties;
    const router = network.router!;
    await joinInference(core);
    await call(core, 'vault.lock');
    await untilStatus(core, (s) => s.workers.some((w) => w.competitionId === COMPETITION && w.state === 'paused-locked'));

    const first = router.repository.nextTaskId(SESSION) + 1;
    const prompts = ['secret prompt alpha', 'secret prompt beta', 'secret prompt gamma', 'secret prompt delta'];
    const answers = Promise.all(prompts.map((p) => completion(network.endpoints.router!, token, p, 30)));
    const tasks = [first, first + 1, first + 2, first + 3];
    while (tasks.some((t) => !router.repository.jobByTask(SESSION, t))) await new Promise((r) => setTimeout(r, 20));

    const envelopeOf = (task: number): { urn: string; env: EncryptedEnvelope } => {
      const urn = router.repository.jobByTask(SESSION, task)!.input_urn;
      return { urn, env: JSON.parse(router.payloads.getText(urn)!) as EncryptedEnvelope };
    };
    const expected = new Map<number, string>();
    // 1. one ciphertext byte flipped
    {
      const { urn, env } = envelopeOf(tasks[0]!);
      const bytes = fromBase64(env.data.ciphertext, 'ciphertext');
      bytes[0] = bytes[0]! ^ 0x01;
      router.payloads.replace(urn, { ...env, data: { ...env.data, ciphertext: toBase64(bytes) } });
      expected.set(tasks[0]!, 'ENVELOPE_INVALID');
    }
    // 2. the right key, but sealed under another scope's AAD
    {
      const { urn, env } = envelopeOf(tasks[1]!);
      const key = deriveScopedKey(router.config.keyring.seeds.get('v1')!, String(SESSION));
      const nonce = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await aesGcmEncrypt(key, nonce, utf8Encode(JSON.stringify({ prompt: 'moved', params: {}, metadata: {} })), utf8Encode('cts:v0:session:999:v1'));
      router.payloads.replace(urn, { ...env, data: { ...env.data, nonce: toBase64(nonce), tag: toBase64(sealed.tag), ciphertext: toBase64(sealed.ciphertext) } });
      expected.set(tasks[1]!, 'ENVELOPE_INVALID');
    }
    // 3. an unknown alg
    {
      const { urn, env } = envelopeOf(tasks[2]!);
      router.payloads.replace(urn, { ...env, data: { ...env.data, alg: 'aes-128-gcm' } } as unknown as EncryptedEnvelope);
      expected.set(tasks[2]!, 'ENVELOPE_INVALID');
    }
    // 4. a key version the router does not hold
    {
      const { urn, env } = envelopeOf(tasks[3]!);
      router.payloads.replace(urn, { ...env, data: { ...env.data, key_version: 'v9' } });
      expected.set(tasks[3]!, 'KEY_RETIRED');
    }

    await call(core, 'vault.unlock', { password: PASSWORD });
    const replies = await answers;
    for (const r of replies) expect(r).toMatchObject({ status: 502, json: { error: { code: 'MINER_FAILED' } } });
    const jobs = await untilJobs(core, (js) => js.length === 4 && js.every((j) => j.state === 'failed'));
    for (const j of jobs) {
      expect(j.error?.code).toBe(expected.get(j.taskId));
      expect(j.steps.find((s) => s.id === 'run')?.ms).toBeNull();
      expect(j.resultUrn).toBeNull();
      for (const p of prompts) expect(j.error?.message).not.toContain(p);
      expect(router.repository.jobByTask(SESSION, j.taskId)).toMatchObject({ state: 'failed', fail_code: expected.get(j.taskId) });
    }
    // Nothing was sent to a model: none was ever started.
    expect((await call<{ containers: unknown[] }>(core, 'runtime.containers')).containers).toEqual([]);
    const status = await call<InferenceStatus>(core, 'inference.status');
    expect(status.stats.totalFailed).toBe(4);

    // The worker goes on: an untouched job is answered.
    const good = await completion(network.endpoints.router!, token, 'An honest prompt', 60);
    expect(good.json.output).toBe(expectedCompletion('An honest prompt'));
    const { jobs: latest } = await call<{ jobs: JobView[] }>(core, 'inference.jobs', { limit: 1 });
    expect(latest[0]?.state).toBe('reported');
    expect((await call<{ containers: unknown[] }>(core, 'runtime.containers')).containers).toHaveLength(1);
  });
});
