import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry, LogLevel } from '@shared/contract/logs';
import { LOG_LEVELS } from '@shared/contract/logs';
import { createRedactor, type Redactor } from './redact';

/**
 * Scoped logger: JSON lines to a rotating file in the data dir and to the console, an in-memory
 * ring for `logs.tail`, and listeners for the `logs.appended` event. Every line passes through
 * the redactor before it is stored anywhere.
 */
export interface ScopedLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  scope(name: string): ScopedLogger;
}

export interface Logger {
  scope(name: string): ScopedLogger;
  tail(query: { limit: number; minLevel: LogLevel; scope?: string | undefined }): LogEntry[];
  onEntry(listener: (entry: LogEntry) => void): () => void;
  setLevel(level: LogLevel): void;
  readonly redactor: Redactor;
  close(): void;
}

export interface LoggerOptions {
  /** Folder for `minerva.log` (rotated to minerva.1.log …); omit for no file. */
  dir?: string;
  level?: LogLevel;
  /** Where console lines go; `false` for none. Default: stderr. */
  console?: false | ((line: string) => void);
  homeDir?: string;
  maxFileBytes?: number;
  maxFiles?: number;
  ringSize?: number;
}

const rank = (level: LogLevel) => LOG_LEVELS.indexOf(level);

/** `07:31:06 INFO  core: core started {"host":"headless"}` from a JSON line. */
export function humanLine(jsonLine: string): string {
  const e = JSON.parse(jsonLine) as LogEntry;
  return `${e.ts.slice(11, 19)} ${e.level.toUpperCase().padEnd(5)} ${e.scope}: ${e.msg}${e.fields ? ` ${JSON.stringify(e.fields)}` : ''}\n`;
}

/**
 * Long because it is one closure over the logger's state (ring, file sink, listeners, level) that
 * the returned object's methods share; the pieces (redaction, rotation) live in their own files.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = createRedactor(options.homeDir === undefined ? {} : { homeDir: options.homeDir });
  const maxFileBytes = options.maxFileBytes ?? 5 * 1024 * 1024;
  const maxFiles = options.maxFiles ?? 3;
  const ringSize = options.ringSize ?? 2000;
  // A terminal gets readable lines; a pipe or a service manager gets the same JSON as the file.
  const consoleSink =
    options.console === undefined ? (line: string) => process.stderr.write(process.stderr.isTTY ? humanLine(line) : line) : options.console;
  let level: LogLevel = options.level ?? 'info';
  const ring: LogEntry[] = [];
  const listeners = new Set<(entry: LogEntry) => void>();
  let seq = 0;

  let fd: number | undefined;
  let fileBytes = 0;
  const filePath = options.dir ? join(options.dir, 'minerva.log') : undefined;
  if (options.dir && filePath) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    fd = openSync(filePath, 'a', 0o600);
    fileBytes = fstatSync(fd).size;
  }

  function rotate(): void {
    if (fd === undefined || !options.dir || !filePath) return;
    closeSync(fd);
    const rotated = (i: number) => join(options.dir as string, `minerva.${i}.log`);
    if (existsSync(rotated(maxFiles - 1))) rmSync(rotated(maxFiles - 1));
    for (let i = maxFiles - 2; i >= 1; i -= 1) if (existsSync(rotated(i))) renameSync(rotated(i), rotated(i + 1));
    renameSync(filePath, rotated(1));
    fd = openSync(filePath, 'a', 0o600);
    fileBytes = 0;
  }

  function write(entryLevel: LogLevel, scope: string, msg: string, fields?: Record<string, unknown>): void {
    if (rank(entryLevel) < rank(level)) return;
    seq += 1;
    const entry: LogEntry = { seq, ts: new Date().toISOString(), level: entryLevel, scope, msg: redactor.text(msg) };
    if (fields && Object.keys(fields).length > 0) entry.fields = redactor.value(fields) as Record<string, unknown>;
    const line = `${JSON.stringify(entry)}\n`;
    if (fd !== undefined) {
      if (fileBytes + line.length > maxFileBytes) rotate();
      fileBytes += writeSync(fd, line);
    }
    if (consoleSink) consoleSink(line);
    ring.push(entry);
    if (ring.length > ringSize) ring.splice(0, ring.length - ringSize);
    for (const listener of listeners) {
      try {
        listener(entry);
      } catch {
        // a listener's failure never breaks logging
      }
    }
  }

  function scoped(name: string): ScopedLogger {
    return {
      debug: (msg, fields) => write('debug', name, msg, fields),
      info: (msg, fields) => write('info', name, msg, fields),
      warn: (msg, fields) => write('warn', name, msg, fields),
      error: (msg, fields) => write('error', name, msg, fields),
      scope: (child) => scoped(`${name}.${child}`),
    };
  }

  return {
    scope: scoped,
    redactor,
    tail({ limit, minLevel, scope }) {
      const picked = ring.filter((e) => rank(e.level) >= rank(minLevel) && (scope === undefined || e.scope === scope || e.scope.startsWith(`${scope}.`)));
      return picked.slice(-limit);
    },
    onEntry(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setLevel(next) {
      level = next;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      listeners.clear();
    },
  };
}
