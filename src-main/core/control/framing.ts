import { AppError } from '@shared/contract/errors';

/**
 * NDJSON framing of the control endpoint: one JSON document per line, both ways.
 * Written by hand (a dozen lines) because node:readline has no line-length limit, and a line
 * that never ends must not grow memory without bound.
 */

/** The largest request line: the contract's biggest inputs (a 1 MiB backup, a 200 kB TDX quote) fit. */
export const MAX_LINE_BYTES = 2 * 1024 * 1024;

export interface LineSplitter {
  /** Feeds a chunk; returns the complete lines it finished. Throws TOO_LARGE past the limit. */
  push(chunk: Buffer): string[];
}

export function lineSplitter(maxBytes = MAX_LINE_BYTES): LineSplitter {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  return {
    push(chunk) {
      const lines: string[] = [];
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const part = chunk.subarray(start, nl);
        if (pendingBytes + part.length > maxBytes) throw tooLarge(maxBytes);
        lines.push(Buffer.concat([...pending, part]).toString('utf8').replace(/\r$/u, ''));
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
      }
      const rest = chunk.subarray(start);
      if (pendingBytes + rest.length > maxBytes) throw tooLarge(maxBytes);
      if (rest.length > 0) {
        pending.push(Buffer.from(rest));
        pendingBytes += rest.length;
      }
      return lines;
    },
  };
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('TOO_LARGE', `A request line is longer than ${Math.round(maxBytes / 1024 / 1024)} MiB; the connection is closed.`);
}

/** One JSON document as one line. */
export function frame(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

// ---- The messages (the same envelopes as the headless WebSocket, plus `auth` and `subscribe`) ----

/** First line a client sends: the credential from `<dataDir>/control.token`. */
export interface AuthRequest {
  auth: string;
}

/** Every following request: a contract call (`{id, method, input}`) or `{id, subscribe: true}` for events. */
export interface CallRequest {
  id?: number | string | null;
  method?: unknown;
  input?: unknown;
  subscribe?: boolean;
}

/** What the server says about itself when the credential is right. */
export interface HelloResult {
  pid: number;
  host: string;
  version: string;
}
