import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsProvider } from '@polkadot/api';
import { REPO_ROOT } from './serve-process';

/**
 * The real subtensor runtime (spec 218, tests/fixtures/subtensor) executed by
 * `@acala-network/chopsticks` on 127.0.0.1 with a port the OS picks. Start it once per test file
 * (`beforeAll`): a cold start takes 10–15 s on the 2-core build machine, about 4 s warm.
 *
 * State lives in memory and starts from the clean genesis each time. Blocks are built as soon as
 * a transaction reaches the pool (Instant mode); `newBlocks(n)` advances the chain without one.
 */
export const SUBTENSOR_SPEC = join(REPO_ROOT, 'tests', 'fixtures', 'subtensor', 'raonet.json');
const CHOPSTICKS_BIN = join(REPO_ROOT, 'node_modules', '@acala-network', 'chopsticks', 'chopsticks.cjs');

const WATCHDOG = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, process.argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
const stop = () => { child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 5000).unref(); };
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`;

/** 1 TAO in rao (9 decimals). */
export const TAO = 1_000_000_000n;

export interface ChopsticksChain {
  /** ws://127.0.0.1:<port> */
  url: string;
  /** Everything chopsticks wrote so far (for failure messages). */
  output(): string;
  /** Raw dev RPC (`dev_setStorage`, `dev_newBlock`, …). */
  rpc<T = unknown>(method: string, params: unknown[]): Promise<T>;
  /** One `dev_setStorage`: free balances (rao) for each address, and the sudo key when given. */
  fund(balances: Record<string, bigint>, sudo?: string): Promise<void>;
  /** Builds `count` empty blocks; returns the new head's number. */
  newBlocks(count: number): Promise<number>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Give up (and kill the process) when the RPC is not listening by then. Default 90 s. */
  startTimeoutMs?: number;
  buildBlockMode?: 'Instant' | 'Manual' | 'Batch';
}

export async function startChopsticks(options: StartOptions = {}): Promise<ChopsticksChain> {
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const dir = mkdtempSync(join(tmpdir(), 'minerva-chopsticks-'));
  const config = join(dir, 'subtensor.yml');
  writeFileSync(
    config,
    [
      `genesis: ${JSON.stringify(SUBTENSOR_SPEC)}`,
      'host: 127.0.0.1',
      'port: 0',
      `build-block-mode: ${options.buildBlockMode ?? 'Instant'}`,
      'allow-unresolved-imports: true',
      'runtime-log-level: 0',
      '',
    ].join('\n'),
  );
  // Through a watchdog that ends chopsticks when its stdin closes: if this test process dies
  // without calling stop(), the pipe closes and no 300 MB chopsticks is left behind.
  const child = spawn(process.execPath, ['-e', WATCHDOG, CHOPSTICKS_BIN, '--config', config], {
    cwd: dir,
    env: { ...process.env, LOG_LEVEL: 'info', NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });

  let url: string;
  try {
    url = await new Promise<string>((resolveStart, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`chopsticks (subtensor spec 218) did not listen on 127.0.0.1 within ${startTimeoutMs / 1000} s. Its output:\n${out.slice(-4000)}`));
      }, startTimeoutMs);
      const onData = (chunk: string) => {
        out += chunk;
        const match = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolveStart(`ws://127.0.0.1:${match[1]}`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`chopsticks could not be started (${error.message}); run npm ci to install the dev dependencies.`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`chopsticks exited (${code ?? signal}) before listening. Its output:\n${out.slice(-4000)}`));
      });
    });
  } catch (error) {
    await kill(child);
    cleanup();
    throw error;
  }

  const provider = new WsProvider(url, 1_000, {}, 60_000);
  await provider.isReady;
  const rpc = <T>(method: string, params: unknown[]) => provider.send<T>(method, params);
  const headNumber = async () => Number.parseInt((await rpc<{ number: string }>('chain_getHeader', [])).number, 16);

  // Chopsticks builds block #1 from the genesis before it listens, but that build sometimes fails
  // ("Timestamp slot must match CurrentSlot": the wall clock crossed a 12 s Aura slot between
  // the slot digest and the timestamp inherent), leaving the chain at block #0, where every
  // signed transaction fails with BadProof (block #0's header hash is not the genesis hash
  // chopsticks reports). Build it again; a second miss in a row is rare, a fourth is a fault.
  try {
    for (let attempt = 1; (await headNumber()) < 1; attempt += 1) {
      if (attempt > 4) throw new Error(`chopsticks could not build block #1 from the genesis (4 tries). Its output:\n${out.slice(-4000)}`);
      await rpc('dev_newBlock', [{ count: 1 }]).catch(() => undefined);
    }
  } catch (error) {
    await provider.disconnect().catch(() => undefined);
    await kill(child);
    cleanup();
    throw error;
  }

  return {
    url,
    output: () => out,
    rpc,
    async fund(balances, sudo) {
      const storage: Record<string, unknown> = {
        System: { Account: Object.entries(balances).map(([address, free]) => [[address], { providers: 1, data: { free: free.toString() } }]) },
      };
      if (sudo) storage.Sudo = { Key: sudo };
      await rpc('dev_setStorage', [storage]);
    },
    async newBlocks(count) {
      await rpc('dev_newBlock', [{ count }]);
      return headNumber();
    },
    async stop() {
      await provider.disconnect().catch(() => undefined);
      await kill(child);
      cleanup();
    },
  };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      done();
    });
    child.kill('SIGTERM');
  });
}
