import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@shared/contract/errors';
import type { RuntimeService } from '../runtime/runtime.service';
import { findResourcesDir } from '../runtime/runtime.handlers';

/**
 * A checkpoint from the demo trainer (resources/models/trainer): built into a pinned local image,
 * run in a locked-down container (no network, read-only root), trained in chunks so progress can
 * be shown, then saved into `<data dir>/checkpoints/` (mode 600). The container is released after.
 */
export async function trainDemoCheckpoint(options: {
  runtime: RuntimeService;
  dataDir: string;
  competitionId: string;
  steps: number;
  onProgress: (p: { step: number; trainLoss: number | null; detail: string }) => void;
}): Promise<string> {
  const resources = findResourcesDir();
  if (!resources) throw new AppError('NOT_FOUND', 'The demo trainer was not found next to the app (resources/models/trainer). Reinstall Minerva or set MINERVA_RESOURCES_DIR.');
  options.onProgress({ step: 0, trainLoss: null, detail: 'Building the trainer’s image…' });
  const built = await options.runtime.buildBundle(join(resources, 'models', 'trainer'));
  const key = `trainer:${options.competitionId}`;
  options.onProgress({ step: 0, trainLoss: null, detail: 'Starting the trainer’s container…' });
  await options.runtime.ensureRunning({ key, role: { job: key }, image: built.reference, competitionId: options.competitionId });
  try {
    await options.runtime.call(key, 'setup', { kwargs: { seed: Date.now() % 100_000 } });
    const chunk = Math.max(10, Math.ceil(options.steps / 10));
    let done = 0;
    let trainLoss: number | null = null;
    while (done < options.steps) {
      const n = Math.min(chunk, options.steps - done);
      const r = (await options.runtime.call(key, 'call', { method: 'train', args: [{ steps: n }] }, { timeoutMs: 120_000 })) as { step: number; trainLoss: number };
      done += n;
      trainLoss = r.trainLoss;
      options.onProgress({ step: done, trainLoss, detail: `Training: step ${done} of ${options.steps}, loss ${r.trainLoss.toFixed(3)}` });
    }
    const saved = (await options.runtime.call(key, 'call', { method: 'checkpoint' })) as { bytesB64?: string; sha256?: string };
    if (typeof saved.bytesB64 !== 'string') throw new AppError('MODEL_FAILED', 'The trainer did not hand over its checkpoint.');
    const dir = join(options.dataDir, 'checkpoints');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `demo-trainer-step${String(done).padStart(5, '0')}-${Date.now()}.ckpt`);
    writeFileSync(file, Buffer.from(saved.bytesB64, 'base64'), { mode: 0o600 });
    options.onProgress({ step: done, trainLoss, detail: 'Saved the checkpoint.' });
    return file;
  } finally {
    await options.runtime.release(key).catch(() => undefined);
  }
}
