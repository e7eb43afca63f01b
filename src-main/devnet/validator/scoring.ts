/**
 * Check 6 of PROTOCOLS §3 for the demo trainer's checkpoints: the validator's proof of loss. It
 * runs the trainer's own format and loss code (`resources/models/trainer/checkpoint.cjs`,
 * documented in resources/models/README.md, "trainer") loaded at run time, on its own held-out
 * text (`resources/models/heldout/trainer-heldout.txt`), so the validator and the trainer can
 * never disagree about the format.
 *
 * score = max(0, 1 − loss / ln(V)), V = distinct characters of the held-out text + 1 (the
 * "other" class): the uniform model over those characters scores 0, a perfect one 1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface DecodedCheckpoint {
  vocab: string;
  weights: Float32Array;
  step?: unknown;
}

interface CheckpointModule {
  decodeCheckpoint(buf: Buffer): DecodedCheckpoint;
  heldOutLoss(checkpoint: DecodedCheckpoint, text: string): number;
  normalise(text: string): string;
}

export interface Evaluation {
  loss: number;
  score: number;
  vocabSize: number;
}

export class InvalidCheckpoint extends Error {}

export interface Scorer {
  /** Loss of a checkpoint that is at least this good scores 0. */
  readonly referenceLoss: number;
  /** Throws `InvalidCheckpoint` when the bytes are not a checkpoint of the demo format. */
  evaluate(bytes: Buffer): Evaluation;
}

/** `resources/models`: explicit, MINERVA_RESOURCES_DIR, next to the built bundle, or the working directory. */
export function findModelsDir(explicit?: string): string {
  const here = typeof __dirname === 'string' ? __dirname : null;
  const env = process.env.MINERVA_RESOURCES_DIR;
  // Electron's packaged app keeps resources/ in process.resourcesPath (electron.config.ts extraResources).
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    explicit,
    env ? join(env, 'models') : null,
    packaged ? join(packaged, 'resources', 'models') : null,
    here ? join(here, '..', '..', 'resources', 'models') : null,
    here ? join(here, '..', 'resources', 'models') : null,
    join(process.cwd(), 'resources', 'models'),
  ];
  for (const c of candidates) if (c && existsSync(join(c, 'trainer', 'checkpoint.cjs'))) return c;
  throw new Error('The validator needs resources/models (trainer/checkpoint.cjs and heldout/): set MINERVA_RESOURCES_DIR or pass modelsDir.');
}

export function loadScorer(modelsDir?: string): Scorer {
  const dir = findModelsDir(modelsDir);
  const modulePath = join(dir, 'trainer', 'checkpoint.cjs');
  // createRequire keeps the bundler from inlining the file: the scoring code is the trainer's own.
  const checkpoint = createRequire(modulePath)(modulePath) as CheckpointModule;
  const heldOut = checkpoint.normalise(readFileSync(join(dir, 'heldout', 'trainer-heldout.txt'), 'utf8'));
  const referenceLoss = Math.log(new Set(heldOut).size + 1);
  return {
    referenceLoss,
    evaluate(bytes: Buffer): Evaluation {
      let decoded: DecodedCheckpoint;
      try {
        decoded = checkpoint.decodeCheckpoint(bytes);
      } catch (error) {
        throw new InvalidCheckpoint(error instanceof Error ? error.message : 'not a checkpoint');
      }
      const loss = checkpoint.heldOutLoss(decoded, heldOut);
      if (!Number.isFinite(loss)) throw new InvalidCheckpoint('the loss is not a finite number');
      return { loss, score: Math.max(0, 1 - loss / referenceLoss), vocabSize: [...decoded.vocab].length };
    },
  };
}
