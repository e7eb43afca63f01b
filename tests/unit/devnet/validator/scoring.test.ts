import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionCanonicalForHash } from '@devnet/validator/blob-store';
import { findModelsDir, InvalidCheckpoint, loadScorer } from '@devnet/validator/scoring';
import { bodySha256Hex } from '@shared/protocol/headers';
import { actionCanonical } from '@shared/protocol/miner-action';

interface CheckpointCjs {
  encodeCheckpoint(c: { vocab: string; weights: ArrayLike<number>; step: number; trainLoss: number; seed: number }): Buffer;
  decodeCheckpoint(buf: Buffer): { vocab: string; weights: Float32Array };
  heldOutLoss(c: { vocab: string; weights: Float32Array }, text: string): number;
}

const models = findModelsDir();
const cjsPath = join(models, 'trainer', 'checkpoint.cjs');
const cjs = createRequire(cjsPath)(cjsPath) as CheckpointCjs;
const heldOut = readFileSync(join(models, 'heldout', 'trainer-heldout.txt'), 'utf8');
const train = readFileSync(join(models, 'trainer', 'train.txt'), 'utf8');

/** Add-one bigram model of train.txt (vocab[0] is the "other" class). */
function bigram(): Buffer {
  const vocab = `\u0000${[...new Set(train)].join('')}`;
  const chars = [...vocab];
  const v = chars.length;
  const idx = new Map(chars.map((c, i) => [c, i]));
  const counts = new Float64Array(v * v).fill(1);
  const text = [...train];
  for (let i = 1; i < text.length; i += 1) counts[(idx.get(text[i - 1]!) ?? 0) * v + (idx.get(text[i]!) ?? 0)]! += 1;
  const weights = new Float32Array(v * v);
  for (let a = 0; a < v; a += 1) {
    let row = 0;
    for (let b = 0; b < v; b += 1) row += counts[a * v + b]!;
    for (let b = 0; b < v; b += 1) weights[a * v + b] = Math.log(counts[a * v + b]! / row);
  }
  return cjs.encodeCheckpoint({ vocab, weights, step: 1, trainLoss: 0, seed: 1 });
}

describe('validator scoring (PROTOCOLS §3 check 6)', () => {
  const scorer = loadScorer();

  it("gives exactly the trainer's own heldOutLoss for a checkpoint made by encodeCheckpoint", () => {
    const bytes = bigram();
    const { loss, score } = scorer.evaluate(bytes);
    expect(loss).toBe(cjs.heldOutLoss(cjs.decodeCheckpoint(bytes), heldOut.replace(/\r\n/g, '\n')));
    expect(loss).toBeGreaterThan(1.5);
    expect(loss).toBeLessThan(3);
    expect(score).toBeCloseTo(1 - loss / scorer.referenceLoss, 12);
  });

  it('scores the uniform model over the held-out characters 0 and a better one more', () => {
    const vocab = `\u0000${[...new Set(heldOut.replace(/\r\n/g, '\n'))].join('')}`;
    const v = [...vocab].length;
    const uniform = scorer.evaluate(cjs.encodeCheckpoint({ vocab, weights: new Float32Array(v * v), step: 0, trainLoss: 0, seed: 0 }));
    expect(uniform.loss).toBeCloseTo(scorer.referenceLoss, 9);
    expect(uniform.score).toBeCloseTo(0, 9);
    expect(scorer.evaluate(bigram()).score).toBeGreaterThan(0.2);
  });

  it('refuses bytes that are not a checkpoint with InvalidCheckpoint', () => {
    expect(() => scorer.evaluate(Buffer.from('not a checkpoint at all'))).toThrow(InvalidCheckpoint);
    const truncated = bigram().subarray(0, 100);
    expect(() => scorer.evaluate(truncated)).toThrow(/size does not match|header length/);
  });
});

describe('blob store signed bytes (PROTOCOLS §4)', () => {
  it('builds from a body hash the same bytes actionCanonical builds from the body', () => {
    const body = new TextEncoder().encode('some checkpoint');
    const target = { netuid: 3, slug: 'practice-checkpoint', method: 'POST', path: '/v1/blobs' };
    const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
    const expected = actionCanonical({ ...target, body }, hotkey, 'ab'.repeat(16), '1700000000');
    expect(actionCanonicalForHash(target, hotkey, 'ab'.repeat(16), '1700000000', bodySha256Hex(body))).toEqual(expected);
    expect(() => actionCanonicalForHash(target, hotkey, 'ab'.repeat(16), '1700000000', 'XYZ')).toThrow(/64 lowercase hex/);
  });
});
