import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCore, type Core } from '@core/create-core';
import { resolveDataDir } from '@core/data-dir';
import { APP_VERSION } from '@core/version';
import type { RpcEventMessage } from '@shared/contract';
import type { CheckpointSubmissionView } from '@shared/contract/checkpoints';
import type { CompetitionsView } from '@shared/contract/competitions';
import { AppError } from '@shared/contract/errors';
import { parseReceipt, verification, verifyBittensorReceipt, verifyPracticeReceipt } from '@core/checkpoints/receipt';
import { connectBittensor } from '@core/network/bittensor/bittensor-client';
import { readPracticeNetworkState } from '@devnet/state';
import { readSmallFile } from '../files';
import type { CliCommand, CliIo } from '../command-registry';
import { fail, report, UsageError } from '../output';
import { askYesNo, readPassword } from '../password';
import { inProcessPracticeHost } from '../practice-host';
import { withSession, type Session } from '../session';

/**
 * `minerva checkpoint submit <file> --competition <id>`: the checkpoint flow of the app, run from
 * a terminal (through the running app when one holds the data folder, else by itself).
 * `minerva checkpoint verify-receipt <file>`: checks an exported receipt against the chain.
 */
interface SubmitOptions {
  competition: string;
  expertGroup: string;
  dataDir?: string;
  passwordFile?: string;
  receipt?: string;
  json?: boolean;
  /** Agree to publish checkpoints to this network (asked before the first publish otherwise). */
  yes?: boolean;
}

/**
 * Without a running app this command runs the app's checkpoint flow itself, practice network
 * included; a practice network still starting in another process is waited for, and said so.
 */
function localCoreWithPracticeNetwork(io: CliIo, json: boolean): (dataDir: string) => Core {
  return (dataDir) => {
    const holder: { log?: ReturnType<Core['log']['scope']> } = {};
    const onProgress = (words: string): void => {
      if (!json) io.stderr(`${words}\n`);
    };
    const core = createCore({ dataDir, host: 'headless', version: APP_VERSION, logConsole: false, practiceHost: inProcessPracticeHost(dataDir, { log: () => holder.log, onProgress }) });
    holder.log = core.log.scope('devnet');
    return core;
  };
}

async function submit(file: string, opts: SubmitOptions, io: CliIo): Promise<void> {
  await withSession({ dataDir: opts.dataDir, localCore: localCoreWithPracticeNetwork(io, Boolean(opts.json)) }, io, async (session) => {
    // Events first, so that no change between a call and its wait is missed.
    const waiter = eventWaiter(session);
    await waiter.ready;
    try {
      if ((await session.call('vault.status')).status.state !== 'unlocked') {
        const password = await readPassword(io, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
        await session.call('vault.unlock', { password });
      }
      const competitions = await session.call('competitions.list', { refresh: true });
      if (competitions.error) throw new AppError('UNAVAILABLE', competitions.error);
      const entry = competitions.competitions.find((c) => c.id === opts.competition);
      if (!entry) throw new AppError('NOT_FOUND', `There is no competition "${opts.competition}" on this network. Known: ${competitions.competitions.map((c) => c.id).join(', ')}.`);
      if (entry.membership?.state !== 'joined') {
        if (!opts.json) io.stderr(`Joining ${entry.title} first…\n`);
        await session.call('competitions.join', { id: entry.id });
        await waiter.until<CompetitionsView>('competitions.changed', (v) => {
          const m = v.competitions.find((c) => c.id === entry.id)?.membership;
          if (m?.state === 'failed') throw new AppError('CONFLICT', `Could not join: ${m.error?.message ?? 'unknown reason'}`);
          return m?.state === 'joined';
        });
      }
      const started = await startSubmission(session, io, { competitionId: entry.id, path: resolve(file), expertGroup: opts.expertGroup }, opts);
      let lastLine = '';
      const final = await waiter.until<CheckpointSubmissionView>('checkpoints.changed', (v) => {
        if (v.id !== started.id) return false;
        const active = v.steps.find((s) => s.state === 'active') ?? v.steps.filter((s) => s.state === 'done').at(-1);
        const line = active ? `${active.label}: ${active.detail ?? ''}${active.progress !== null && active.state === 'active' ? ` (${Math.round(active.progress * 100)}%)` : ''}` : '';
        if (!opts.json && line && line !== lastLine) io.stderr(`${line}\n`);
        lastLine = line;
        return v.state === 'accepted' || v.state === 'rejected' || v.state === 'failed';
      });
      if (opts.receipt && final.commit) {
        const { content } = await session.call('checkpoints.exportReceipt', { id: final.id });
        writeFileSync(resolve(opts.receipt), content, { mode: 0o644 });
      }
      report(io, Boolean(opts.json), final, final.verdict?.words ?? final.error?.message ?? final.state);
      if (final.state !== 'accepted') io.setExitCode(1);
    } finally {
      waiter.stop();
    }
  });
}

/**
 * Starts the submission. The first publish to a network needs the miner's yes: `--yes`, or the
 * file's name, size and SHA-256 shown and a question asked on a terminal; without either nothing
 * is published and the command says how to agree.
 */
async function startSubmission(session: Session, io: CliIo, input: { competitionId: string; path: string; expertGroup: string }, opts: SubmitOptions): Promise<CheckpointSubmissionView> {
  if (opts.yes) return session.call('checkpoints.submitFile', { ...input, confirmPublish: true });
  try {
    return await session.call('checkpoints.submitFile', input);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'PUBLISH_NOT_CONFIRMED') throw error;
  }
  const preview = await session.call('checkpoints.previewPublish', { competitionId: input.competitionId, path: input.path });
  if (!preview.confirmed) {
    io.stderr(
      `This is your first checkpoint on ${preview.networkId}. Once published, anyone can download it:\n` +
        `  file    ${preview.file.name}\n  size    ${preview.file.size} bytes\n  sha256  ${preview.file.sha256}\n`,
    );
    if (!process.stdin.isTTY) {
      throw new AppError('PUBLISH_NOT_CONFIRMED', `Nothing was published. Run this in a terminal to be asked, or pass --yes to agree to publish checkpoints to ${preview.networkId}.`);
    }
    if (!(await askYesNo('Publish it? [y/N] '))) throw new AppError('PUBLISH_NOT_CONFIRMED', 'Nothing was published (you answered no).');
  }
  return session.call('checkpoints.submitFile', { ...input, confirmPublish: true });
}

/** Waits for an event whose payload passes `done`; events that arrive before `until` is called are replayed. */
function eventWaiter(session: Session) {
  const seen: RpcEventMessage[] = [];
  let listener: ((m: RpcEventMessage) => void) | undefined;
  let off: (() => void) | undefined;
  const ready = session
    .onEvent((m) => {
      if (listener) listener(m);
      else seen.push(m);
    })
    .then((unsubscribe) => {
      off = unsubscribe;
    });
  return {
    ready,
    stop: () => off?.(),
    until<T>(event: string, done: (payload: T) => boolean, timeoutMs = 30 * 60_000): Promise<T> {
      return new Promise((resolveUntil, reject) => {
        const timer = setTimeout(() => reject(new AppError('TIMEOUT', 'Gave up waiting after 30 minutes; the app resumes the submission at its next start.')), timeoutMs);
        const check = (m: RpcEventMessage) => {
          if (m.event !== event) return;
          try {
            if (done(m.payload as T)) {
              clearTimeout(timer);
              listener = undefined;
              resolveUntil(m.payload as T);
            }
          } catch (error) {
            clearTimeout(timer);
            listener = undefined;
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
        listener = check;
        for (const m of seen.splice(0)) if (listener === check) check(m);
      });
    },
  };
}

export const checkpointCommand: CliCommand = {
  name: 'checkpoint',
  register(program, io) {
    const cmd = program.command('checkpoint').description('submit checkpoints and check receipts (PROTOCOLS §3)');
    cmd
      .command('submit <file>')
      .description('hash, commit, publish and submit a checkpoint, then wait for the verdict (through the running app, or by itself when none runs)')
      .requiredOption('--competition <id>', 'the checkpoint competition')
      .option('--expert-group <group>', 'expert group', '0')
      .option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)')
      .option('--password-file <file>', 'read the wallet password from this file (- for stdin); else MINERVA_PASSWORD (unsafe) or a prompt')
      .option('--receipt <file>', 'write the receipt (a JSON proof to check with verify-receipt) to this file')
      .option('--json', 'print the final submission as JSON')
      .option('--yes', 'agree to publish checkpoints to this network without being asked (asked once per network otherwise; anyone can download a published checkpoint)')
      .action(async (file: string, opts: SubmitOptions) => {
        try {
          await submit(file, opts, io);
        } catch (error) {
          fail(io, Boolean(opts.json), error);
        }
      });
    cmd
      .command('verify-receipt <file>')
      .description('check an exported receipt against the chain: commitment, signature, timing')
      .option('--chain <url>', 'the chain to check against (default: the practice network of --data-dir; a Bittensor receipt needs the subtensor node, wss://…)')
      .option('--data-dir <dir>', 'data folder whose practice network to use')
      .option('--json', 'print the checks as JSON')
      .action(async (file: string, opts: { chain?: string; dataDir?: string; json?: boolean }) => {
        try {
          const receipt = parseReceipt(readSmallFile(resolve(file), 1024 * 1024, 'a receipt'));
          if (receipt.chain) {
            // A Connito receipt: its commitment lives on a subtensor subnet.
            if (!opts.chain) throw new UsageError('This receipt is from a Bittensor subnet: pass --chain wss://… (the subtensor node to check against).');
            const client = await connectBittensor({ endpoint: opts.chain });
            try {
              const result = verification(await verifyBittensorReceipt(receipt, client), `${opts.chain} (subnet ${receipt.chain.netuid})`);
              report(io, Boolean(opts.json), result, [...result.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`), result.summary].join('\n'));
              if (!result.valid) io.setExitCode(1);
            } finally {
              await client.disconnect().catch(() => undefined);
            }
            return;
          }
          const chainUrl = opts.chain ?? readPracticeNetworkState(resolveDataDir({ flag: opts.dataDir, env: io.env }))?.parties.chain?.url;
          if (!chainUrl) throw new AppError('UNAVAILABLE', 'No chain to check against: pass --chain URL, or start the practice network (minerva devnet start).');
          const result = verification(await verifyPracticeReceipt(receipt, chainUrl), chainUrl);
          report(io, Boolean(opts.json), result, [...result.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`), result.summary].join('\n'));
          if (!result.valid) io.setExitCode(1);
        } catch (error) {
          fail(io, Boolean(opts.json), error instanceof SyntaxError ? new AppError('VALIDATION', 'The receipt is not valid JSON.') : error);
        }
      });
  },
};
