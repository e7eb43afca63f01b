// The proof-of-work solver of subtensor's `register` on a worker thread (started by pow.ts; plain
// ES module, so the same file runs from source and, bundled by scripts/build.mjs with
// @noble/hashes inlined, as dist/node/pow-worker.mjs beside the core bundle). A solve is
// CPU-bound for seconds to hours; as a worker it never touches the main event loop, and the
// host stops it with `terminate()` (cancel).
//
// The seal is subtensor's `create_seal_hash` (pallets/subtensor/src/subnets/registration.rs):
//   pre  = keccak256(block_hash[32] ‖ hotkey_public_key[32])
//   seal = keccak256(sha256(nonce as u64 little-endian[8] ‖ pre[32]))
// and it meets the difficulty when seal (a big-endian u256) × difficulty does not overflow 2^256.
//
// workerData: { blockHash: hex, hotkey: hex (32-byte public key), difficulty: decimal string,
// startNonce: decimal string, everyMs }. Messages out: { type: 'progress', attempts } at most
// every `everyMs`, then { type: 'done', nonce: decimal string, seal: hex, attempts }.
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { keccak_256 } from '@noble/hashes/sha3.js';

const hex = (s) => Buffer.from(s.replace(/^0x/, ''), 'hex');
const { everyMs } = workerData;
const difficulty = BigInt(workerData.difficulty);
const limit = 1n << 256n;
const pre = keccak_256(Buffer.concat([hex(workerData.blockHash), hex(workerData.hotkey)]));
const input = Buffer.alloc(40);
input.set(pre, 8);
let nonce = BigInt(workerData.startNonce);
let attempts = 0;
let last = Date.now();
for (;;) {
  input.writeBigUInt64LE(nonce & 0xffffffffffffffffn, 0);
  const seal = keccak_256(createHash('sha256').update(input).digest());
  attempts += 1;
  if (BigInt(`0x${Buffer.from(seal).toString('hex')}`) * difficulty < limit) {
    parentPort.postMessage({ type: 'done', nonce: nonce.toString(), seal: `0x${Buffer.from(seal).toString('hex')}`, attempts });
    break;
  }
  nonce += 1n;
  if ((attempts & 1023) === 0 && Date.now() - last >= everyMs) {
    last = Date.now();
    parentPort.postMessage({ type: 'progress', attempts });
  }
}
