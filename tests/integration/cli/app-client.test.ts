import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startServe, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { secretForms } from '../../unit/vault/helpers';

/**
 * The CLI as a client of the running app (issue 13 part 4): the real `minerva serve` holds the
 * data folder, the real `minerva` commands talk to it over its control socket; then the same
 * commands open the folder themselves once it stopped.
 */
const PW = 'orbit-lantern-walnut-cascade';
/** What a miner sends through the Playground: its plaintext must reach no log and no other output. */
const PROMPT = 'The miller opened the gate at dawn';
let work: string;
let home: string;
let dataDir: string;
let serve: ServeHandle | undefined;
/** Every stdout and stderr the CLI printed, by command, for the secret scan. */
const outputs: { args: string[]; stdout: string; stderr: string }[] = [];

function minerva(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [CLI, ...args, '--data-dir', dataDir], {
    cwd: work,
    input: '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
    timeout: 60_000,
  });
  outputs.push({ args, stdout: res.stdout, stderr: res.stderr });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Runs a --json command that must succeed; returns its one JSON document (stderr must be empty). */
function ok<T = Record<string, unknown>>(args: string[]): T {
  const res = minerva([...args, '--json']);
  expect(res.stderr, args.join(' ')).toBe('');
  expect(res.code, args.join(' ')).toBe(0);
  expect(res.stdout.trim().split('\n')).toHaveLength(1);
  return JSON.parse(res.stdout) as T;
}

/** A refused --json command: exit code, nothing on stdout, `{"error":{code,message}}` on stderr. */
function refused(args: string[], code: 1 | 2, env: Record<string, string> = {}): { code: string; message: string } {
  const res = minerva([...args, '--json'], env);
  expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(code);
  expect(res.stdout).toBe('');
  const last = res.stderr.trim().split('\n').at(-1) ?? '';
  return last.startsWith('{') ? (JSON.parse(last) as { error: { code: string; message: string } }).error : { code: 'usage', message: res.stderr };
}

/** One raw NDJSON exchange with the control socket: sends lines, returns the replies until it has `count`. */
function rawExchange(lines: string[], count: number): Promise<{ id: unknown; reply: { ok: boolean; error?: { code: string } } }[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(join(dataDir, 'minerva.sock'));
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const complete = buffered.split('\n').filter(Boolean);
      if (buffered.endsWith('\n') && complete.length >= count) {
        socket.end();
        resolve(complete.map((l) => JSON.parse(l) as { id: unknown; reply: { ok: boolean; error?: { code: string } } }));
      }
    });
    socket.on('error', reject);
    socket.write(lines.join(''));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'minerva-cli-client-'));
  home = mkdtempSync(join(tmpdir(), 'minerva-cli-home-'));
  dataDir = tempDataDir('minerva-cli-data-');
  writeFileSync(join(work, 'pw'), `${PW}\n`, { mode: 0o600 });
  serve = await startServe({ dataDir, args: ['--demo-ms', '0'], env: { HOME: home } });
});
afterAll(async () => {
  await serve?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('minerva commands beside a running minerva serve', () => {
  it('jobs --json answers from the app (exit 0, one JSON document on stdout)', () => {
    const jobs = ok<{ jobs: unknown[]; total: number; counts: Record<string, number>; stats: { totalReported: number }; workers: unknown[] }>(['jobs']);
    expect(jobs).toMatchObject({ jobs: [], total: 0, workers: [], stats: { totalReported: 0 } });
    expect(Object.keys(jobs.counts)).toContain('reported');
    const status = ok<{ state: string; app: { pid: number; host: string } | null }>(['wallet', 'lock-status']);
    expect(status).toMatchObject({ state: 'missing', app: { pid: serve?.process.pid, host: 'headless' } });
  });

  it('networks and competitions --json show the practice network the app runs', () => {
    // The app brings its practice network up in the background: ask until it runs (bounded).
    let networks = ok<{ selectedId: string; practice: { state: string; endpoints: Record<string, string> | null } }>(['networks']);
    for (let i = 0; i < 60 && networks.practice.state !== 'running'; i += 1) {
      spawnSync('sleep', ['0.5']);
      networks = ok(['networks']);
    }
    expect(networks).toMatchObject({ selectedId: 'practice', practice: { state: 'running' } });
    expect(networks.practice.endpoints?.hub).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);
    const competitions = ok<{ networkId: string; error: string | null; competitions: { id: string; kind: string }[] }>(['competitions', '--refresh']);
    expect(competitions.error).toBeNull();
    expect(competitions.competitions.map((c) => c.kind).sort()).toEqual(['checkpoint', 'model-runner', 'private-inference']);
  });

  it('wallet commands act on the app’s own wallet: create, lock, unlock, show', () => {
    const created = ok<{ mnemonic: string; identities: { role: string }[] }>(['wallet', 'create', '--password-file', 'pw']);
    expect(created.mnemonic.split(' ')).toHaveLength(12);
    // The app created it and holds it unlocked (the CLI process has exited).
    expect(ok(['wallet', 'lock-status'])).toMatchObject({ state: 'unlocked', app: { pid: serve?.process.pid } });
    expect(ok(['wallet', 'lock'])).toMatchObject({ state: 'locked' });
    expect(ok(['wallet', 'lock-status'])).toMatchObject({ state: 'locked' });
    expect(refused(['wallet', 'unlock'], 1, { MINERVA_PASSWORD: 'not-the-password' }).code).toBe('AUTH_FAILED');
    expect(ok(['wallet', 'unlock', '--password-file', 'pw'])).toMatchObject({ state: 'unlocked' });
    const shown = ok<{ identities: { role: string; address: string }[] }>(['wallet', 'show']);
    expect(shown.identities.map((i) => i.role)).toContain('hotkey');
    const rewards = ok<{ coldkey: string | null; checklist: { id: string; ok: boolean | null }[] }>(['rewards']);
    expect(rewards.coldkey).toBe(shown.identities.find((i) => i.role === 'coldkey')?.address);
    expect(rewards.checklist.find((c) => c.id === 'wallet')?.ok).toBe(true);
    ok(['runner']);
    expect(ok<{ engine: { state: string } }>(['runtime']).engine.state).toBe('running');
  });

  it('runner mode: gateway needs a quote, a mode is mtls or gateway, and the app says when no runner exists', () => {
    expect(refused(['runner', 'mode', 'practice-runner', 'gateway'], 2).message).toContain('needs --quote');
    expect(refused(['runner', 'mode', 'practice-runner', 'plaintext'], 2).message).toContain('use mtls or gateway');
    const tdx = (name: string): string => join(__dirname, '../../fixtures/tdx', name);
    const notJoined = refused(['runner', 'mode', 'practice-runner', 'gateway', '--quote', tdx('tdx_quote'), '--collateral', tdx('tdx_quote_collateral.json'), '--at', '2025-07-01T12:00:00Z'], 1);
    expect(notJoined).toMatchObject({ code: 'NOT_FOUND' });
    expect(notJoined.message).toMatch(/join/i);
  });

  it('joins through the app, and jobs --json shows the job the app served', async () => {
    const membership = ok<{ competitionId: string; state: string }>(['competitions', 'join', 'practice-inference']);
    expect(membership).toMatchObject({ competitionId: 'practice-inference' });
    type Catalogue = { competitions: { id: string; membership: { state: string } | null }[] };
    const state = (c: Catalogue) => c.competitions.find((x) => x.id === 'practice-inference')?.membership?.state;
    let catalogue = ok<Catalogue>(['competitions']);
    for (let i = 0; i < 120 && state(catalogue) !== 'joined' && state(catalogue) !== 'failed'; i += 1) {
      spawnSync('sleep', ['0.5']);
      catalogue = ok(['competitions']);
    }
    expect(state(catalogue)).toBe('joined');
    // A completion through the router's API (the Playground's contract call, over the control socket): this miner serves it.
    const credential = readFileSync(join(dataDir, 'control.token'), 'utf8').trim();
    const [, sent] = await rawExchange(
      [`${JSON.stringify({ id: 1, auth: credential })}\n`, `${JSON.stringify({ id: 2, method: 'inference.playgroundSend', input: { competitionId: 'practice-inference', prompt: PROMPT, timeoutS: 90 } })}\n`],
      2,
    );
    expect(sent?.reply, JSON.stringify(sent)).toMatchObject({ ok: true });
    const jobs = ok<{ total: number; counts: Record<string, number>; jobs: { competitionId: string; state: string; sessionId: number; error: unknown }[] }>(['jobs', '--state', 'reported']);
    expect(jobs.total).toBe(1);
    expect(jobs.counts.reported).toBe(1);
    expect(jobs.jobs[0]).toMatchObject({ competitionId: 'practice-inference', sessionId: 101, state: 'reported', error: null });
    const human = minerva(['jobs']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/practice-inference\s+101\s+reported/u);
    expect(human.stdout).toContain('from the running app');
  });

  it('usage errors exit 2 with nothing on stdout', () => {
    for (const args of [['jobs', '--limit', '0'], ['jobs', '--state', 'nope'], ['rewards', '--range', 'year'], ['jobs', '--bogus'], ['wallet', 'frobnicate'], ['wallet', 'create', '--words', '13']]) {
      refused(args, 2);
    }
    const notAFolder = spawnSync(process.execPath, [CLI, 'jobs', '--json', '--data-dir', join(work, 'pw')], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home } });
    expect([notAFolder.status, notAFolder.stdout]).toEqual([2, '']);
    expect(JSON.parse(notAFolder.stderr)).toMatchObject({ error: { code: 'VALIDATION', message: expect.stringMatching(/is a file, not a folder/u) as unknown } });
    const bare = spawnSync(process.execPath, [CLI], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: home } });
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
  });

  it('a wrong or missing credential is refused (exit 1), and the app keeps serving', () => {
    const credentialFile = join(dataDir, 'control.token');
    const real = readFileSync(credentialFile, 'utf8');
    try {
      writeFileSync(credentialFile, `${'0'.repeat(64)}\n`, { mode: 0o600 });
      expect(refused(['jobs'], 1)).toMatchObject({ code: 'UNAUTHENTICATED' });
      renameSync(credentialFile, `${credentialFile}.aside`);
      expect(refused(['wallet', 'lock-status'], 1).message).toMatch(/is running with this data folder .*no control endpoint/u);
      renameSync(`${credentialFile}.aside`, credentialFile);
    } finally {
      writeFileSync(credentialFile, real, { mode: 0o600 });
    }
    expect(ok(['wallet', 'lock-status'])).toMatchObject({ state: 'unlocked' });
  });

  it('the socket refuses a request without the credential and answers malformed JSON with a typed error', async () => {
    const credential = readFileSync(join(dataDir, 'control.token'), 'utf8').trim();
    const [unauthenticated] = await rawExchange([`${JSON.stringify({ id: 1, method: 'vault.lock', input: {} })}\n`], 1);
    expect(unauthenticated?.reply).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    const replies = await rawExchange([`${JSON.stringify({ id: 1, auth: credential })}\n`, '{"id":2,"method":"vault.lock"\n', `${JSON.stringify({ id: 3, method: 'app.health', input: {} })}\n`], 3);
    expect(replies.map((r) => [r.id, r.reply.ok, r.reply.error?.code])).toEqual([
      [1, true, undefined],
      [null, false, 'VALIDATION'],
      [3, true, undefined],
    ]);
    // The malformed line did nothing: the wallet is still unlocked.
    expect(ok(['wallet', 'lock-status'])).toMatchObject({ state: 'unlocked' });
  });
});

describe('the same commands with no app running', () => {
  beforeAll(async () => {
    await serve?.stop();
    serve = undefined;
  });

  it('the app removed its credential and socket at exit', () => {
    expect(existsSync(join(dataDir, 'control.token'))).toBe(false);
    expect(existsSync(join(dataDir, 'minerva.sock'))).toBe(false);
  });

  it('reports open the data folder themselves', () => {
    expect(ok(['wallet', 'lock-status'])).toMatchObject({ state: 'locked', app: null, dataDir });
    // The job the app served is in the data folder's database.
    expect(ok(['jobs'])).toMatchObject({ total: 1, counts: { reported: 1 }, jobs: [{ competitionId: 'practice-inference', state: 'reported' }] });
    expect(ok<{ selectedId: string }>(['networks']).selectedId).toBe('practice');
    // This process runs no practice network of its own: the catalogue says why it is empty.
    const competitions = ok<{ competitions: unknown[]; error: string | null }>(['competitions']);
    expect(competitions).toMatchObject({ competitions: [] });
    expect(competitions.error).toMatch(/practice network is not running/u);
    expect(ok<{ identities: unknown[] }>(['wallet', 'show', '--password-file', 'pw']).identities.length).toBeGreaterThan(0);
  });

  it('refuses what needs a running app (exit 1) and says how to proceed', () => {
    expect(refused(['wallet', 'unlock', '--password-file', 'pw'], 1).message).toMatch(/Start `minerva serve`/u);
    expect(refused(['wallet', 'show'], 1, { MINERVA_PASSWORD: 'not-the-password' }).code).toBe('AUTH_FAILED');
  });

  it('no password reached any output, and the recovery phrase only the create command’s', () => {
    const created = outputs.find((o) => o.args.join(' ').startsWith('wallet create'));
    const mnemonic = (JSON.parse(created?.stdout ?? '{}') as { mnemonic?: string }).mnemonic ?? '';
    expect(mnemonic).not.toBe('');
    const needles = [...secretForms(PW), PW, 'not-the-password', PROMPT];
    for (const o of outputs) {
      for (const needle of needles) expect(o.stdout + o.stderr, o.args.join(' ')).not.toContain(needle);
      if (o !== created) expect(o.stdout + o.stderr, o.args.join(' ')).not.toContain(mnemonic);
    }
    const logs = readdirSync(join(dataDir, 'logs')).map((f) => readFileSync(join(dataDir, 'logs', f), 'utf8')).join('\n');
    expect(logs).toContain('control endpoint listening');
    for (const needle of [...needles, mnemonic, ...mnemonic.split(' ').slice(0, 3).map((w, i, a) => (i < 2 ? `${w} ${a[i + 1]}` : w)).slice(0, 2)]) expect(logs).not.toContain(needle);
  });
});
