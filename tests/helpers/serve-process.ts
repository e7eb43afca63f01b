import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'bin', 'minerva.cjs');

export interface ServeHandle {
  url: string;
  /** The address printed at start: it works once (a browser or `connectRpc`, whose cookie is cached). */
  loginUrl: string;
  /** A fresh one-time login address from `minerva serve --print-url` (as a miner gets one). */
  newLoginUrl(): Promise<string>;
  dataDir: string;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export function tempDataDir(prefix = 'minerva-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A `minerva` command (built bundle) to its end. Asynchronous on purpose: a synchronous spawn
 * would stop this process from draining the pipes of the children it runs meanwhile (serve,
 * devnet) or answering them from a server of its own.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `minerva serve --print-url --json` for the serve running with this data folder. */
export function printUrl(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, 'serve', '--print-url', '--json', '--data-dir', dataDir], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`minerva serve --print-url failed: ${stderr || error.message}`));
      resolve((JSON.parse(stdout) as { url: string }).url);
    });
  });
}

/** Starts the real `minerva serve --json` (built bundle) and waits for its address. */
export async function startServe(options: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ServeHandle> {
  const dataDir = options.dataDir ?? tempDataDir();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json', '--data-dir', dataDir, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (out += chunk));
  const first = await new Promise<{ url: string; loginUrl: string }>((resolveStart, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`minerva serve did not start in time:\n${out}`)), 30_000);
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      buffered += chunk;
      const line = buffered.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolveStart(JSON.parse(line) as { url: string; loginUrl: string });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`minerva serve exited with ${code}:\n${out}`));
    });
  });
  return {
    ...first,
    dataDir,
    process: child,
    output: () => out,
    newLoginUrl: () => printUrl(dataDir, options.env),
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
