import type { Command } from 'commander';
import { resolveDataDir } from '@core/data-dir';
import { AppError } from '@shared/contract/errors';
import type { PartyHealth, StartableParty } from '@devnet/index';
import { checkPracticeNetworkHealth, isProcessAlive, readPracticeNetworkState } from '@devnet/state';
import type { CliCommand, CliIo } from '../command-registry';
import { fail, report, UsageError } from '../output';
import { stopSignals, type StopSignals } from '../stop-signals';

// The practice network's code loads when a devnet command runs, not with every `minerva` start
// (it pulls in x509, gRPC and the chain; README "Performance": startup).
const routerOperator = () => import('@devnet/router/operator');

/**
 * `minerva devnet start|status|stop`: the practice network (docs/practice-network.md).
 * `start` runs in the foreground until Ctrl+C or SIGTERM; `status` and `stop` find the parties
 * through `<data dir>/devnet/state.json`.
 */
const DATA_DIR_HELP = 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)';

function parseParty(value: string): StartableParty[] {
  if (value === 'all') return ['chain', 'hub', 'router', 'validator', 'coordinator'];
  if (value === 'chain' || value === 'hub' || value === 'router' || value === 'validator' || value === 'coordinator') return [value];
  throw new UsageError(`--party must be chain, hub, router, validator, coordinator or all (not "${value}").`);
}

function parseBlockMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 50 || n > 600_000) throw new UsageError('--block-ms must be a whole number of milliseconds between 50 and 600000.');
  return n;
}

function parseDemoMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || (n !== 0 && (n < 100 || n > 3_600_000))) throw new UsageError('--demo-ms must be 0 (off) or a whole number of milliseconds between 100 and 3600000.');
  return n;
}

async function start(opts: { dataDir?: string; party: string; blockMs?: string; demoMs?: string; json?: boolean }, io: CliIo): Promise<void> {
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  const parties = parseParty(opts.party);
  const blockTimeMs = opts.blockMs === undefined ? 2000 : parseBlockMs(opts.blockMs);
  const demoMs = opts.demoMs === undefined ? 10_000 : parseDemoMs(opts.demoMs);
  // Caught before the start: a SIGTERM while the parties start (the desktop app quitting in its
  // first seconds) stops them once they are up, instead of killing the process half-way.
  const stopRequest = stopSignals();
  try {
    await startUntilStopped({ dataDir, parties, blockTimeMs, demoMs, json: Boolean(opts.json) }, io, stopRequest);
  } finally {
    stopRequest.dispose();
  }
}

async function startUntilStopped(
  o: { dataDir: string; parties: StartableParty[]; blockTimeMs: number; demoMs: number; json: boolean },
  io: CliIo,
  stopRequest: StopSignals,
): Promise<void> {
  const { dataDir, parties, blockTimeMs, demoMs } = o;
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => io.stderr(`${new Date().toISOString()} ${level} devnet: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  const { startPracticeNetwork } = await import('@devnet/index');
  const net = await startPracticeNetwork({
    dataDir,
    parties,
    blockTimeMs,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    ...(demoMs > 0 ? { router: { demoTraffic: { intervalMs: demoMs } } } : {}),
    // A stop asked while the parties start stops them before the start lock is released (a waiting `serve` starts its own).
    stopRequested: () => stopRequest.requested,
  });
  const summary = { dataDir, pid: process.pid, parties, endpoints: net.endpoints, blockTimeMs };
  if (stopRequest.requested) {
    // Already stopped inside the start, or stopped just below: no endpoints to announce.
    await net.stop();
    if (!o.json) io.stdout('Asked to stop while starting: the practice network stopped.\n');
    return;
  }
  report(
    io,
    o.json,
    summary,
    `The practice network is running (pid ${process.pid}).\n${parties.map((p) => `  ${p.padEnd(6)} ${net.endpoints[p] ?? ''}`).join('\n')}\nData folder: ${dataDir}\nPress Ctrl+C to stop.`,
  );
  await stopRequest.promise;
  await net.stop();
  if (!o.json) io.stdout('The practice network stopped.\n');
}

async function status(opts: { dataDir?: string; json?: boolean }, io: CliIo): Promise<void> {
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  const state = readPracticeNetworkState(dataDir);
  const parties: PartyHealth[] = state ? await checkPracticeNetworkHealth(state) : [];
  const running = parties.length > 0;
  const value = { dataDir, running, healthy: running && parties.every((p) => p.healthy), parties: Object.fromEntries(parties.map((p) => [p.party, p])) };
  const human = running
    ? parties.map((p) => `${p.party.padEnd(6)} ${p.url}  pid ${p.pid}  ${p.healthy ? `healthy${p.block === undefined ? '' : ` (block ${p.block})`}` : `NOT healthy (${p.error ?? 'bad answer'})`}`).join('\n')
    : `The practice network is not running for ${dataDir}.`;
  report(io, Boolean(opts.json), value, human);
  if (running && !value.healthy) io.setExitCode(1);
}

async function stop(opts: { dataDir?: string; json?: boolean }, io: CliIo): Promise<void> {
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  const state = readPracticeNetworkState(dataDir);
  const pids = [...new Set(Object.values(state?.parties ?? {}).map((p) => p.pid))].filter((pid) => pid !== process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(isProcessAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const left = pids.filter(isProcessAlive);
  if (left.length > 0) throw new AppError('TIMEOUT', `The practice network (pid ${left.join(', ')}) did not stop within the time allowed.`);
  report(io, Boolean(opts.json), { dataDir, stopped: pids }, pids.length > 0 ? `Stopped the practice network (pid ${pids.join(', ')}).` : 'The practice network was not running.');
}

/** `minerva devnet router …`: the router operator's tooling (PROTOCOLS §2.8) on the practice router's env file, or `--env-file`. */
type RouterToolOpts = { dataDir?: string; envFile?: string; json?: boolean };

function routerTarget(opts: RouterToolOpts, io: CliIo): { dataDir: string; envFile?: string } {
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  return opts.envFile === undefined ? { dataDir } : { dataDir, envFile: opts.envFile };
}

async function routerSecretGen(opts: RouterToolOpts & { showSeed?: boolean; force?: boolean }, io: CliIo): Promise<void> {
  const { secretGen } = await routerOperator();
  const r = secretGen({ ...routerTarget(opts, io), reveal: Boolean(opts.showSeed), production: io.env.NODE_ENV === 'production', force: Boolean(opts.force) });
  report(io, Boolean(opts.json), r, `Wrote a new seed (v1) to ${r.file}\nFingerprint: ${r.fingerprint}${r.seed === undefined ? '' : `\nSeed: ${r.seed}`}`);
}

async function routerRotate(opts: RouterToolOpts & { dryRun?: boolean }, io: CliIo): Promise<void> {
  const { rotate } = await routerOperator();
  const r = await rotate({ ...routerTarget(opts, io), dryRun: Boolean(opts.dryRun) });
  const what = r.dryRun ? 'Dry run (nothing written)' : r.resumed ? 'Resumed the rotation' : 'Rotated';
  report(io, Boolean(opts.json), r, `${what}: ${r.fromVersion} → ${r.toVersion}; ${r.rotated} re-encrypted, ${r.skipped} already at ${r.toVersion}, ${r.failed.length} failed.${r.dryRun ? '' : `\nAudit: ${r.auditFile}\nRestart the router to use ${r.toVersion}.`}`);
  if (r.failed.length > 0) io.setExitCode(1);
}

async function routerVerify(opts: RouterToolOpts & { sample: string }, io: CliIo): Promise<void> {
  const { verify } = await routerOperator();
  const r = await verify({ ...routerTarget(opts, io), sample: Number(opts.sample) });
  report(io, Boolean(opts.json), r, `${r.ok} of ${r.checked} sampled payloads decrypt with ${r.activeVersion}.${r.failed.map((f) => `\n  ${f.urn}: ${f.reason}`).join('')}`);
  if (r.failed.length > 0) io.setExitCode(1);
}

async function routerRetire(version: string, opts: RouterToolOpts, io: CliIo): Promise<void> {
  const { retire } = await routerOperator();
  const r = await retire({ ...routerTarget(opts, io), version });
  report(io, Boolean(opts.json), r, `Retired ${r.retired}. Restart the router to drop it.`);
}

export const devnetCommand: CliCommand = {
  name: 'devnet',
  register(program: Command, io: CliIo) {
    const devnet = program.command('devnet').description('run the practice network (chain, hub, router, validator, coordinator) on this machine, on 127.0.0.1 only');
    const guard =
      <T extends { json?: boolean }>(fn: (opts: T, io: CliIo) => Promise<void>) =>
      async (opts: T): Promise<void> => {
        try {
          await fn(opts, io);
        } catch (error) {
          fail(io, Boolean(opts.json), error);
        }
      };
    devnet
      .command('start')
      .description('run the practice network in the foreground (Ctrl+C stops it)')
      .option('--data-dir <dir>', DATA_DIR_HELP)
      .option('--party <party>', 'chain, hub, router, validator, coordinator or all', 'all')
      .option('--block-ms <n>', 'block time in milliseconds (default 2000)')
      .option('--demo-ms <n>', 'the router sends a demo completion to session 101 every n ms (default 10000; 0 = off)')
      .option('--json', 'print the endpoints as JSON')
      .action(guard(start));
    const router = devnet.command('router').description("the practice router's operator tooling (keyring rotation)");
    const tool = (cmd: Command): Command =>
      cmd.option('--data-dir <dir>', DATA_DIR_HELP).option('--env-file <file>', 'the env file holding the keyring (default: the practice router\'s)').option('--json', 'print JSON');
    tool(router.command('secret-gen').description('write a new random seed (v1) to the env file, mode 0600; prints its fingerprint'))
      .option('--show-seed', 'also print the seed (refused when NODE_ENV=production)')
      .option('--force', 'replace a seed already in the file (its payloads become unreadable)')
      .action(guard(routerSecretGen));
    tool(router.command('rotate').description('add vN+1 as active and re-encrypt every private payload under it (resumable)'))
      .option('--dry-run', 'decrypt and re-encrypt in memory only')
      .action(guard(routerRotate));
    tool(router.command('verify').description('test-decrypt a sample of payloads with the active version'))
      .requiredOption('--sample <n>', 'how many payloads')
      .action(guard(routerVerify));
    tool(router.command('retire').description('drop a decrypt-only version (refused while payloads use it)'))
      .argument('<version>', 'e.g. v1')
      .action(async (version: string, opts: RouterToolOpts) => {
        try {
          await routerRetire(version, opts, io);
        } catch (error) {
          fail(io, Boolean(opts.json), error);
        }
      });
    devnet
      .command('status')
      .description("each running party's address and health")
      .option('--data-dir <dir>', DATA_DIR_HELP)
      .option('--json', 'print JSON')
      .action(guard(status));
    devnet
      .command('stop')
      .description('stop the practice network running for this data folder')
      .option('--data-dir <dir>', DATA_DIR_HELP)
      .option('--json', 'print JSON')
      .action(guard(stop));
  },
};
