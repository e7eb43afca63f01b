import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { resolveDataDir } from '@core/data-dir';
import { acquireDataDirLock, type DataDirLock } from '@core/data-dir-lock';
import { createLogger, type Logger } from '@core/log/logger';
import type { ImportSource } from '@core/vault/imports';
import { createVaultService, type PublicIdentity, type VaultService } from '@core/vault/vault.service';
import { AppError } from '@shared/contract/errors';
import type { CliCommand, CliIo } from '../command-registry';
import { readPassword, readSecretFile } from '../password';
import { fail, report } from '../output';

/**
 * `minerva wallet …`: the vault from a terminal. Passwords come from an interactive prompt (input
 * hidden), `--password-file FILE`, or `MINERVA_PASSWORD`. The environment variable is UNSAFE on
 * shared machines (other processes of the same user, shell history, crash dumps may see it); it
 * exists for scripted test rigs. Secret inputs (phrase, seed, private key) are read from files or
 * stdin, never from arguments, which other users can see in the process list.
 */
interface Common {
  dataDir?: string;
  passwordFile?: string;
  json?: boolean;
}

interface Ctx {
  io: CliIo;
  vault: VaultService;
  log: Logger;
  dataDir: string;
  lock: DataDirLock;
}

/**
 * Takes the data-folder lock like the app does: a running app holds the vault key in memory and
 * would overwrite a password change or rotation made here with its next write.
 */
function open(opts: Common, io: CliIo): Ctx {
  const dataDir = resolveDataDir({ flag: opts.dataDir, env: io.env });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = acquireDataDirLock(dataDir, 'cli');
  try {
    const home = io.env.HOME ?? homedir();
    const log = createLogger({ dir: join(dataDir, 'logs'), console: false, homeDir: home });
    const vault = createVaultService({ dataDir, homeDir: home, log: log.scope('vault') });
    return { io, vault, log, dataDir, lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

function close(ctx: Ctx): void {
  ctx.vault.close();
  ctx.log.close();
  ctx.lock.release();
}

/** The password: --password-file, then MINERVA_<envName>, then a hidden prompt on a terminal. */
function password(ctx: Ctx, opts: { file?: string | undefined; envName: string; question: string; confirm?: boolean }): Promise<string> {
  return readPassword(ctx.io, opts);
}

function identityLines(ids: PublicIdentity[]): string {
  const rows = ids.map((i) => {
    const tag = i.retiredAt ? `retired ${i.retiredAt}` : i.active ? 'active' : 'inactive';
    const extra = [i.index !== undefined ? `#${i.index}` : '', i.watchOnly ? 'watch-only' : '', i.source].filter(Boolean).join(', ');
    return `  ${i.role.padEnd(18)} ${i.scheme.padEnd(10)} ${i.address}  (${tag}; ${extra})`;
  });
  return rows.join('\n');
}

function publicView(ids: PublicIdentity[]) {
  return ids.map((i) => ({
    role: i.role,
    scheme: i.scheme,
    address: i.address,
    publicKey: i.publicKey,
    active: i.active,
    watchOnly: i.watchOnly,
    source: i.source,
    ...(i.index !== undefined ? { index: i.index } : {}),
    ...(i.derivation !== undefined ? { derivation: i.derivation } : {}),
    ...(i.createdAt !== undefined ? { createdAt: i.createdAt } : {}),
    ...(i.retiredAt !== undefined ? { retiredAt: i.retiredAt } : {}),
  }));
}

function withVault<O extends Common>(io: CliIo, run: (ctx: Ctx, opts: O) => Promise<void>) {
  return async (opts: O) => {
    let ctx: Ctx | undefined;
    try {
      ctx = open(opts, io);
      await run(ctx, opts);
    } catch (error) {
      fail(io, Boolean(opts.json), error);
    } finally {
      if (ctx) close(ctx);
    }
  };
}

const common = (cmd: Command) =>
  cmd
    .option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)')
    .option('--password-file <file>', 'read the wallet password from this file ("-" = stdin); MINERVA_PASSWORD also works but is unsafe')
    .option('--json', 'print one JSON document');

interface CreateOpts extends Common {
  words: string;
  checkpointScheme: string;
}

interface ImportOpts extends Common {
  mnemonicFile?: string;
  seedFile?: string;
  polkadotJson?: string;
  keyPasswordFile?: string;
  role?: string;
  btcliWallet?: string;
  btcliPasswordFile?: string;
  hotkey?: string;
  solanaKeypair?: string;
  ethKeyFile?: string;
  watchOnly?: string;
}

async function importSource(ctx: Ctx, opts: ImportOpts): Promise<ImportSource> {
  const given = [opts.mnemonicFile, opts.seedFile, opts.polkadotJson, opts.btcliWallet, opts.solanaKeypair, opts.ethKeyFile, opts.watchOnly].filter((v) => v !== undefined);
  if (given.length !== 1) {
    throw new AppError('VALIDATION', 'Give exactly one source: --mnemonic-file, --seed-file, --polkadot-json, --btcli-wallet, --solana-keypair, --eth-key-file or --watch-only.');
  }
  if (opts.mnemonicFile) return { kind: 'mnemonic', phrase: await readSecretFile(opts.mnemonicFile, ctx.io, 'recovery phrase') };
  if (opts.seedFile) return { kind: 'seed', hex: await readSecretFile(opts.seedFile, ctx.io, 'seed') };
  if (opts.polkadotJson) {
    const role = opts.role ?? 'coldkey';
    if (role !== 'coldkey' && role !== 'hotkey') throw new AppError('VALIDATION', '--role is coldkey or hotkey.');
    const keyPassword = await password(ctx, { file: opts.keyPasswordFile, envName: 'MINERVA_KEY_PASSWORD', question: 'Password of the polkadot-js account file: ' });
    return { kind: 'polkadot-json', json: await readSecretFile(opts.polkadotJson, ctx.io, 'account'), password: keyPassword, role };
  }
  if (opts.btcliWallet) {
    const btcliPassword = opts.btcliPasswordFile ? await readSecretFile(opts.btcliPasswordFile, ctx.io, 'btcli password') : ctx.io.env.MINERVA_BTCLI_PASSWORD;
    return { kind: 'btcli', dir: resolve(opts.btcliWallet), ...(btcliPassword !== undefined ? { password: btcliPassword } : {}), ...(opts.hotkey ? { hotkey: opts.hotkey } : {}) };
  }
  if (opts.solanaKeypair) return { kind: 'solana-keypair', json: await readSecretFile(opts.solanaKeypair, ctx.io, 'Solana keypair') };
  if (opts.ethKeyFile) return { kind: 'ethereum-key', hex: await readSecretFile(opts.ethKeyFile, ctx.io, 'Ethereum key') };
  return { kind: 'watch-only-coldkey', address: opts.watchOnly as string };
}

export const walletCommand: CliCommand = {
  name: 'wallet',
  register(program, io) {
    const wallet = program.command('wallet').description('create, import, inspect and protect the encrypted wallet (vault.json in the data folder)');

    common(wallet.command('create'))
      .description('make a new wallet from a fresh recovery phrase (shown once: write it down on paper)')
      .option('--words <n>', '12 or 24 words', '12')
      .option('--checkpoint-scheme <scheme>', 'checkpoint signer scheme: ed25519 or sr25519', 'ed25519')
      .action(
        withVault<CreateOpts>(io, async (ctx, opts) => {
          const words = Number(opts.words);
          if (words !== 12 && words !== 24) throw new AppError('VALIDATION', '--words is 12 or 24.');
          if (opts.checkpointScheme !== 'ed25519' && opts.checkpointScheme !== 'sr25519') throw new AppError('VALIDATION', '--checkpoint-scheme is ed25519 or sr25519.');
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'New wallet password: ', confirm: true });
          const ids = await ctx.vault.create({ password: pw, words, checkpointScheme: opts.checkpointScheme });
          const phrase = await ctx.vault.revealMnemonic(pw);
          const warnings = ctx.vault.warnings();
          report(
            io,
            Boolean(opts.json),
            { mnemonic: phrase, identities: publicView(ids), warnings },
            [
              'Your recovery phrase (shown this once — write it on paper, keep it offline, never type it into a website):',
              '',
              `  ${phrase}`,
              '',
              'No Minerva support person will ever ask for it. Anyone who has it owns your keys and rewards.',
              '',
              'Identities:',
              identityLines(ids),
              ...warnings.map((w) => `\n! ${w.title}: ${w.reason}`),
            ].join('\n'),
          );
        }),
      );

    common(wallet.command('import'))
      .description('make a wallet from a recovery phrase, seed or key file — or add a key file to the existing wallet')
      .option('--mnemonic-file <file>', 'a file holding the 12 or 24 words ("-" = stdin)')
      .option('--seed-file <file>', 'a file holding a 32-byte raw seed in hex ("-" = stdin)')
      .option('--polkadot-json <file>', 'a polkadot-js account file (JSON v3)')
      .option('--key-password-file <file>', 'password of the polkadot-js file (else MINERVA_KEY_PASSWORD or a prompt)')
      .option('--role <role>', 'for --polkadot-json: coldkey or hotkey', 'coldkey')
      .option('--btcli-wallet <dir>', 'a btcli wallet folder, e.g. ~/.bittensor/wallets/default')
      .option('--btcli-password-file <file>', 'password of the btcli coldkey (else MINERVA_BTCLI_PASSWORD; without one only coldkeypub.txt is read)')
      .option('--hotkey <name>', 'for --btcli-wallet: which hotkey (default: "default" or the first)')
      .option('--solana-keypair <file>', 'a Solana keypair file (JSON array of 64 numbers) as the runner wallet')
      .option('--eth-key-file <file>', 'a file holding an Ethereum private key in hex')
      .option('--watch-only <address>', 'a coldkey SS58 address: keep only its public key here')
      .action(
        withVault<ImportOpts>(io, async (ctx, opts) => {
          const source = await importSource(ctx, opts);
          const exists = ctx.vault.status().state !== 'missing';
          let ids: PublicIdentity[];
          if (exists) {
            const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
            await ctx.vault.unlock(pw);
            ids = await ctx.vault.addImport(source);
          } else {
            const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'New wallet password: ', confirm: true });
            ids = await ctx.vault.importNew({ password: pw, source });
          }
          report(io, Boolean(opts.json), { identities: publicView(ids), warnings: ctx.vault.warnings() }, `Imported (${source.kind}).\n\nIdentities:\n${identityLines(ids)}`);
        }),
      );

    common(wallet.command('show'))
      .description('list every identity with its role, scheme and address (never a secret), and the key-safety warnings')
      .action(
        withVault<Common>(io, async (ctx, opts) => {
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
          const ids = await ctx.vault.unlock(pw);
          const warnings = ctx.vault.warnings();
          report(
            io,
            Boolean(opts.json),
            { identities: publicView(ids), warnings },
            `Identities:\n${identityLines(ids)}${warnings.length ? `\n\nWarnings:\n${warnings.map((w) => `  [${w.severity}] ${w.title} — ${w.fix.label}`).join('\n')}` : '\n\nNo key-safety warnings.'}`,
          );
        }),
      );

    common(wallet.command('change-password'))
      .description('re-encrypt the wallet with a new password (atomic: a crash keeps the old one working)')
      .option('--new-password-file <file>', 'read the new password from this file (else MINERVA_NEW_PASSWORD or a prompt)')
      .action(
        withVault<Common & { newPasswordFile?: string }>(io, async (ctx, opts) => {
          const oldPassword = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Current wallet password: ' });
          const newPassword = await password(ctx, { file: opts.newPasswordFile, envName: 'MINERVA_NEW_PASSWORD', question: 'New wallet password: ', confirm: true });
          await ctx.vault.changePassword({ oldPassword, newPassword });
          const weak = ctx.vault.warnings().some((w) => w.id === 'weak-password');
          report(io, Boolean(opts.json), { changed: true, weakPassword: weak }, `Password changed.${weak ? ' It is still easy to guess: consider a longer passphrase.' : ''}`);
        }),
      );

    common(wallet.command('rotate-hotkey'))
      .description('switch to the next hotkey derived from the recovery phrase; the old one is retired')
      .option('--smp', 'rotate the model-runner SMP hotkey instead')
      .action(
        withVault<Common & { smp?: boolean }>(io, async (ctx, opts) => {
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
          await ctx.vault.unlock(pw);
          const { retired, current } = await ctx.vault.rotate(opts.smp ? 'smp-hotkey' : 'hotkey');
          report(
            io,
            Boolean(opts.json),
            { role: current.role, retired: publicView([retired])[0], current: publicView([current])[0] },
            `Rotated the ${current.role}: #${retired.index ?? '?'} ${retired.address} is retired, #${current.index ?? '?'} ${current.address} is now in use.\nRegister the new hotkey on the networks you mine (Minerva does this when it runs).`,
          );
        }),
      );

    common(wallet.command('export-backup'))
      .description('write an encrypted copy of the wallet (same password) to a file of your choice')
      .requiredOption('--out <file>', 'where to write the backup (must not exist)')
      .action(
        withVault<Common & { out: string }>(io, async (ctx, opts) => {
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
          const { path } = await ctx.vault.exportBackup({ password: pw, destPath: resolve(opts.out) });
          report(io, Boolean(opts.json), { path }, `Encrypted backup written to ${path}. It opens with the current wallet password; keep it somewhere other than this computer.`);
        }),
      );

    common(wallet.command('export-polkadot-json'))
      .description('write one identity as a polkadot-js account file (JSON v3), encrypted with a password you choose')
      .requiredOption('--out <file>', 'where to write the account file (must not exist)')
      .option('--role <role>', 'coldkey, hotkey, checkpoint-signer or smp-hotkey', 'hotkey')
      .option('--export-password-file <file>', 'password for the exported file (else MINERVA_EXPORT_PASSWORD or a prompt)')
      .action(
        withVault<Common & { out: string; role: string; exportPasswordFile?: string }>(io, async (ctx, opts) => {
          const roles = ['coldkey', 'hotkey', 'checkpoint-signer', 'smp-hotkey'] as const;
          const role = roles.find((r) => r === opts.role);
          if (!role) throw new AppError('VALIDATION', `--role is one of ${roles.join(', ')}.`);
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
          await ctx.vault.unlock(pw);
          const exportPassword = await password(ctx, { file: opts.exportPasswordFile, envName: 'MINERVA_EXPORT_PASSWORD', question: 'Password for the exported file: ', confirm: true });
          const json = ctx.vault.exportPolkadotJson({ role, exportPassword });
          const path = resolve(opts.out);
          try {
            writeFileSync(path, json, { mode: 0o600, flag: 'wx' });
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AppError('CONFLICT', `${path} already exists. Choose a new file name.`);
            throw error;
          }
          const address = (JSON.parse(json) as { address: string }).address;
          report(io, Boolean(opts.json), { path, role, address }, `Wrote the ${role} ${address} to ${path} (polkadot-js JSON v3; import it with its own password).`);
        }),
      );

    common(wallet.command('restore-backup'))
      .description('replace the wallet with vault.json.bak (the previous version) or an exported backup')
      .option('--from <file>', 'an exported backup file (default: the automatic vault.json.bak)')
      .action(
        withVault<Common & { from?: string }>(io, async (ctx, opts) => {
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Password of the backup: ' });
          const ids = await ctx.vault.restoreBackup({ password: pw, ...(opts.from ? { fromPath: resolve(opts.from) } : {}) });
          report(io, Boolean(opts.json), { restored: true, identities: publicView(ids) }, `Wallet restored.\n\nIdentities:\n${identityLines(ids)}`);
        }),
      );

    common(wallet.command('reveal-mnemonic'))
      .description('print the recovery phrase (asks for the password again)')
      .action(
        withVault<Common>(io, async (ctx, opts) => {
          const pw = await password(ctx, { file: opts.passwordFile, envName: 'MINERVA_PASSWORD', question: 'Wallet password: ' });
          const phrase = await ctx.vault.revealMnemonic(pw);
          report(io, Boolean(opts.json), { mnemonic: phrase }, `${phrase}\n\nNo Minerva support person will ever ask for this phrase.`);
        }),
      );

    wallet
      .command('lock-status')
      .description('is there a wallet, is it readable, is a backup available, are wrong passwords being throttled')
      .option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)')
      .option('--json', 'print one JSON document')
      .action(
        withVault<Common>(io, (ctx, opts) => {
          const status = ctx.vault.status();
          const words: Record<string, string> = {
            missing: 'There is no wallet in this data folder.',
            corrupt: 'The wallet file is damaged. Run `minerva wallet restore-backup`.',
            locked: 'The wallet exists and is locked (this command never unlocks it).',
            unlocked: 'The wallet is unlocked.',
          };
          const wait = status.retryAfterMs > 0 ? `\nWrong passwords: next try allowed in ${Math.ceil(status.retryAfterMs / 1000)} s.` : '';
          report(io, Boolean(opts.json), { ...status, dataDir: ctx.dataDir }, `${words[status.state] ?? status.state}${status.backupAvailable ? '\nA backup of the previous version exists (vault.json.bak).' : ''}${wait}`);
          return Promise.resolve();
        }),
      );
  },
};
