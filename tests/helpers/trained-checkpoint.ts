import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from './serve-process';

/**
 * A real checkpoint in the demo trainer's format (resources/models/README.md): the bigram
 * log-counts of the trainer's training text, written by the trainer's own encoder. The practice
 * validator scores it on held-out text like any trained checkpoint.
 */
export function trainedCheckpoint(): Buffer {
  const trainer = join(REPO_ROOT, 'resources', 'models', 'trainer');
  const { encodeCheckpoint } = createRequire(import.meta.url)(join(trainer, 'checkpoint.cjs')) as {
    encodeCheckpoint: (c: { vocab: string; weights: number[]; step: number; trainLoss: number; seed: number }) => Buffer;
  };
  const text = readFileSync(join(trainer, 'train.txt'), 'utf8').replace(/\r\n/g, '\n');
  const vocab = `\u0000${[...new Set(text)].sort().join('').slice(0, 95)}`;
  const v = vocab.length;
  const at = (ch: string | undefined) => Math.max(0, vocab.indexOf(ch ?? ''));
  const counts = new Array<number>(v * v).fill(1);
  for (let i = 1; i < text.length; i += 1) {
    const k = at(text[i - 1]) * v + at(text[i]);
    counts[k] = (counts[k] ?? 1) + 1;
  }
  return encodeCheckpoint({ vocab, weights: counts.map((c) => Math.log(c)), step: 1, trainLoss: 0, seed: 1 });
}
