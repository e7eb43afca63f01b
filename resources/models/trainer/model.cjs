'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: the container has node and nothing else */
/**
 * A small trainer for the checkpoint competition: a character bigram language model (a V×V
 * matrix of logits, softmax per row) trained with Adam on the exact full-batch cross-entropy of
 * train.txt, plus L2. It writes checkpoints in the format of checkpoint.cjs, whose held-out loss
 * a validator can measure without trusting the trainer.
 *
 *   setup({ kwargs: { seed?, lr?, l2?, maxVocab? } })
 *   call({ method: "train", args: [{ steps }] })      → { step, trainLoss }
 *   call({ method: "evaluate", args: [{ text }] })    → { loss }   (nats per character)
 *   call({ method: "checkpoint" })                    → { file, bytes, sha256 } when /out is mounted,
 *                                                       else { bytesB64, bytes, sha256 }
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { encodeCheckpoint, heldOutLoss, indexer, normalise } = require('./checkpoint.cjs');

const OTHER = '\u0000';

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function invalid(message, code = 'INVALID_ARGUMENT') {
  return Object.assign(new Error(message), { code });
}

function createModel(options = {}) {
  const dir = options.dir || __dirname;
  const outDir = options.outDir === undefined ? process.env.MINERVA_OUT_DIR || null : options.outDir;
  const text = normalise(fs.readFileSync(path.join(dir, 'train.txt'), 'utf8'));
  let state = null;

  const lossAndGrad = (s, wantGrad) => {
    const { v, counts, rowTotals, n, w, l2 } = s;
    const grad = wantGrad ? new Float64Array(v * v) : null;
    let loss = 0;
    const p = new Float64Array(v);
    for (let a = 0; a < v; a += 1) {
      if (rowTotals[a] === 0) continue;
      let max = -Infinity;
      for (let b = 0; b < v; b += 1) max = Math.max(max, w[a * v + b]);
      let z = 0;
      for (let b = 0; b < v; b += 1) {
        p[b] = Math.exp(w[a * v + b] - max);
        z += p[b];
      }
      const logZ = max + Math.log(z);
      for (let b = 0; b < v; b += 1) {
        const c = counts[a * v + b];
        if (c > 0) loss += c * (logZ - w[a * v + b]);
        if (grad) grad[a * v + b] = (rowTotals[a] * (p[b] / z) - c) / n;
      }
    }
    loss /= n;
    let reg = 0;
    for (let i = 0; i < w.length; i += 1) {
      reg += w[i] * w[i];
      if (grad) grad[i] += l2 * w[i];
    }
    return { loss, objective: loss + 0.5 * l2 * reg, grad };
  };

  const requireSetup = () => {
    if (!state) throw invalid('call setup first', 'FAILED_PRECONDITION');
  };

  const train = (payload) => {
    requireSetup();
    const steps = Math.min(10_000, Math.max(1, Math.floor(Number((payload && payload.steps) ?? 100))));
    const s = state;
    const b1 = 0.9;
    const b2 = 0.999;
    let last = null;
    for (let k = 0; k < steps; k += 1) {
      last = lossAndGrad(s, true);
      s.step += 1;
      const c1 = 1 - Math.pow(b1, s.step);
      const c2 = 1 - Math.pow(b2, s.step);
      for (let i = 0; i < s.w.length; i += 1) {
        const g = last.grad[i];
        s.m[i] = b1 * s.m[i] + (1 - b1) * g;
        s.u[i] = b2 * s.u[i] + (1 - b2) * g * g;
        s.w[i] -= (s.lr * (s.m[i] / c1)) / (Math.sqrt(s.u[i] / c2) + 1e-8);
      }
    }
    s.trainLoss = lossAndGrad(s, false).loss;
    return { step: s.step, trainLoss: s.trainLoss };
  };

  const snapshot = () => ({
    vocab: state.vocab,
    weights: Float32Array.from(state.w),
    step: state.step,
    trainLoss: state.trainLoss,
    seed: state.seed,
  });

  return {
    health() {
      return { ok: true, model: 'trainer', setUp: state !== null, step: state ? state.step : 0 };
    },
    setup(params) {
      if (state) return { ok: true, alreadySetUp: true, vocabulary: state.v };
      const kw = (params && params.kwargs) || {};
      const seed = Number.isInteger(kw.seed) ? kw.seed : 1;
      const maxVocab = Math.min(256, Math.max(8, Math.floor(Number(kw.maxVocab ?? 96))));
      const freq = new Map();
      for (const ch of text) freq.set(ch, (freq.get(ch) || 0) + 1);
      const kept = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxVocab - 1).map(([ch]) => ch).sort();
      const vocab = OTHER + kept.join('');
      const v = kept.length + 1;
      const idx = indexer(vocab);
      const counts = new Float64Array(v * v);
      const rowTotals = new Float64Array(v);
      const chars = [...text];
      for (let i = 1; i < chars.length; i += 1) {
        const a = idx(chars[i - 1]);
        counts[a * v + idx(chars[i])] += 1;
        rowTotals[a] += 1;
      }
      const r = rng(seed);
      const w = new Float64Array(v * v);
      for (let i = 0; i < w.length; i += 1) w[i] = (r() - 0.5) * 0.02;
      state = {
        v,
        vocab,
        counts,
        rowTotals,
        n: chars.length - 1,
        w,
        m: new Float64Array(v * v),
        u: new Float64Array(v * v),
        lr: Number.isFinite(Number(kw.lr)) && kw.lr !== undefined ? Number(kw.lr) : 0.1,
        l2: Number.isFinite(Number(kw.l2)) && kw.l2 !== undefined ? Number(kw.l2) : 1e-5,
        step: 0,
        seed,
        trainLoss: null,
      };
      state.trainLoss = lossAndGrad(state, false).loss;
      return { ok: true, vocabulary: v, characters: chars.length, trainLoss: state.trainLoss };
    },
    call(params) {
      const method = params && params.method;
      const args = (params && params.args) || [];
      const payload = args.length > 0 ? args[0] : (params && params.kwargs) || {};
      if (method === 'train') return train(payload);
      if (method === 'evaluate') {
        requireSetup();
        if (!payload || typeof payload.text !== 'string') throw invalid('evaluate expects { text }');
        return { loss: heldOutLoss(snapshot(), payload.text) };
      }
      if (method === 'checkpoint') {
        requireSetup();
        const bytes = encodeCheckpoint(snapshot());
        const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
        if (outDir) {
          const file = `checkpoint-${String(state.step).padStart(6, '0')}.bin`;
          fs.writeFileSync(path.join(outDir, file), bytes);
          return { file, bytes: bytes.length, sha256, step: state.step };
        }
        return { bytesB64: bytes.toString('base64'), bytes: bytes.length, sha256, step: state.step };
      }
      throw invalid(`unknown method "${String(method)}"`);
    },
    reset() {
      state = null;
      return { ok: true };
    },
  };
}

module.exports = { createModel };
