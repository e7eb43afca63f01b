'use strict';
/**
 * Checkpoint format and loss of the demo trainer (a character bigram language model), shared by
 * the trainer and by anyone who validates its checkpoints (documented in ../README.md).
 *
 * File layout (all little-endian):
 *   bytes 0..7   magic "MNVCKPT1"
 *   bytes 8..11  uint32 H: length of the header
 *   next H bytes UTF-8 JSON header:
 *                { "format": "minerva-char-bigram", "version": 1, "vocab": "<V characters>",
 *                  "step": n, "trainLoss": x, "seed": s }
 *                vocab[0] is the "other" class: any character not in vocab maps to index 0.
 *   then V*V float32: logits W, row-major, W[prev * V + next].
 *
 * Loss (what a validator measures on held-out text): the mean negative log-likelihood, in nats
 * per character, of each character given the previous one,
 *   L = -(1 / (n - 1)) * sum_{i=1}^{n-1} log softmax(W[x_{i-1}])[x_i],
 * after normalising the text (CRLF → LF). Lower is better; a uniform model scores ln(V).
 */

const MAGIC = Buffer.from('MNVCKPT1', 'ascii');
const FORMAT = 'minerva-char-bigram';

function encodeCheckpoint({ vocab, weights, step, trainLoss, seed }) {
  const v = vocab.length;
  if (weights.length !== v * v) throw new Error('weights must have V*V entries');
  const header = Buffer.from(JSON.stringify({ format: FORMAT, version: 1, vocab, step, trainLoss, seed }), 'utf8');
  const out = Buffer.alloc(8 + 4 + header.length + v * v * 4);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  const base = 12 + header.length;
  for (let i = 0; i < weights.length; i += 1) out.writeFloatLE(weights[i], base + i * 4);
  return out;
}

function decodeCheckpoint(buf) {
  if (!Buffer.isBuffer(buf) || buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw new Error('not a Minerva checkpoint (bad magic)');
  const h = buf.readUInt32LE(8);
  if (h > 1024 * 1024 || 12 + h > buf.length) throw new Error('checkpoint header length is out of range');
  const header = JSON.parse(buf.subarray(12, 12 + h).toString('utf8'));
  if (header.format !== FORMAT || header.version !== 1) throw new Error(`unsupported checkpoint format ${header.format} v${header.version}`);
  const vocab = String(header.vocab);
  const v = [...vocab].length;
  if (v < 2 || v > 512) throw new Error('checkpoint vocabulary size is out of range');
  if (buf.length !== 12 + h + v * v * 4) throw new Error('checkpoint size does not match its vocabulary');
  const weights = new Float32Array(v * v);
  for (let i = 0; i < weights.length; i += 1) {
    const w = buf.readFloatLE(12 + h + i * 4);
    if (!Number.isFinite(w)) throw new Error('checkpoint holds a non-finite weight');
    weights[i] = w;
  }
  return { ...header, vocab, weights };
}

function indexer(vocab) {
  const chars = [...vocab];
  const map = new Map(chars.map((c, i) => [c, i]));
  return (ch) => map.get(ch) ?? 0;
}

function normalise(text) {
  return String(text).replace(/\r\n/g, '\n');
}

/** Mean NLL in nats per character of `text` under the checkpoint (see the header comment). */
function heldOutLoss(checkpoint, text) {
  const chars = [...normalise(text)];
  if (chars.length < 2) throw new Error('held-out text needs at least two characters');
  const v = [...checkpoint.vocab].length;
  const idx = indexer(checkpoint.vocab);
  const w = checkpoint.weights;
  const logZ = new Float64Array(v);
  for (let a = 0; a < v; a += 1) {
    let max = -Infinity;
    for (let b = 0; b < v; b += 1) max = Math.max(max, w[a * v + b]);
    let s = 0;
    for (let b = 0; b < v; b += 1) s += Math.exp(w[a * v + b] - max);
    logZ[a] = max + Math.log(s);
  }
  let nll = 0;
  let prev = idx(chars[0]);
  for (let i = 1; i < chars.length; i += 1) {
    const cur = idx(chars[i]);
    nll += logZ[prev] - w[prev * v + cur];
    prev = cur;
  }
  return nll / (chars.length - 1);
}

module.exports = { encodeCheckpoint, decodeCheckpoint, heldOutLoss, indexer, normalise, FORMAT };
