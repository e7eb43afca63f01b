'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: the container has node and nothing else */
/**
 * A word trigram language model with interpolated absolute discounting (a simplified
 * Kneser–Ney), trained at start-up from corpus.txt in this bundle. `infer` continues a prompt by
 * sampling (seeded, so the same request gives the same text) and reports the prompt's perplexity.
 */
const fs = require('node:fs');
const path = require('node:path');

const DISCOUNT = 0.75;
const TOKEN = /[a-z]+(?:'[a-z]+)?|[.,;:!?]/g;

function tokenize(text) {
  return String(text).toLowerCase().match(TOKEN) || [];
}

/** mulberry32: a small seeded PRNG (deterministic sampling). */
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

function train(text) {
  const tokens = ['<s>', '<s>', ...tokenize(text)];
  const uni = new Map();
  const bi = new Map(); // "v" -> Map(w -> count)
  const tri = new Map(); // "u v" -> Map(w -> count)
  const bump = (table, key, w) => {
    let row = table.get(key);
    if (!row) table.set(key, (row = new Map()));
    row.set(w, (row.get(w) || 0) + 1);
  };
  for (let i = 2; i < tokens.length; i += 1) {
    const w = tokens[i];
    uni.set(w, (uni.get(w) || 0) + 1);
    bump(bi, tokens[i - 1], w);
    bump(tri, `${tokens[i - 2]} ${tokens[i - 1]}`, w);
  }
  const total = tokens.length - 2;
  const rowTotals = new Map();
  const sum = (row) => {
    let s = rowTotals.get(row);
    if (s === undefined) {
      s = 0;
      for (const c of row.values()) s += c;
      rowTotals.set(row, s);
    }
    return s;
  };
  const vocab = [...uni.keys()];
  const pUni = (w) => ((uni.get(w) || 0) + 1) / (total + vocab.length + 1);
  const pBi = (v, w) => {
    const row = bi.get(v);
    if (!row) return pUni(w);
    const n = sum(row);
    return Math.max((row.get(w) || 0) - DISCOUNT, 0) / n + ((DISCOUNT * row.size) / n) * pUni(w);
  };
  const pTri = (u, v, w) => {
    const row = tri.get(`${u} ${v}`);
    if (!row) return pBi(v, w);
    const n = sum(row);
    return Math.max((row.get(w) || 0) - DISCOUNT, 0) / n + ((DISCOUNT * row.size) / n) * pBi(v, w);
  };
  const topUnigrams = vocab.sort((a, b) => uni.get(b) - uni.get(a)).slice(0, 50);
  return { uni, bi, tri, total, vocabSize: uni.size, pTri, topUnigrams };
}

function detokenize(tokens, capitaliseFirst) {
  let out = '';
  let capital = capitaliseFirst;
  for (const t of tokens) {
    const punct = /^[.,;:!?]$/.test(t);
    let word = t;
    if (capital && !punct) {
      word = t[0].toUpperCase() + t.slice(1);
      capital = false;
    }
    out += punct || out === '' ? word : ` ${word}`;
    if (/^[.!?]$/.test(t)) capital = true;
  }
  return out;
}

function createModel(options = {}) {
  const dir = options.dir || __dirname;
  const corpus = fs.readFileSync(path.join(dir, 'corpus.txt'), 'utf8');
  const lm = train(corpus);

  const contextOf = (tokens) => {
    const u = tokens.length >= 2 ? tokens[tokens.length - 2] : '<s>';
    const v = tokens.length >= 1 ? tokens[tokens.length - 1] : '<s>';
    return [u, v];
  };

  const perplexity = (tokens) => {
    if (tokens.length === 0) return null;
    let logSum = 0;
    const ctx = ['<s>', '<s>'];
    for (const w of tokens) {
      logSum += Math.log(lm.pTri(ctx[ctx.length - 2], ctx[ctx.length - 1], w));
      ctx.push(w);
    }
    return Math.exp(-logSum / tokens.length);
  };

  return {
    health() {
      return { ok: true, model: 'text-ngram', vocabulary: lm.vocabSize, trainingTokens: lm.total };
    },

    /**
     * params: { prompt: string, maxTokens?: 1..200 (default 40), temperature?: 0.05..2 (0.8),
     *           topK?: 1..100 (20), seed?: integer (1) }
     * result: { completion, tokens, promptPerplexity }
     */
    infer(params) {
      const p = params || {};
      if (typeof p.prompt !== 'string') throw Object.assign(new Error('params.prompt must be a string'), { code: 'INVALID_ARGUMENT' });
      const maxTokens = Math.min(200, Math.max(1, Math.floor(Number(p.maxTokens ?? 40))));
      const temperature = Math.min(2, Math.max(0.05, Number(p.temperature ?? 0.8)));
      const topK = Math.min(100, Math.max(1, Math.floor(Number(p.topK ?? 20))));
      const next = rng(Number.isInteger(p.seed) ? p.seed : 1);
      const promptTokens = tokenize(p.prompt);
      const history = [...promptTokens];
      const generated = [];
      while (generated.length < maxTokens) {
        const [u, v] = contextOf(history);
        const candidates = new Set();
        const triRow = lm.tri.get(`${u} ${v}`);
        if (triRow) for (const w of triRow.keys()) candidates.add(w);
        const biRow = lm.bi.get(v);
        if (biRow) for (const w of biRow.keys()) candidates.add(w);
        if (candidates.size < topK) for (const w of lm.topUnigrams) candidates.add(w);
        const scored = [...candidates].map((w) => [w, lm.pTri(u, v, w)]).sort((a, b) => b[1] - a[1]).slice(0, topK);
        const weights = scored.map(([, pr]) => Math.pow(pr, 1 / temperature));
        const total = weights.reduce((a, b) => a + b, 0);
        let r = next() * total;
        let pick = scored[0][0];
        for (let i = 0; i < scored.length; i += 1) {
          r -= weights[i];
          if (r <= 0) {
            pick = scored[i][0];
            break;
          }
        }
        generated.push(pick);
        history.push(pick);
        if (/^[.!?]$/.test(pick) && generated.length >= 8) break;
      }
      const lastPrompt = promptTokens[promptTokens.length - 1];
      const startsSentence = promptTokens.length === 0 || /^[.!?]$/.test(lastPrompt);
      const text = detokenize(generated, startsSentence);
      const joiner = promptTokens.length === 0 || /^[.,;:!?]/.test(text) ? '' : ' ';
      return { completion: joiner + text, tokens: generated.length, promptPerplexity: perplexity(promptTokens) };
    },

    reset() {
      return { ok: true };
    },
  };
}

module.exports = { createModel, tokenize, train };
