import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { frame, lineSplitter, type HelloResult } from '@core/control/framing';
import { controlPaths } from '@core/control/paths';
import type { MethodInput, MethodName, MethodOutput, RpcEventMessage, RpcReply } from '@shared/contract';
import { APP_ERROR_CODES, AppError, type AppErrorCode } from '@shared/contract/errors';

/**
 * The CLI's client of a running app's control endpoint (src-main/core/control): NDJSON over the
 * data folder's Unix socket (a named pipe on Windows), authenticated with the credential the app
 * wrote to `<dataDir>/control.token`. Replies are the contract's envelopes.
 */
export interface AppConnection {
  readonly hello: HelloResult;
  call<K extends MethodName>(method: K, input: MethodInput<K>): Promise<MethodOutput<K>>;
  /** Starts the app's event stream on this connection. */
  subscribe(listener: (message: RpcEventMessage) => void): Promise<() => void>;
  close(): void;
}

/** Replies can be large (20,000 jobs); still bounded. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;

interface Wire {
  type?: string;
  id?: unknown;
  reply?: RpcReply;
  event?: string;
  payload?: unknown;
}

function toAppError(body: { code: string; message: string }): AppError {
  const known = (APP_ERROR_CODES as readonly string[]).includes(body.code);
  return new AppError(known ? (body.code as AppErrorCode) : 'INTERNAL', body.message);
}

export function readCredential(dataDir: string): string | undefined {
  const { credentialPath } = controlPaths(dataDir);
  if (!existsSync(credentialPath)) return undefined;
  return readFileSync(credentialPath, 'utf8').trim();
}

/** Connects and presents the credential; rejects with UNAUTHENTICATED / UNAVAILABLE. */
export function connectToApp(dataDir: string, credential: string | undefined): Promise<AppConnection> {
  const { socketPath } = controlPaths(dataDir);
  return new Promise((resolveConnection, rejectConnection) => {
    const socket: Socket = connect(socketPath);
    const splitter = lineSplitter(MAX_REPLY_BYTES);
    const pending = new Map<number, { resolve: (reply: RpcReply) => void; reject: (error: AppError) => void }>();
    const listeners = new Set<(message: RpcEventMessage) => void>();
    let nextId = 0;
    let hello: HelloResult | undefined;
    let closedError = new AppError('UNAVAILABLE', 'The running app closed the connection. Is it still running? Try again.');

    const request = (body: Record<string, unknown>): Promise<RpcReply> =>
      new Promise((resolveReply, rejectReply) => {
        if (socket.destroyed) return rejectReply(closedError);
        const id = (nextId += 1);
        pending.set(id, { resolve: resolveReply, reject: rejectReply });
        socket.write(frame({ id, ...body }));
      });

    const onMessage = (message: Wire) => {
      if (message.type === 'event' && typeof message.event === 'string') {
        for (const listener of listeners) listener({ event: message.event, payload: message.payload });
        return;
      }
      const waiting = typeof message.id === 'number' ? pending.get(message.id) : undefined;
      if (waiting && message.reply) {
        pending.delete(message.id as number);
        waiting.resolve(message.reply);
      } else if (message.reply && !message.reply.ok) {
        // A refusal without an id (malformed or oversized line): it ends the connection.
        closedError = toAppError(message.reply.error);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of splitter.push(chunk)) if (line) onMessage(JSON.parse(line) as Wire);
      } catch {
        closedError = new AppError('INTERNAL', 'The running app sent a reply this CLI cannot read (a different version?).');
        socket.destroy();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      closedError = new AppError('UNAVAILABLE', `The running app's control socket does not answer (${error.code ?? error.message}).`);
    });
    socket.on('close', () => {
      for (const waiting of pending.values()) waiting.reject(closedError);
      pending.clear();
      if (!hello) rejectConnection(closedError);
    });

    socket.once('connect', () => {
      void request({ auth: credential ?? '' }).then(
        (reply) => {
          if (!reply.ok) {
            socket.destroy();
            rejectConnection(toAppError(reply.error));
            return;
          }
          hello = reply.result as HelloResult;
          const connected: AppConnection = {
            hello,
            async call(method, input) {
              const reply = await request({ method, input });
              if (!reply.ok) throw toAppError(reply.error);
              return reply.result as MethodOutput<typeof method>;
            },
            async subscribe(listener) {
              listeners.add(listener);
              if (listeners.size === 1) {
                const reply = await request({ subscribe: true });
                if (!reply.ok) throw toAppError(reply.error);
              }
              return () => listeners.delete(listener);
            },
            close() {
              socket.end();
            },
          };
          resolveConnection(connected);
        },
        (error: AppError) => rejectConnection(error),
      );
    });
  });
}
