// The checkpoint hasher's worker thread (started by hash-file.ts; plain CommonJS with only Node
// builtins, so the very same file runs from source and, copied by scripts/build.mjs, beside the
// bundles in dist/node/, where it starts its reader from its own file too). Being a worker,
// nothing here touches the main event loop: RPC stays responsive while gigabytes are hashed.
//
// One SHA-256 stream cannot be split, so the win is on the reads: this thread only hashes, while
// a reader thread (this same file, `workerData.reader`) copies the next slots out of the page
// cache into a ring on a SharedArrayBuffer (Atomics.wait/notify hand the slots over). `openssl
// dgst -sha256` — and this file until #18, synchronous 64 KiB reads into one buffer — reads and
// hashes in turn. Until the reader thread has started (~20–45 ms measured), this thread reads for
// itself, so the start-up costs nothing either.
//
// Measured on the 2-CPU dev machine (SHA-NI), 1 GiB page-cached, all variants alternating in one
// process, 7 rounds, medians, at load 8.5 (the machine shared with other work; CPU time of the
// hashing thread is what a quiet machine's wall time follows, since the reader runs beside it):
//   openssl dgst -sha256 (read+hash on one thread)        770 ms CPU
//   64 KiB readSync+hash on one thread (before #18)        792 ms CPU on the thread
//   reads on libuv's pool (fs.read), 256 KiB–1 MiB slots   682–700 ms on the hashing thread
//   this ring, 128 KiB×8 / 256 KiB×4 / 512 KiB×4 / 1 MiB×3  658 / 651 / 636 / 627 ms
// and wall time in the same run 1.10–1.42× openssl's (the 64 KiB loop: 1.00×; on that loaded
// machine two threads also get more CPU than openssl's one, so read the CPU column for a quiet
// one: ~1.15× after the ~25 ms of the thread's start).
// On a quiet machine (load ~1, 2026-12-06 19:48) wall time said otherwise: 512 KiB × 4 was level
// with openssl (0.98×) and the bench gave 0.86×. The hasher reads what the reader's core just
// wrote, and a small ring keeps that cheap — wall time per GiB against openssl's, this file run
// directly from dist/ in plain node, 7 rounds alternating, medians:
//   64 KiB × 2 0.98×, × 4 1.06×; 128 KiB × 2 1.09×, × 3 1.11×, × 4 1.08×, × 8 0.99×;
//   192 KiB × 2 1.13×; 256 KiB × 2 1.14–1.16×, × 3 1.11×, × 4 1.03×, × 8 1.00×;
//   320 KiB × 2 1.16×; 384 KiB × 2 1.13×; 512 KiB × 2 1.10×, × 4 0.98×; 1 MiB × 2 0.97×.
// 256 KiB × 2 is used (hash-file.ts): the whole ring is 512 KiB however large the file.
//
// Kept warm (hash-file.ts, WarmWorkers): a checkpoint is hashed twice within seconds (the publish
// preview, then the submission), and a thread's start costs ~25–35 ms, 3–4 % of a GiB. With
// workerData { warm: true } this thread takes one job per message and keeps its ring and reader
// thread between jobs; otherwise workerData is the one job. Measured at load 1.0 (2026-12-06,
// AMD EPYC, SHA-256 alone 834 ms/GiB, the bench's medians): a fresh thread per hash 1.02–1.06×
// openssl; warm 1.15–1.16× (the thread's start, its JIT warm-up and the reader's start all gone).
//
// A job: { path, everyMs, chunkBytes, depth, ownBytes? } (ownBytes: at most about this much read
// here before waiting for the reader; tests set 0 to send every byte through the ring).
// Messages out: { type: 'progress', done } at most every `everyMs`, then { type: 'done', sha256,
// size }; a failed read throws (the host's 'error' event, with the errno code and syscall kept),
// the reader's too — the thread is then not used again.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (see above) */
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const { MessageChannel, Worker, parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');

// The control block (a SharedArrayBuffer): a double, where the reader starts (files over 2 GiB),
// then Int32 words, then the length read into each slot.
const READY = 0; // 1 once the reader thread runs (reader)
const JOB = 1; // jobs handed to the reader so far; a new value starts the next (hasher)
const FILLED = 2; // slots filled so far in this job (reader; reset by the hasher between jobs)
const EMPTIED = 3; // slots hashed so far in this job (hasher)
const FAILED = 4; // 1: a read threw, its error waits on the port (reader)
const FD = 5; // the job's file descriptor (hasher)
const LENGTHS = 6;

function views(control, ring, chunkBytes, depth) {
  return {
    start: new Float64Array(control, 0, 1),
    words: new Int32Array(control, 8),
    slots: Array.from({ length: depth }, (_, i) => Buffer.from(ring, i * chunkBytes, chunkBytes)),
  };
}

/** Job after job: fills slot after slot from `start`, never more than `depth` ahead of the hasher, until a read returns 0. */
function readerThread({ chunkBytes, depth, ring, control, errors }) {
  const { start, words, slots } = views(control, ring, chunkBytes, depth);
  Atomics.store(words, READY, 1);
  Atomics.notify(words, READY);
  let job = 0;
  for (;;) {
    while (Atomics.load(words, JOB) === job) Atomics.wait(words, JOB, job);
    job = Atomics.load(words, JOB);
    const fd = words[FD];
    let position = start[0];
    try {
      for (let k = 0; ; k += 1) {
        for (;;) {
          const emptied = Atomics.load(words, EMPTIED);
          if (k - emptied < depth) break;
          Atomics.wait(words, EMPTIED, emptied);
        }
        const slot = k % depth;
        const n = readSync(fd, slots[slot], 0, chunkBytes, position);
        position += n;
        words[LENGTHS + slot] = n;
        Atomics.store(words, FILLED, k + 1);
        Atomics.notify(words, FILLED);
        if (n === 0) break;
      }
    } catch (error) {
      // Errors do not keep `code` through postMessage: the fields go as they are.
      errors.postMessage({ message: error.message, code: error.code, errno: error.errno, syscall: error.syscall });
      Atomics.store(words, FAILED, 1);
      Atomics.notify(words, FILLED);
    }
  }
}

/** This thread's ring and reader thread, made by the first job and kept for the next ones. */
let ringState;

function ringFor(chunkBytes, depth) {
  if (ringState && ringState.chunkBytes === chunkBytes && ringState.depth === depth) return ringState;
  if (ringState) void ringState.reader.terminate();
  const ring = new SharedArrayBuffer(chunkBytes * depth);
  const control = new SharedArrayBuffer(8 + 4 * (LENGTHS + depth));
  const { port1: errors, port2: errorsOut } = new MessageChannel();
  // Unref'd so it never holds this thread open; stopped with it. A reader that cannot start
  // never sets READY, and hashJob then reads the whole file itself.
  const reader = new Worker(__filename, { workerData: { reader: true, chunkBytes, depth, ring, control, errors: errorsOut }, transferList: [errorsOut] });
  reader.unref();
  reader.on('error', () => undefined);
  ringState = { chunkBytes, depth, reader, errors, ...views(control, ring, chunkBytes, depth) };
  return ringState;
}

function hashJob({ path, everyMs, chunkBytes, depth, ownBytes = Infinity }) {
  const hash = createHash('sha256');
  const { start, words, slots, errors } = ringFor(chunkBytes, depth);
  const fd = openSync(path, 'r');
  let done = 0;
  let last = Date.now();
  const hashSlot = (slot, n) => {
    hash.update(n === chunkBytes ? slots[slot] : slots[slot].subarray(0, n));
    done += n;
    const now = Date.now();
    if (now - last >= everyMs) {
      last = now;
      parentPort.postMessage({ type: 'progress', done });
    }
  };
  try {
    // Until the reader runs (the first job of a new thread), read here too. If it never starts,
    // this loop simply hashes the whole file, as before #18.
    let ended = false;
    while (!ended && Atomics.load(words, READY) === 0) {
      if (done >= ownBytes) {
        Atomics.wait(words, READY, 0);
        continue;
      }
      const n = readSync(fd, slots[0], 0, chunkBytes, done);
      if (n === 0) ended = true;
      else hashSlot(0, n);
    }
    if (!ended) {
      // The reader waits for the next job (the last one ended with its read of 0 bytes).
      start[0] = done;
      words[FD] = fd;
      Atomics.store(words, FILLED, 0);
      Atomics.store(words, EMPTIED, 0);
      Atomics.add(words, JOB, 1);
      Atomics.notify(words, JOB);
      for (let k = 0; ; k += 1) {
        for (;;) {
          if (Atomics.load(words, FAILED) === 1) {
            const { message } = receiveMessageOnPort(errors);
            throw Object.assign(new Error(message.message), message);
          }
          const filled = Atomics.load(words, FILLED);
          if (filled > k) break;
          Atomics.wait(words, FILLED, filled);
        }
        const slot = k % depth;
        const n = words[LENGTHS + slot];
        if (n === 0) break;
        hashSlot(slot, n);
        Atomics.store(words, EMPTIED, k + 1);
        Atomics.notify(words, EMPTIED);
      }
    }
  } finally {
    closeSync(fd);
  }
  parentPort.postMessage({ type: 'done', sha256: hash.digest('hex'), size: done });
}

if (workerData.reader) readerThread(workerData);
else if (workerData.warm) parentPort.on('message', hashJob);
else hashJob(workerData);
