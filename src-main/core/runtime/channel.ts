import { AppError } from '@shared/contract/errors';

/**
 * The model channel of PROTOCOLS §7: JSON lines over the container's stdio. Each request is
 * `{"id","method","params"}`, each reply `{"id","result"}` or `{"id","error":{"code","message"}}`.
 * Requests carry ids so replies can come back in any order; each call has its own timeout; every
 * message, in either direction, is capped in size. Payloads (decrypted inputs, model outputs)
 * live only in memory here and are never logged.
 *
 * The channel knows nothing about Docker: it reads bytes and writes lines, so the same code
 * drives a container and an in-process model (tests, benchmark).
 */

export const MODEL_METHODS = ['health', 'infer', 'setup', 'call', 'reset'] as const;
export type ModelMethod = (typeof MODEL_METHODS)[number];

export interface ChannelOptions {
  /** Writes one line (already ending in "\n") to the model's stdin. */
  send: (line: string) => void;
  maxMessageBytes: number;
  defaultTimeoutMs: number;
  /** The stream broke the protocol (an oversized or unframed message): the caller should restart the model. */
  onFatal?: (err: AppError) => void;
  /** A line that is not a reply (models should log to stderr; this is kept as a log line). */
  onStray?: (line: string) => void;
  /** A request timed out: the model may be hung. */
  onTimeout?: (method: string) => void;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ModelChannel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private parts: Buffer[] = [];
  private partBytes = 0;
  private discarding = false;
  private closedWith: Error | null = null;

  constructor(private readonly options: ChannelOptions) {}

  get inFlight(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Feeds bytes from the model's stdout. */
  feed(chunk: Buffer): void {
    const max = this.options.maxMessageBytes;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) {
        if (start < chunk.length && !this.discarding) {
          const rest = chunk.subarray(start);
          this.parts.push(rest);
          this.partBytes += rest.length;
          if (this.partBytes > max) this.oversized();
        }
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (this.partBytes + piece.length > max) {
        this.oversized();
        this.discarding = false;
        continue;
      }
      const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.parts = [];
      this.partBytes = 0;
      this.handleLine(line.toString('utf8'));
    }
  }

  private oversized(): void {
    this.parts = [];
    this.partBytes = 0;
    this.discarding = true;
    const err = new AppError('TOO_LARGE', `The model sent a message larger than ${this.options.maxMessageBytes} bytes; it was dropped and the model will be restarted.`);
    this.failAll(err);
    this.options.onFatal?.(err);
  }

  private handleLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.options.onStray?.(line);
      return;
    }
    if (typeof msg !== 'object' || msg === null || !('id' in msg) || typeof msg.id !== 'number') {
      this.options.onStray?.(line);
      return;
    }
    const entry = this.pending.get(msg.id);
    if (!entry) return; // a late reply to a call that already timed out
    this.pending.delete(msg.id);
    clearTimeout(entry.timer);
    if ('error' in msg && msg.error !== undefined && msg.error !== null) {
      const e = msg.error as { code?: unknown; message?: unknown };
      const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code).slice(0, 64) : 'ERROR';
      const message = typeof e.message === 'string' ? e.message.slice(0, 300) : 'no message';
      entry.reject(new AppError('MODEL_FAILED', `The model could not handle "${entry.method}": ${code}: ${message}`, { details: { modelCode: code } }));
      return;
    }
    entry.resolve('result' in msg ? msg.result : null);
  }

  /** Sends a request and waits for its reply (or the timeout). */
  request(method: string, params: unknown = null, options: CallOptions = {}): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    let line: string;
    try {
      line = `${JSON.stringify({ id, method, params })}\n`;
    } catch {
      return Promise.reject(new AppError('VALIDATION', `The input for "${method}" cannot be sent to the model (it is not JSON).`));
    }
    if (Buffer.byteLength(line) > this.options.maxMessageBytes) {
      return Promise.reject(new AppError('TOO_LARGE', `The input for "${method}" is larger than the ${this.options.maxMessageBytes}-byte message limit; it was not sent.`));
    }
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        reject(new AppError('TIMEOUT', `The model did not answer "${method}" within ${timeoutMs} ms; it may be stuck and will be restarted.`));
        this.options.onTimeout?.(method);
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      if (options.signal) {
        const onAbort = () => {
          const p = this.pending.get(id);
          if (!p) return;
          this.pending.delete(id);
          clearTimeout(p.timer);
          reject(new AppError('UNAVAILABLE', `The call "${method}" was cancelled.`));
        };
        if (options.signal.aborted) onAbort();
        else options.signal.addEventListener('abort', onAbort, { once: true });
      }
      try {
        this.options.send(line);
      } catch (err) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new AppError('MODEL_FAILED', `The model's input stream is closed (${(err as Error).message}).`));
      }
    });
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  /** Rejects everything in flight and refuses new requests. */
  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.parts = [];
    this.partBytes = 0;
    this.failAll(err);
  }
}

/**
 * Docker's multiplexed attach stream (no TTY): 8-byte frame headers [type, 0, 0, 0, size BE32]
 * followed by the payload; type 1 is stdout, 2 stderr. Our own small demuxer, so frames can be
 * handed on without copying and a broken header fails loudly instead of passing through.
 */
export function createDemuxer(onStdout: (b: Buffer) => void, onStderr: (b: Buffer) => void, onError: (err: Error) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let frameType = -1;
  let frameLeft = 0;
  let broken = false;
  return (chunk: Buffer) => {
    if (broken) return;
    let buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    pending = Buffer.alloc(0);
    while (buf.length > 0) {
      if (frameLeft === 0) {
        if (buf.length < 8) {
          pending = Buffer.from(buf);
          return;
        }
        const type = buf[0]!;
        if (type !== 1 && type !== 2 && type !== 0) {
          broken = true;
          onError(new Error('the container output stream is not in Docker\'s multiplexed format'));
          return;
        }
        frameType = type;
        frameLeft = buf.readUInt32BE(4);
        buf = buf.subarray(8);
        continue;
      }
      const n = Math.min(frameLeft, buf.length);
      const payload = buf.subarray(0, n);
      frameLeft -= n;
      buf = buf.subarray(n);
      if (frameType === 2) onStderr(payload);
      else onStdout(payload);
    }
  };
}
