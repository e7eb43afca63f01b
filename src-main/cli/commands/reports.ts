import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { MethodInput } from '@shared/contract';
import type { MembershipView } from '@shared/contract/competitions';
import { AppError } from '@shared/contract/errors';
import { endpointUrlSchema } from '@shared/contract/networks';
import { JOB_STATES, type JobState } from '@shared/contract/inference';
import { amountText } from '@shared/format/amount';
import type { CliCommand, CliIo } from '../command-registry';
import { choiceOption, guarded, intOption, report, UsageError } from '../output';
import { sourceLine, withSession } from '../session';
import { bytes, clock, table } from '../table';

/**
 * Report commands: `minerva status | jobs | competitions | rewards | runner | runtime | networks`.
 * Each asks the running app (or, when none runs, the data folder) through the contract and
 * prints a table, or with --json the contract's answer as one JSON document.
 */
interface ReportOpts {
  dataDir?: string;
  json?: boolean;
}

interface ConfigureOpts {
  actionPrefix?: 'base-upload-v1' | 'platform-upload-v1';
  connitoNetuid?: number;
  connitoValidator?: string;
  connitoRoundBlocks?: number;
  connitoCommitBlocks?: number;
  connito: boolean;
  platformHub?: string;
  platformNetuid?: number;
  platform: boolean;
}

/** An address option checked as the contract checks it (https, or http on this machine only): a usage error in words, before anything runs. */
function endpointOption(value: string): string {
  const parsed = endpointUrlSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError('use an https:// address (http:// only for 127.0.0.1 or localhost), without user, query or fragment.');
  return parsed.data;
}

const withCommon = (cmd: Command) => cmd.option('--data-dir <dir>', 'data folder (default: MINERVA_DATA_DIR or the platform app-data folder)').option('--json', 'print one JSON document');

function parseStates(value: string): JobState[] {
  const states = value.split(',').map((s) => s.trim());
  const wrong = states.filter((s) => !(JOB_STATES as readonly string[]).includes(s));
  if (wrong.length > 0) throw new UsageError(`Unknown job state ${wrong.join(', ')}: use ${JOB_STATES.join(', ')} (comma-separated).`);
  return states as JobState[];
}

function registerJobs(program: Command, io: CliIo): void {
  withCommon(program.command('jobs'))
    .description('private-inference jobs (newest first), their workers and throughput')
    .option('--competition <id>', 'only this competition')
    .option('--state <states>', `only these states, comma-separated (${JOB_STATES.join(', ')})`)
    .option('--limit <n>', 'at most this many jobs', intOption(1, 20_000), 50)
    .action(
      guarded(io, async (opts: ReportOpts & { competition?: string; state?: string; limit: number }) => {
        const states = opts.state === undefined ? undefined : parseStates(opts.state);
        await withSession(opts, io, async (session) => {
          const jobs = await session.call('inference.jobs', { limit: opts.limit, ...(opts.competition ? { competitionId: opts.competition } : {}), ...(states ? { states } : {}) });
          const status = await session.call('inference.status');
          const counts = Object.entries(jobs.counts)
            .filter(([, n]) => n > 0)
            .map(([state, n]) => `${state} ${n}`)
            .join(', ');
          const human = [
            ...status.workers.map((w) => `Worker ${w.competitionId} (session ${w.sessionId}): ${w.state} — ${w.detail}`),
            ...status.warnings.map((w) => `! ${w.competitionId}: ${w.message}`),
            `${jobs.total} job${jobs.total === 1 ? '' : 's'}${counts ? ` (${counts})` : ''}; reported ${status.stats.totalReported}, failed ${status.stats.totalFailed} in all.`,
            ...(jobs.jobs.length > 0
              ? [
                  '',
                  table(
                    ['RECEIVED', 'JOB', 'COMPETITION', 'SESSION', 'STATE', 'TOTAL', 'ERROR'],
                    jobs.jobs.map((j) => [clock(j.receivedAt), j.jobId.slice(0, 8), j.competitionId, String(j.sessionId), j.state, j.totalMs === null ? '' : `${j.totalMs} ms`, j.error ? `${j.error.code}: ${j.error.message}` : '']),
                  ),
                ]
              : []),
            sourceLine(session),
          ].join('\n');
          report(io, Boolean(opts.json), { ...jobs, workers: status.workers, stats: status.stats, warnings: status.warnings }, human);
        });
      }),
    );
}

function membershipLine(m: MembershipView): string {
  const step = m.steps.find((st) => st.state === 'active' || st.state === 'failed');
  return `${m.competitionId}: ${m.state}${step ? ` (${step.label}${step.detail ? `: ${step.detail}` : ''})` : ''}${m.error ? ` — ${m.error.message}` : ''}`;
}

function registerCompetitions(program: Command, io: CliIo): void {
  // `competitions --json` and `competitions join <id> --json` each own their options.
  const competitions = program.command('competitions').enablePositionalOptions();
  for (const [verb, method, words] of [
    ['join', 'competitions.join', 'join a competition (registers the hotkey first when needed; the wallet must be unlocked)'],
    ['leave', 'competitions.leave', 'leave a competition'],
    ['retry', 'competitions.retry', 'retry a failed join or leave now'],
  ] as const) {
    withCommon(competitions.command(`${verb} <id>`))
      .description(words)
      .action(
        guarded(io, async (id: string, opts: ReportOpts) => {
          await withSession(opts, io, async (session) => {
            if (!session.app) {
              throw new AppError('CONFLICT', `No Minerva is running with this data folder: memberships are worked by a running app. Start \`minerva serve\` (or the desktop app), then run this again.`);
            }
            const membership = await session.call(method, { id });
            report(io, Boolean(opts.json), membership, `${membershipLine(membership)}\nThe app carries on in the background; \`minerva competitions\` shows how far it got.`);
          });
        }),
      );
  }
  withCommon(competitions)
    .description('competitions of the selected network and this miner’s memberships')
    .option('--refresh', 'ask the network for the catalogue again first')
    .action(
      guarded(io, async (opts: ReportOpts & { refresh?: boolean }) => {
        await withSession(opts, io, async (session) => {
          const view = await session.call('competitions.list', { refresh: Boolean(opts.refresh) });
          const human = [
            `Network: ${view.networkId || '(none reachable)'}${view.fetchedAt ? ` (catalogue of ${clock(view.fetchedAt)})` : ''}`,
            ...(view.error ? [`! ${view.error}`] : []),
            view.competitions.length === 0
              ? 'No competitions known.'
              : table(
                  ['ID', 'KIND', 'TITLE', 'MEMBERSHIP', 'REWARDS'],
                  view.competitions.map((c) => [c.id, c.kind, c.title, c.membership ? `${c.membership.state}${c.membership.error ? ` (${c.membership.error.message})` : ''}` : '-', c.rewards.summary]),
                ),
            sourceLine(session),
          ].join('\n');
          report(io, Boolean(opts.json), view, human);
        });
      }),
    );
}

function registerRewards(program: Command, io: CliIo): void {
  withCommon(program.command('rewards'))
    .description('balance, rewards over a day or a week, and the checklist of why this miner may not be earning')
    .option('--range <range>', 'day or week', choiceOption(['day', 'week'] as const), 'day')
    .action(
      guarded(io, async (opts: ReportOpts & { range: 'day' | 'week' }) => {
        await withSession(opts, io, async (session) => {
          const view = await session.call('rewards.get', { range: opts.range });
          const mark = (ok: boolean | null) => (ok === true ? 'ok  ' : ok === false ? 'FAIL' : '?   ');
          const human = [
            `Network: ${view.networkId}   Coldkey: ${view.coldkey ?? '(unlock the wallet to see it)'}   Balance: ${view.balance === null ? 'unknown' : amountText(view.balance, view.symbol)}`,
            ...(view.error ? [`! ${view.error}`] : []),
            view.perCompetition.length === 0
              ? `No rewards over the last ${view.range}.`
              : table(
                  ['COMPETITION', 'TITLE', `WORK (LAST ${view.range.toUpperCase()})`, `EARNED (LAST ${view.range.toUpperCase()})`],
                  view.perCompetition.map((p) => [p.competitionId, p.title, p.work?.words ?? '—', amountText(p.amount, view.symbol)]),
                ),
            '',
            'Checklist:',
            ...view.checklist.map((c) => `  ${mark(c.ok)} ${c.label}: ${c.detail}${c.ok === false && c.fix ? ` → ${c.fix.label}` : ''}`),
            sourceLine(session),
          ].join('\n');
          report(io, Boolean(opts.json), view, human);
        });
      }),
    );
}

function registerRunner(program: Command, io: CliIo): void {
  const runner = withCommon(program.command('runner'));
  registerRunnerMode(runner, io);
  runner
    .description('model runners of joined model-runner competitions: enrolment, certificate, calls')
    .action(
      guarded(io, async (opts: ReportOpts) => {
        await withSession(opts, io, async (session) => {
          const status = await session.call('runner.status');
          const lines: string[] = [];
          if (status.runners.length === 0) lines.push('No model runner: join a model-runner competition first (minerva competitions).');
          for (const r of status.runners) {
            lines.push(
              `${r.competitionId} (${r.className} on ${r.networkDomain}): ${r.state} — ${r.detail}`,
              `  listen ${r.listen.host}:${r.listen.port ?? '-'}${r.listen.beyondLoopback ? ' (beyond this machine)' : ''}   policy ${r.policy}   mode ${r.mode}`,
              ...(r.mode === 'gateway' ? [`  ! gateway mode: no client certificate; calls need a fresh x-gateway-auth token (TEE check ${r.modeTee?.tcbStatus ?? '?'} at ${r.modeTee ? clock(r.modeTee.at) : '?'})`] : []),
              `  certificate ${r.certificate ? `valid until ${clock(r.certificate.notAfter)} (renew at ${clock(r.certificate.renewAt)})` : 'none yet'}`,
              `  calls accepted ${r.calls.accepted}, refused ${r.calls.refused}${r.calls.p50Ms === null ? '' : `, p50 ${r.calls.p50Ms} ms, p99 ${r.calls.p99Ms ?? '-'} ms`}${r.calls.lastCallAt ? `, last ${clock(r.calls.lastCallAt)}` : ''}`,
              ...(r.error ? [`  ! ${r.error.message}`] : []),
            );
          }
          for (const remote of status.remote) lines.push(`remote ${remote.address} for ${remote.competitionId}: ${remote.registered ? 'registered' : 'not registered'}, TEE ${remote.tee.ok ? 'ok' : 'FAILED'} (${remote.tee.tcbStatus})`);
          lines.push(sourceLine(session));
          report(io, Boolean(opts.json), status, lines.join('\n'));
        });
      }),
    );
}

/** `minerva runner mode <competition> mtls|gateway`: gateway only after this computer's TDX quote passes the TEE check. */
function registerRunnerMode(runner: Command, io: CliIo): void {
  withCommon(runner.command('mode <competition> <mode>'))
    .description('how coordinators reach the runner: mtls (default) or gateway (no client certificate, signed x-gateway-auth-* calls; needs --quote)')
    .option('--quote <file>', "this computer's TDX quote (raw bytes), checked before gateway mode is allowed")
    .option('--collateral <file>', 'collateral JSON for the quote (default: fetched from the PCCS)')
    .option('--at <time>', 'check as of this ISO time (for offline collateral)')
    .option('--report-data <hex>', 'the 64 bytes the quote must bind, as 128 hex digits')
    .action(
      guarded(io, async (competitionId: string, mode: string, opts: ReportOpts & { quote?: string; collateral?: string; at?: string; reportData?: string }) => {
        if (mode !== 'mtls' && mode !== 'gateway') throw new UsageError(`Unknown mode ${mode}: use mtls or gateway.`);
        if (mode === 'gateway' && !opts.quote) throw new UsageError('Gateway mode needs --quote <file>: the TDX quote of this computer, checked before the runner stops asking for client certificates.');
        let tee: MethodInput<'runner.setMode'>['tee'];
        if (mode === 'gateway' && opts.quote) {
          const read = (file: string, what: string): Buffer => {
            try {
              return readFileSync(file);
            } catch {
              throw new UsageError(`Cannot read the ${what} file ${file}.`);
            }
          };
          let collateral: Record<string, unknown> | undefined;
          if (opts.collateral) {
            try {
              collateral = JSON.parse(read(opts.collateral, 'collateral').toString('utf8')) as Record<string, unknown>;
            } catch (error) {
              if (error instanceof UsageError) throw error;
              throw new UsageError(`The collateral file ${opts.collateral} is not JSON.`);
            }
          }
          const at = opts.at === undefined ? undefined : new Date(opts.at);
          if (at && Number.isNaN(at.getTime())) throw new UsageError(`--at ${opts.at} is not a time: use ISO form, e.g. 2025-07-01T12:00:00Z.`);
          tee = { quoteB64: read(opts.quote, 'quote').toString('base64'), ...(collateral ? { collateral } : {}), ...(at ? { at: at.toISOString() } : {}), ...(opts.reportData ? { expectedReportData: opts.reportData } : {}), allowSwHardening: false };
        }
        await withSession(opts, io, async (session) => {
          const view = await session.call('runner.setMode', { competitionId, mode, ...(tee ? { tee } : {}) });
          const human =
            view.mode === 'gateway'
              ? `${competitionId}: gateway mode (TEE check passed, TCB ${view.modeTee?.tcbStatus ?? '?'}). Coordinators connect without a client certificate; every call needs a fresh x-gateway-auth token signed by a coordinator key on chain.`
              : `${competitionId}: mutual TLS (a client certificate from the network CA is required).`;
          report(io, Boolean(opts.json), view, `${human}\n${sourceLine(session)}`);
        });
      }),
    );
}

function registerRuntime(program: Command, io: CliIo): void {
  withCommon(program.command('runtime'))
    .description('the Docker engine (and how to fix it) and the model containers of this app')
    .action(
      guarded(io, async (opts: ReportOpts) => {
        await withSession(opts, io, async (session) => {
          const status = await session.call('runtime.status');
          const { containers } = status.engine.state === 'running' ? await session.call('runtime.containers') : { containers: [] };
          const e = status.engine;
          const human = [
            `Docker engine: ${e.state} at ${e.endpoint}${e.version ? ` (version ${e.version}, ${e.os ?? '?'}/${e.arch ?? '?'}, ${e.cpus ?? '?'} CPUs, ${bytes(e.memoryBytes)})` : ''}`,
            ...(e.problem ? [`! ${e.problem}`] : []),
            ...(e.fix ? [`  Fix: ${e.fix}`] : []),
            `GPU: ${e.gpu.available ? `available (${e.gpu.hostGpus ?? '?'})` : 'none'}${e.disk ? `   Disk free: ${bytes(e.disk.freeBytes)} of ${bytes(e.disk.totalBytes)}` : ''}   Developer mode: ${status.developerMode ? 'on' : 'off'}`,
            containers.length === 0
              ? 'No model containers.'
              : table(
                  ['NAME', 'IMAGE', 'STATE', 'MODEL', 'MEMORY'],
                  containers.map((c) => [c.name, c.image, c.status || c.state, c.model ? `${c.model.key} (${c.model.state})` : '', bytes(c.usage?.memoryBytes)]),
                ),
            sourceLine(session),
          ].join('\n');
          report(io, Boolean(opts.json), { ...status, containers }, human);
        });
      }),
    );
}

function registerNetworks(program: Command, io: CliIo): void {
  const networks = program.command('networks').enablePositionalOptions();
  withCommon(networks.command('add'))
    .description('add a network (not selected): --kind bittensor checks the endpoint’s chain, genesis and runtime first; --kind custom takes a chain and a hub')
    .option('--kind <kind>', 'bittensor or custom (a practice-compatible network)', choiceOption(['bittensor', 'custom'] as const), 'bittensor')
    .option('--preset <name>', 'bittensor: finney, test or custom (default: custom with --endpoint, else finney)', choiceOption(['finney', 'test', 'custom'] as const))
    .option('--endpoint <url>', 'bittensor: the node’s wss:// address (ws:// only on this machine)')
    .option('--name <name>', 'the name shown in the app')
    .option('--chain-url <url>', 'custom: the chain’s https:// endpoint')
    .option('--hub-url <url>', 'custom: the hub’s https:// endpoint')
    .action(
      guarded(io, async (opts: ReportOpts & { kind: 'bittensor' | 'custom'; preset?: 'finney' | 'test' | 'custom'; endpoint?: string; name?: string; chainUrl?: string; hubUrl?: string }) => {
        let input: Record<string, unknown>;
        if (opts.kind === 'custom') {
          if (!opts.name || !opts.chainUrl || !opts.hubUrl) throw new UsageError('A custom network needs --name, --chain-url and --hub-url.');
          input = { name: opts.name, chainUrl: opts.chainUrl, hubUrl: opts.hubUrl };
        } else {
          if (opts.chainUrl || opts.hubUrl) throw new UsageError('A Bittensor network takes --endpoint (and --preset), not --chain-url or --hub-url.');
          const preset = opts.preset ?? (opts.endpoint ? 'custom' : 'finney');
          input = { kind: 'bittensor', preset, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}), ...(opts.name ? { name: opts.name } : {}) };
        }
        await withSession(opts, io, async (session) => {
          const before = new Set((await session.call('networks.list')).profiles.map((p) => p.id));
          const view = await session.call('networks.add', input as never);
          const added = view.profiles.find((p) => !before.has(p.id));
          const chain = added?.chain;
          const human = [
            `Added ${added?.name ?? 'the network'} (${added?.id ?? '?'}): ${added?.chainUrl ?? ''}`,
            ...(chain ? [`Chain "${chain.chain}", genesis ${chain.genesisHash}, runtime ${chain.specName} v${chain.specVersion}, token ${chain.tokenSymbol}, block ${chain.block}.`] : []),
            `It is not in use yet: \`minerva networks select ${added?.id ?? '<id>'}\` switches to it.`,
          ].join('\n');
          report(io, Boolean(opts.json), view, human);
        });
      }),
    );
  withCommon(networks.command('configure <id>'))
    .description('settings of a Bittensor network: the signing prefix of miner actions, the Connito checkpoint competition and the Platform hub on a subnet')
    .option('--action-prefix <prefix>', 'base-upload-v1 (the public Platform code; the default on Bittensor) or platform-upload-v1 (the practice network’s)', choiceOption(['base-upload-v1', 'platform-upload-v1'] as const))
    .option('--connito-netuid <n>', 'the subnet of the Connito checkpoint competition', intOption(1, 65_535))
    .option('--connito-validator <url>', 'the validator’s https:// address (its /submit takes the signed messages)', endpointOption)
    .option('--connito-round-blocks <n>', 'blocks per round (default 360)', intOption(4, 100_000))
    .option('--connito-commit-blocks <n>', 'blocks of commit phase at the start of each round (default 180)', intOption(2, 100_000))
    .option('--no-connito', 'remove the Connito competition from this network')
    .option('--platform-hub <url>', 'the Platform hub’s https:// address (its challenges join the catalogue)', endpointOption)
    .option('--platform-netuid <n>', 'the subnet the Platform hub serves (joining needs a UID on it)', intOption(1, 65_535))
    .option('--no-platform', 'remove the Platform hub from this network')
    .action(
      guarded(io, async (id: string, opts: ReportOpts & ConfigureOpts) => {
        const input: MethodInput<'networks.configure'> = { id, ...(opts.actionPrefix ? { actionPrefix: opts.actionPrefix } : {}) };
        const connitoFlags = opts.connitoNetuid !== undefined || opts.connitoValidator !== undefined || opts.connitoRoundBlocks !== undefined || opts.connitoCommitBlocks !== undefined;
        if (!opts.connito) {
          if (connitoFlags) throw new UsageError('--no-connito removes the Connito competition: give it alone, or leave it out to set the competition with --connito-netuid and --connito-validator.');
          input.connito = null;
        } else if (connitoFlags) {
          if (opts.connitoNetuid === undefined || !opts.connitoValidator) throw new UsageError('A Connito competition needs both --connito-netuid and --connito-validator.');
          input.connito = { netuid: opts.connitoNetuid, validatorUrl: opts.connitoValidator, roundBlocks: opts.connitoRoundBlocks ?? 360, commitBlocks: opts.connitoCommitBlocks ?? 180 };
        }
        const platformFlags = opts.platformHub !== undefined || opts.platformNetuid !== undefined;
        if (!opts.platform) {
          if (platformFlags) throw new UsageError('--no-platform removes the Platform hub: give it alone, or leave it out to set the hub with --platform-hub and --platform-netuid.');
          input.platform = null;
        }
        await withSession(opts, io, async (session) => {
          if (opts.platform && platformFlags) {
            // One of the two changes the hub already set; a new hub needs both.
            const profile = (await session.call('networks.list')).profiles.find((p) => p.id === id);
            if (!profile) throw new AppError('NOT_FOUND', 'That network is not in your list (`minerva networks` lists them).');
            const before = profile.settings?.platform ?? null;
            const hubUrl = opts.platformHub ?? before?.hubUrl;
            const netuid = opts.platformNetuid ?? before?.netuid;
            if (hubUrl === undefined || netuid === undefined) throw new UsageError('A Platform hub needs both --platform-hub and --platform-netuid (this network has none yet).');
            input.platform = { hubUrl, netuid };
          }
          const view = await session.call('networks.configure', input);
          const settings = view.profiles.find((p) => p.id === id)?.settings;
          const c = settings?.connito;
          const p = settings?.platform;
          const human = [
            `Signed miner actions use the prefix ${settings?.actionPrefix ?? '?'}.`,
            c ? `Connito checkpoints: subnet ${c.netuid}, validator ${c.validatorUrl}, rounds of ${c.roundBlocks} blocks opening with ${c.commitBlocks} blocks of commit phase.` : 'No Connito competition on this network.',
            p
              ? `Platform hub: ${p.hubUrl} on subnet ${p.netuid}; its active challenges are in \`minerva competitions\` while this network is selected (joining needs a UID on subnet ${p.netuid}).`
              : 'No Platform hub on this network.',
          ].join('\n');
          report(io, Boolean(opts.json), view, human);
        });
      }),
    );
  withCommon(networks.command('select <id>'))
    .description('switch to a network (explicit; recorded in the audit log)')
    .action(
      guarded(io, async (id: string, opts: ReportOpts) => {
        await withSession(opts, io, async (session) => {
          const view = await session.call('networks.select', { id });
          const selected = view.profiles.find((p) => p.id === view.selectedId);
          report(io, Boolean(opts.json), view, `Now using ${selected?.name ?? id}.`);
        });
      }),
    );
  withCommon(networks)
    .description('network profiles, the selected one (*), and the practice network state')
    .action(
      guarded(io, async (opts: ReportOpts) => {
        await withSession(opts, io, async (session) => {
          const view = await session.call('networks.list');
          const human = [
            table(
              ['', 'ID', 'NAME', 'KIND', 'CHAIN', 'HUB', 'GENESIS'],
              view.profiles.map((p) => [p.id === view.selectedId ? '*' : '', p.id, p.name, p.kind, p.chainUrl ?? '-', p.hubUrl ?? '-', p.chain ? `${p.chain.genesisHash.slice(0, 10)}… (${p.chain.specName} v${p.chain.specVersion})` : '-']),
            ),
            `Practice network: ${view.practice.state} — ${view.practice.detail}`,
            sourceLine(session),
          ].join('\n');
          report(io, Boolean(opts.json), view, human);
        });
      }),
    );
}

/** `minerva status`: what the desktop's tray icon shows (core's `presence.get`), so both agree. */
function registerStatus(program: Command, io: CliIo): void {
  withCommon(program.command('status'))
    .description('the mining state, competitions and earnings of the last 24 hours (what the tray icon shows)')
    .action(
      guarded(io, async (opts: ReportOpts) => {
        await withSession(opts, io, async (session) => {
          const view = await session.call('presence.get');
          const c = view.competitions;
          const human = [
            view.headline,
            ...(view.next ? [`  ${view.next}`] : []),
            `Wallet: ${view.walletUnlocked ? 'unlocked' : view.workKeysInMemory ? 'locked, work keys in memory (mining mode)' : view.state === 'no-wallet' ? 'none' : 'locked'}   Network: ${view.networkName ?? 'not reachable'}`,
            `Competitions: ${c.joined} joined${c.joining > 0 ? `, ${c.joining} joining` : ''}${c.failed > 0 ? `, ${c.failed} failed` : ''}`,
            `Earned in the last 24 h: ${view.earnedToday ? amountText(view.earnedToday.amount, view.earnedToday.symbol) : 'not known'}`,
            sourceLine(session),
          ].join('\n');
          report(io, Boolean(opts.json), view, human);
        });
      }),
    );
}

export const reportCommands: CliCommand[] = [
  { name: 'status', register: registerStatus },
  { name: 'jobs', register: registerJobs },
  { name: 'competitions', register: registerCompetitions },
  { name: 'rewards', register: registerRewards },
  { name: 'runner', register: registerRunner },
  { name: 'runtime', register: registerRuntime },
  { name: 'networks', register: registerNetworks },
];
