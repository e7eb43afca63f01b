import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { arch, cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync, type Zippable } from 'fflate';
import type { DiagnosticsBundle } from '@shared/contract/diagnostics';
import { isAppError } from '@shared/contract/errors';
import type { Redactor } from '../log/redact';

/**
 * The diagnostics bundle: one zip a miner can attach to a support request. It holds what the UI
 * can already see (the contract's read-only answers), the log files, versions and health — each
 * passed through the log redactor again as it is written, so that a log line written before a
 * redaction rule existed, or a field a feature forgot to hide, does not leave the machine. It
 * never reads the wallet file, the database file or the control token.
 */

/** What goes into the bundle, in the order its README lists it. */
export interface DiagnosticsSources {
  redactor: Redactor;
  /** Folder of minerva.log and its rotations. */
  logsDir: string;
  now: Date;
  /** A contract method's answer (or the error it gave, in words). */
  read(method: string, input?: unknown): Promise<unknown>;
  /** Facts the contract does not carry (configuration, flow states), already plain data. */
  extra: Record<string, () => unknown>;
}

/** At most this much of the end of each log file (the newest lines). */
export const LOG_TAIL_BYTES = 4 * 1024 * 1024;
const LOG_FILES = ['minerva.log', 'minerva.1.log', 'minerva.2.log', 'minerva.3.log'];

const README = `Minerva diagnostics
===================

Made by Minerva for a support request. Everything here was redacted on this computer: recovery
phrases, keys, seeds, passwords, tokens, signatures, prompts and outputs are replaced by
[redacted…], and your home folder by ~. It does not contain your wallet file or your database.
Look through it before you send it.

versions.json   app, runtime and operating system versions
settings.json   settings and configuration (values and where they came from)
health.json     health checks, wallet lock state and key-safety warnings, the earning checklist
engine.json     the Docker engine, model images and containers, TEE checks
activity.json   competitions, recent inference jobs, checkpoint submissions, runners, flows
logs/           the newest lines of the app's log files
`;

/** The last `max` bytes of a file, starting at a whole line. */
function tail(path: string, max: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - max);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    const text = buf.toString('utf8');
    return start === 0 ? text : text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
}

/** Each JSON line redacted field by field (msg as text); anything else redacted as text. */
export function redactLogText(text: string, redactor: Redactor): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.trim() === '') return line;
      try {
        return JSON.stringify(redactor.value(JSON.parse(line)));
      } catch {
        return redactor.text(line);
      }
    })
    .join('\n');
}

async function section(sources: DiagnosticsSources, reads: Record<string, [string, unknown?]>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, [method, input]] of Object.entries(reads)) out[name] = await sources.read(method, input);
  return out;
}

function json(value: unknown, redactor: Redactor): Uint8Array {
  return strToU8(`${JSON.stringify(redactor.value(value), null, 2)}\n`);
}

function extra(sources: DiagnosticsSources, name: string): unknown {
  try {
    return sources.extra[name]?.();
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export async function buildDiagnostics(sources: DiagnosticsSources): Promise<DiagnosticsBundle> {
  const { redactor } = sources;
  const createdAt = sources.now.toISOString();
  const versions = {
    app: await sources.read('app.info'),
    os: { type: osType(), release: release(), arch: arch(), cpus: cpus().length, memoryMiB: Math.round(totalmem() / 1024 / 1024) },
    runtime: { node: process.versions.node, v8: process.versions.v8, electron: process.versions.electron ?? null, openssl: process.versions.openssl },
  };
  const settings = { settings: await sources.read('settings.get'), configuration: extra(sources, 'configuration') };
  const health = await section(sources, { app: ['app.health'], wallet: ['vault.status'], earning: ['rewards.get', { range: 'day' }] });
  const engine = await section(sources, { docker: ['runtime.status'], images: ['runtime.images'], containers: ['runtime.containers'], tee: ['runtime.teeChecks'] });
  const activity = {
    ...(await section(sources, {
      networks: ['networks.list'],
      competitions: ['competitions.list', { refresh: false }],
      inference: ['inference.status'],
      jobs: ['inference.jobs', { limit: 100 }],
      checkpoints: ['checkpoints.list'],
      runners: ['runner.status'],
    })),
    flows: extra(sources, 'flows'),
  };

  const files: Zippable = {
    'README.txt': strToU8(README),
    'versions.json': json(versions, redactor),
    'settings.json': json(settings, redactor),
    'health.json': json(health, redactor),
    'engine.json': json(engine, redactor),
    'activity.json': json(activity, redactor),
  };
  for (const name of LOG_FILES) {
    const path = join(sources.logsDir, name);
    if (existsSync(path)) files[`logs/${name}`] = strToU8(redactLogText(tail(path, LOG_TAIL_BYTES), redactor));
  }
  const mtime = sources.now;
  const zip = zipSync(files, { level: 6, mtime });
  return {
    fileName: `minerva-diagnostics-${createdAt.slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.zip`,
    createdAt,
    zipBase64: Buffer.from(zip).toString('base64'),
    bytes: zip.length,
    files: Object.entries(files).map(([name, data]) => ({ name, bytes: (data as Uint8Array).length })),
  };
}

/** A contract answer for the bundle: the result, or what went wrong in words (never thrown). */
export async function readForBundle(call: () => Promise<unknown>, timeoutMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ error: string }>((resolve) => {
    timer = setTimeout(() => resolve({ error: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (error) {
    return { error: isAppError(error) ? { code: error.code, message: error.message } : { message: error instanceof Error ? error.message : String(error) } };
  } finally {
    clearTimeout(timer);
  }
}
