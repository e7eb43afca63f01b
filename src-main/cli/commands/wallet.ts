import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { VaultIdentity, VaultImportSource, VaultOverview } from '@shared/contract/vault';
import { AppError } from '@shared/contract/errors';
import type { CliCommand, CliIo } from '../command-registry';
import { readPassword, readSecretFile } from '../password';
import { choiceOption, guarded, report, UsageError } from '../output';
import { sourceLine, withSession, type Session } from '../session';

/**
 * `minerva wallet …`: the vault from a terminal, through the contract's vault.* methods. When an
 * app (desktop or `minerva serve`) holds the data folder the commands act on ITS wallet through
 * its control endpoint (so a password change or a rotation is not overwritten by the app's next
 * write); when none runs they open the data folder themselves.
 *
 * Passwords come from an interactive prompt (input hidden), `--password-file FILE`, or
 * `MINERVA_PASSWORD`. The environment variable is UNSAFE on shared machines (other processes of
 * the same user, shell history, crash dumps may see it); it exists for scripted test rigs. Secret
 * inputs (phrase, seed, private key) are read from files or stdin, never from arguments, which
 * other users can see in the process list.
 */
interface Common {
  dataDir?: string;
  passwordFile?: string;
  json?: boolean;
}

const MAX_BACKUP_BYTES = 1024 * 1024;

function identityLines(ids: VaultIdentity[]): string {
  const rows = ids.map((i) => {
    const tag = i.retiredAt ? `retired ${i.retiredAt}` : i.active ? 'active' : 'inactive';
    const extra = [i.index !== undefined ? `#${i.index}` : '', i.watchOnly ? 'watch-only' : '', i.source].filter(Boolean).join(', ');
    return `  ${i.role.padEnd(18)} ${i.scheme.padEnd(10)} ${i.address}  (${tag}; ${extra})`;
  });
  return rows.join('\n');
}

function warningLines(overview: VaultOverview): string {
  const { warnings } = overview;
  return warnings.length ? `\n\nWarnings:\n${warnings.map((w) => `  [${w.severity}] ${w.title} — ${w.fix.label}`).join('\n')}` : '\n\nNo key-safety warnings.';
}

const walletPassword = (io: CliIo, opts: Common, question = 'Wallet password: ') => readPassword(io, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question });

/** Unlocks when the session's wallet is locked (a running app stays unlocked afterwards: said on stderr). */
async function ensureUnlocked(session: Session, io: CliIo, opts: Common): Promise<VaultOverview> {
  const current = await session.call('vault.status');
  if (current.status.state === 'unlocked') return current;
  const overview = await session.call('vault.unlock', { password: await walletPassword(io, opts) });
  if (session.app && !opts.json) io.stderr('minerva: the running app’s wallet is now unlocked (`minerva wallet lock` locks it).\n');
  return overview;
}

function writeNewFile(path: string, content: string): void {
  try {
    writeFileSync(path, content, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('CONFLICT', `${path} already exists. Choose a new file name.`);
    throw error;
  }
}

const withFolder = (cmd: Command) =>
  cmd.option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)').option('--json', 'print one JSON document');
const common = (cmd: Command) =>
  withFolder(cmd).option('--password-file <file>', 'read the wallet password from this file ("-" = stdin); MINERVA_PASSWORD also works but is unsafe');

interface ImportOpts extends Common {
  acceptWeakPassword?: boolean;
  mnemonicFile?: string;
  seedFile?: string;
  polkadotJson?: string;
  keyPasswordFile?: string;
  role: 'coldkey' | 'hotkey';
  btcliWallet?: string;
  btcliPasswordFile?: string;
  hotkey?: string;
  solanaKeypair?: string;
  ethKeyFile?: string;
  watchOnly?: string;
}

async function importSource(io: CliIo, opts: ImportOpts): Promise<VaultImportSource> {
  const given = [opts.mnemonicFile, opts.seedFile, opts.polkadotJson, opts.btcliWallet, opts.solanaKeypair, opts.ethKeyFile, opts.watchOnly].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new UsageError('Give exactly one source: --mnemonic-file, --seed-file, --polkadot-json, --btcli-wallet, --solana-keypair, --eth-key-file or --watch-only.');
  }
  if (opts.mnemonicFile) return { kind: 'mnemonic', phrase: await readSecretFile(opts.mnemonicFile, io, 'recovery phrase') };
  if (opts.seedFile) return { kind: 'seed', hex: await readSecretFile(opts.seedFile, io, 'seed') };
  if (opts.polkadotJson) {
    const keyPassword = await readPassword(io, { file: opts.keyPasswordFile, envName: 'MINERVA_KEY_PASSWORD', question: 'Password of the polkadot-js account file: ' });
    return { kind: 'polkadot-json', json: await readSecretFile(opts.polkadotJson, io, 'account'), password: keyPassword, role: opts.role };
  }
  if (opts.btcliWallet) {
    const btcliPassword = opts.btcliPasswordFile ? await readSecretFile(opts.btcliPasswordFile, io, 'btcli password') : io.env.MINERVA_BTCLI_PASSWORD;
    return { kind: 'btcli', dir: resolve(opts.btcliWallet), ...(btcliPassword !== undefined ? { password: btcliPassword } : {}), ...(opts.hotkey ? { hotkey: opts.hotkey } : {}) };
  }
  if (opts.solanaKeypair) return { kind: 'solana-keypair', json: await readSecretFile(opts.solanaKeypair, io, 'Solana keypair') };
  if (opts.ethKeyFile) return { kind: 'ethereum-key', hex: await readSecretFile(opts.ethKeyFile, io, 'Ethereum key') };
  return { kind: 'watch-only-coldkey', address: opts.watchOnly as string };
}

function register(program: Command, io: CliIo): void {
  const wallet = program.command('wallet').description('create, import, inspect and protect the encrypted wallet (vault.json in the data folder)');

  common(wallet.command('create'))
    .description('make a new wallet from a fresh recovery phrase (shown once: write it down on paper)')
    .option('--words <n>', '12 or 24 words', choiceOption(['12', '24'] as const), '12')
    .option('--checkpoint-scheme <scheme>', 'checkpoint signer scheme: ed25519 or sr25519', choiceOption(['ed25519', 'sr25519'] as const), 'ed25519')
    .option('--accept-weak-password', 'use the new password even though it is easy to guess (it is refused without this; a critical warning stays)')
    .action(
      guarded(io, async (opts: Common & { words: '12' | '24'; checkpointScheme: 'ed25519' | 'sr25519'; acceptWeakPassword?: boolean }) => {
        await withSession(opts, io, async (session) => {
          const password = await readPassword(io, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'New wallet password: ', confirm: true });
          const created = await session.call('vault.create', { password, words: opts.words === '24' ? 24 : 12, checkpointScheme: opts.checkpointScheme, acceptWeak: Boolean(opts.acceptWeakPassword) });
          const { mnemonic } = await session.call('vault.revealMnemonic', { password });
          const { identities, warnings } = created;
          report(
            io,
            Boolean(opts.json),
            { mnemonic, identities, warnings },
            [
              'Your recovery phrase (shown this once — write it on paper, keep it offline, never type it into a website):',
              '',
              `  ${mnemonic}`,
              '',
              'No Minerva support person will ever ask for it. Anyone who has it owns your keys and rewards.',
              '',
              'Identities:',
              identityLines(identities),
              ...warnings.map((w) => `\n! ${w.title}: ${w.reason}`),
            ].join('\n'),
          );
        });
      }),
    );

  common(wallet.command('import'))
    .description('make a wallet from a recovery phrase, seed or key file — or add a key file to the existing wallet')
    .option('--mnemonic-file <file>', 'a file holding the 12 or 24 words ("-" = stdin)')
    .option('--seed-file <file>', 'a file holding a 32-byte raw seed in hex ("-" = stdin)')
    .option('--polkadot-json <file>', 'a polkadot-js account file (JSON v3)')
    .option('--key-password-file <file>', 'password of the polkadot-js file (else MINERVA_KEY_PASSWORD or a prompt)')
    .option('--role <role>', 'for --polkadot-json: coldkey or hotkey', choiceOption(['coldkey', 'hotkey'] as const), 'coldkey')
    .option('--btcli-wallet <dir>', 'a btcli wallet folder, e.g. ~/.bittensor/wallets/default')
    .option('--btcli-password-file <file>', 'password of the btcli coldkey (else MINERVA_BTCLI_PASSWORD; without one only coldkeypub.txt is read)')
    .option('--hotkey <name>', 'for --btcli-wallet: which hotkey (default: "default" or the first)')
    .option('--solana-keypair <file>', 'a Solana keypair file (JSON array of 64 numbers) as the runner wallet')
    .option('--eth-key-file <file>', 'a file holding an Ethereum private key in hex')
    .option('--watch-only <address>', 'a coldkey SS58 address: keep only its public key here')
    .option('--accept-weak-password', 'use the new password even though it is easy to guess (it is refused without this; a critical warning stays)')
    .action(
      guarded(io, async (opts: ImportOpts) => {
        const source = await importSource(io, opts);
        await withSession(opts, io, async (session) => {
          const exists = (await session.call('vault.status')).status.state !== 'missing';
          let overview: VaultOverview;
          if (exists) {
            await ensureUnlocked(session, io, opts);
            overview = await session.call('vault.addKey', { source });
          } else {
            const password = await readPassword(io, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'New wallet password: ', confirm: true });
            overview = await session.call('vault.import', { password, source, acceptWeak: Boolean(opts.acceptWeakPassword) });
          }
          report(io, Boolean(opts.json), { identities: overview.identities, warnings: overview.warnings }, `Imported (${source.kind}).\n\nIdentities:\n${identityLines(overview.identities)}`);
        });
      }),
    );

  common(wallet.command('show'))
    .description('list every identity with its role, scheme and address (never a secret), and the key-safety warnings')
    .action(
      guarded(io, async (opts: Common) => {
        await withSession(opts, io, async (session) => {
          // A running app that is unlocked shows its wallet without a password (its owner could read vault.status anyway).
          const overview = await ensureUnlocked(session, io, opts);
          report(io, Boolean(opts.json), { identities: overview.identities, warnings: overview.warnings }, `Identities:\n${identityLines(overview.identities)}${warningLines(overview)}`);
        });
      }),
    );

  common(wallet.command('change-password'))
    .description('re-encrypt the wallet with a new password (atomic: a crash keeps the old one working)')
    .option('--new-password-file <file>', 'read the new password from this file (else MINERVA_NEW_PASSWORD or a prompt)')
    .option('--accept-weak-password', 'use the new password even though it is easy to guess (it is refused without this; a critical warning stays)')
    .action(
      guarded(io, async (opts: Common & { newPasswordFile?: string; acceptWeakPassword?: boolean }) => {
        await withSession(opts, io, async (session) => {
          const oldPassword = await walletPassword(io, opts, 'Current wallet password: ');
          const newPassword = await readPassword(io, { file: opts.newPasswordFile, envName: 'MINERVA_NEW_PASSWORD', question: 'New wallet password: ', confirm: true });
          const overview = await session.call('vault.changePassword', { oldPassword, newPassword, acceptWeak: Boolean(opts.acceptWeakPassword) });
          const weak = overview.warnings.some((w) => w.id === 'weak-password');
          report(io, Boolean(opts.json), { changed: true, weakPassword: weak }, `Password changed.${weak ? ' It is still easy to guess: consider a longer passphrase.' : ''}`);
        });
      }),
    );

  common(wallet.command('rotate-hotkey'))
    .description('switch to the next hotkey derived from the recovery phrase; the old one is retired')
    .option('--smp', 'rotate the model-runner SMP hotkey instead')
    .action(
      guarded(io, async (opts: Common & { smp?: boolean }) => {
        await withSession(opts, io, async (session) => {
          await ensureUnlocked(session, io, opts);
          const { retired, current } = await session.call('vault.rotateHotkey', { role: opts.smp ? 'smp-hotkey' : 'hotkey' });
          report(
            io,
            Boolean(opts.json),
            { role: current.role, retired, current },
            `Rotated the ${current.role}: #${retired.index ?? '?'} ${retired.address} is retired, #${current.index ?? '?'} ${current.address} is now in use.\nRegister the new hotkey on the networks you mine (Minerva does this when it runs).`,
          );
        });
      }),
    );

  common(wallet.command('export-backup'))
    .description('write an encrypted copy of the wallet (same password) to a file of your choice')
    .requiredOption('--out <file>', 'where to write the backup (must not exist)')
    .action(
      guarded(io, async (opts: Common & { out: string }) => {
        await withSession(opts, io, async (session) => {
          const { content } = await session.call('vault.exportBackup', { password: await walletPassword(io, opts) });
          const path = resolve(opts.out);
          writeNewFile(path, content);
          report(io, Boolean(opts.json), { path }, `Encrypted backup written to ${path}. It opens with the current wallet password; keep it somewhere other than this computer.`);
        });
      }),
    );

  common(wallet.command('export-polkadot-json'))
    .description('write one identity as a polkadot-js account file (JSON v3), encrypted with a password you choose')
    .requiredOption('--out <file>', 'where to write the account file (must not exist)')
    .option('--role <role>', 'coldkey, hotkey, checkpoint-signer or smp-hotkey', choiceOption(['coldkey', 'hotkey', 'checkpoint-signer', 'smp-hotkey'] as const), 'hotkey')
    .option('--export-password-file <file>', 'password for the exported file (else MINERVA_EXPORT_PASSWORD or a prompt)')
    .action(
      guarded(io, async (opts: Common & { out: string; role: 'coldkey' | 'hotkey' | 'checkpoint-signer' | 'smp-hotkey'; exportPasswordFile?: string }) => {
        await withSession(opts, io, async (session) => {
          await ensureUnlocked(session, io, opts);
          // Key material leaves the app: the wallet password is asked again, even when unlocked.
          const password = await walletPassword(io, opts);
          const exportPassword = await readPassword(io, { file: opts.exportPasswordFile, envName: 'MINERVA_EXPORT_PASSWORD', question: 'Password for the exported file: ', confirm: true });
          const { json } = await session.call('vault.exportPolkadotJson', { role: opts.role, password, exportPassword });
          const path = resolve(opts.out);
          writeNewFile(path, json);
          const address = (JSON.parse(json) as { address: string }).address;
          report(io, Boolean(opts.json), { path, role: opts.role, address }, `Wrote the ${opts.role} ${address} to ${path} (polkadot-js JSON v3; import it with its own password).`);
        });
      }),
    );

  common(wallet.command('restore-backup'))
    .description('replace the wallet with vault.json.bak (the previous version) or an exported backup')
    .option('--from <file>', 'an exported backup file (default: the automatic vault.json.bak)')
    .action(
      guarded(io, async (opts: Common & { from?: string }) => {
        let content: string | undefined;
        if (opts.from) {
          const path = resolve(opts.from);
          let size: number;
          try {
            size = statSync(path).size;
          } catch {
            throw new AppError('NOT_FOUND', `There is no backup file at ${path}.`);
          }
          if (size > MAX_BACKUP_BYTES) throw new AppError('TOO_LARGE', `${path} is larger than a wallet backup can be (1 MiB). Check the file name.`);
          content = readFileSync(path, 'utf8');
        }
        await withSession(opts, io, async (session) => {
          const password = await walletPassword(io, opts, 'Password of the backup: ');
          const overview = await session.call('vault.restoreBackup', { password, ...(content === undefined ? {} : { content }) });
          report(io, Boolean(opts.json), { restored: true, identities: overview.identities }, `Wallet restored.\n\nIdentities:\n${identityLines(overview.identities)}`);
        });
      }),
    );

  common(wallet.command('reveal-mnemonic'))
    .description('print the recovery phrase (asks for the password again)')
    .action(
      guarded(io, async (opts: Common) => {
        await withSession(opts, io, async (session) => {
          const { mnemonic } = await session.call('vault.revealMnemonic', { password: await walletPassword(io, opts) });
          report(io, Boolean(opts.json), { mnemonic }, `${mnemonic}\n\nNo Minerva support person will ever ask for this phrase.`);
        });
      }),
    );

  common(wallet.command('unlock'))
    .description('unlock the wallet of the running app (desktop or minerva serve) so that it can mine unattended')
    .action(
      guarded(io, async (opts: Common) => {
        await withSession(opts, io, async (session) => {
          if (!session.app) {
            throw new AppError('CONFLICT', 'No Minerva is running with this data folder, so there is nothing to unlock: a wallet is unlocked inside a running app. Start `minerva serve` (or the desktop app) first.');
          }
          const before = await session.call('vault.status');
          const overview = before.status.state === 'unlocked' ? before : await session.call('vault.unlock', { password: await walletPassword(io, opts) });
          const words = before.status.state === 'unlocked' ? 'The running app’s wallet was already unlocked.' : 'The running app’s wallet is unlocked.';
          report(io, Boolean(opts.json), { ...overview.status, dataDir: session.dataDir, app: session.app }, `${words} ${sourceLine(session)}`);
        });
      }),
    );

  withFolder(wallet.command('lock'))
    .description('lock the wallet of the running app now: its keys are dropped from memory')
    .action(
      guarded(io, async (opts: Common) => {
        await withSession(opts, io, async (session) => {
          const overview = await session.call('vault.lock');
          const words = session.app ? 'The running app’s wallet is locked.' : 'No Minerva is running with this data folder: the wallet is not unlocked anywhere.';
          report(io, Boolean(opts.json), { ...overview.status, dataDir: session.dataDir, app: session.app }, `${words} ${sourceLine(session)}`);
        });
      }),
    );

  withFolder(wallet.command('lock-status'))
    .description('is there a wallet, is it locked, is a backup available, are wrong passwords being throttled')
    .action(
      guarded(io, async (opts: Common) => {
        await withSession(opts, io, async (session) => {
          const { status } = await session.call('vault.status');
          const words: Record<string, string> = {
            missing: 'There is no wallet in this data folder.',
            corrupt: 'The wallet file is damaged. Run `minerva wallet restore-backup`.',
            locked: 'The wallet exists and is locked (this command never unlocks it).',
            unlocked: 'The wallet is unlocked.',
          };
          const wait = status.retryAfterMs > 0 ? `\nWrong passwords: next try allowed in ${Math.ceil(status.retryAfterMs / 1000)} s.` : '';
          report(
            io,
            Boolean(opts.json),
            { ...status, dataDir: session.dataDir, app: session.app },
            `${words[status.state] ?? status.state}${status.backupAvailable ? '\nA backup of the previous version exists (vault.json.bak).' : ''}${wait}\n${sourceLine(session)}`,
          );
        });
      }),
    );
}

export const walletCommand: CliCommand = { name: 'wallet', register };
