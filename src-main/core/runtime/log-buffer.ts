import type { RedactFn } from './types';

/**
 * A model's stderr, kept bounded: split into lines, each line capped and passed through the
 * caller's redactor BEFORE it is stored or shown, the oldest lines dropped past a count and a
 * byte budget. Listeners receive each stored line (the UI streams them).
 */

export interface ModelLogLine {
  seq: number;
  at: string;
  stream: 'stderr' | 'stdout' | 'runtime';
  text: string;
}

export interface LogBufferOptions {
  redact: RedactFn;
  maxLines?: number;
  maxBytes?: number;
  maxLineBytes?: number;
}

export class LogBuffer {
  private readonly lines: ModelLogLine[] = [];
  private bytes = 0;
  private seq = 0;
  private partial = '';
  private readonly listeners = new Set<(line: ModelLogLine) => void>();
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly maxLineBytes: number;
  /** Lines dropped because the buffer was full (shown as a count, never the content). */
  dropped = 0;

  constructor(private readonly options: LogBufferOptions) {
    this.maxLines = options.maxLines ?? 500;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.maxLineBytes = options.maxLineBytes ?? 2048;
  }

  /** Raw bytes from a stream; complete lines are stored, a trailing partial line waits (capped). */
  write(chunk: Buffer | string, stream: ModelLogLine['stream'] = 'stderr'): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > this.maxLineBytes) {
      parts.push(this.partial);
      this.partial = '';
    }
    for (const p of parts) this.append(p, stream);
  }

  /** Flushes a trailing partial line (on exit). */
  flush(stream: ModelLogLine['stream'] = 'stderr'): void {
    if (this.partial) this.append(this.partial, stream);
    this.partial = '';
  }

  append(raw: string, stream: ModelLogLine['stream']): void {
    const trimmed = raw.replace(/\r$/, '');
    if (trimmed === '') return;
    const capped = trimmed.length > this.maxLineBytes ? `${trimmed.slice(0, this.maxLineBytes)}… [${trimmed.length - this.maxLineBytes} more characters cut]` : trimmed;
    let text: string;
    try {
      text = this.options.redact(capped);
    } catch {
      text = '[line withheld: the redactor failed]';
    }
    this.seq += 1;
    const line: ModelLogLine = { seq: this.seq, at: new Date().toISOString(), stream, text };
    this.lines.push(line);
    this.bytes += text.length;
    while (this.lines.length > this.maxLines || this.bytes > this.maxBytes) {
      const old = this.lines.shift();
      if (!old) break;
      this.bytes -= old.text.length;
      this.dropped += 1;
    }
    for (const l of this.listeners) l(line);
  }

  tail(limit = 200, afterSeq = 0): ModelLogLine[] {
    const from = this.lines.filter((l) => l.seq > afterSeq);
    return from.slice(Math.max(0, from.length - limit));
  }

  onLine(listener: (line: ModelLogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
