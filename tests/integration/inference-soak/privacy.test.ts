/**
 * Privacy: after a run of private completions with distinctive prompts, no file of the data dir —
 * the app's SQLite (and its -wal/-shm), its logs, the vault, the practice router's SQLite, blob
 * store and everything else — and nothing `minerva serve` printed holds any prompt, any output or
 * the scoped payload key, byte for byte (and the key in hex, base64 and base64url too).
 *
 * Here `minerva serve` runs the practice network in its own process, as a miner's app does, so
 * the router's log lines land in the app's log files and are searched with them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompetitionsView } from '@shared/contract/competitions';
import type { InferenceStatus, PlaygroundAnswer } from '@shared/contract/inference';
import { fromHex, toBase64, toBase64Url, toHex } from '@shared/protocol/encoding';
import { decryptEnvelope, parseEnvelopeJson } from '@shared/protocol/envelope';
import { deriveScopedKey } from '@shared/protocol/hkdf-keys';
import { parseEnvText, practiceApiToken, routerEnvFile } from '@devnet/router/router-config';
import { readPracticeNetworkState } from '@devnet/state';
import { REPO_ROOT, tempDataDir, type ServeHandle } from '../../helpers/serve-process';
import { connectRpc, type WsRpc } from '../../helpers/ws-rpc';
import { COMPETITION, expectedOutput, makePrompts, PASSWORD, pool, removeOurContainers, serveApp, SESSION, stopApp } from './harness';

const JOBS = 24;

let dataDir: string;
let serve: ServeHandle;
let rpc: WsRpc;

beforeAll(async () => {
  dataDir = tempDataDir('minerva-inference-privacy-');
  serve = await serveApp(dataDir);
  rpc = await connectRpc(serve.loginUrl);
  await rpc.call('vault.create', { password: PASSWORD });
  await rpc.call('competitions.list', { refresh: true });
  const joined = rpc.waitFor<CompetitionsView>('competitions.changed', (v) => v.competitions.find((c) => c.id === COMPETITION)?.membership?.state === 'joined');
  await rpc.call('competitions.join', { id: COMPETITION });
  await joined;
});

afterAll(async () => {
  rpc?.close();
  if (serve) await stopApp(serve);
  await removeOurContainers();
});

/** Every regular file under `dir`, with its bytes. */
function allFiles(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (st.isFile()) out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

/** Text of the demo model's corpus: an output that merely repeats it is public text, not a secret of this run. */
const CORPUS = readFileSync(join(REPO_ROOT, 'resources', 'models', 'text-ngram', 'corpus.txt'), 'utf8').toLowerCase();

describe('no prompt, output or key at rest', () => {
  it(`after ${JOBS} private completions and a Playground prompt, none of them is in the data dir or the output`, async () => {
    const state = readPracticeNetworkState(dataDir);
    const routerUrl = state?.parties.router?.url;
    expect(routerUrl, 'the app runs the practice router').toBeTruthy();
    const token = practiceApiToken(dataDir);
    const prompts = makePrompts(Date.now() % 1_000_000, JOBS, 'p');
    const until = Date.now() + 30_000;
    while (Date.now() < until && !(await rpc.call<InferenceStatus>('inference.status', {})).workers.some((w) => w.competitionId === COMPETITION && w.state === 'running')) await new Promise((r) => setTimeout(r, 200));

    const answers = await pool(prompts, 8, async (prompt) => {
      const res = await fetch(`${routerUrl}/api/v2/completion`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: SESSION, prompt, timeout_s: 120 }),
      });
      return { status: res.status, json: (await res.json()) as { output?: unknown; error?: unknown } };
    });
    for (const [i, a] of answers.entries()) {
      expect(a.status, JSON.stringify(a.json.error)).toBe(200);
      expect(a.json.output).toEqual(expectedOutput(prompts[i]!));
    }
    // The Playground: the prompt crosses the app's own RPC (a `sensitive` method) as well.
    const playPrompt = makePrompts(Date.now() % 999_983, 1, 'play')[0]!;
    const play = await rpc.call<PlaygroundAnswer>('inference.playgroundSend', { competitionId: COMPETITION, prompt: playPrompt, timeoutS: 60 });
    expect(play.output).toEqual(expectedOutput(playPrompt));
    prompts.push(playPrompt);
    const outputs: unknown[] = [...answers.map((a) => a.json.output), play.output];

    // Stop the app (and with it the router) so that every log and WAL is flushed to disk.
    rpc.close();
    const exitedCleanly = await stopApp(serve);

    // What to look for: each prompt and its marker; each output's text (when it is not simply
    // corpus text) and every number it carries; the session key of every version, in every encoding.
    const needles = new Map<string, string>();
    for (const [i, p] of prompts.entries()) {
      needles.set(p, `prompt ${i}`);
      needles.set(p.split(' ')[2]!, `marker of prompt ${i}`);
    }
    let publicOutputs = 0;
    for (const [i, o] of outputs.entries()) {
      const strings: string[] = [];
      const walk = (v: unknown): void => {
        if (typeof v === 'string') strings.push(v);
        else if (typeof v === 'number' && !Number.isInteger(v)) strings.push(String(v));
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      walk(o);
      needles.set(JSON.stringify(o), `output ${i} (JSON)`);
      for (const s of strings) {
        const trimmed = s.trim();
        if (trimmed.length < 12) continue;
        if (CORPUS.includes(trimmed.toLowerCase())) {
          publicOutputs += 1;
          continue;
        }
        needles.set(trimmed, `output ${i}`);
      }
    }
    const env = parseEnvText(readFileSync(routerEnvFile(dataDir), 'utf8'), 'router.env');
    const seeds = [env.ENCRYPTION_SEED!, ...(env.ENCRYPTION_LEGACY_SEEDS ?? '').split(',').filter(Boolean).map((e) => e.split(':')[1]!)];
    for (const seedHex of seeds) {
      const key = deriveScopedKey(fromHex(seedHex, 'seed'), String(SESSION));
      needles.set(toHex(key), 'payload key (hex)');
      needles.set(toHex(key).toUpperCase(), 'payload key (HEX)');
      needles.set(toBase64(key), 'payload key (base64)');
      needles.set(toBase64Url(key, false), 'payload key (base64url)');
      needles.set(Buffer.from(key).toString('latin1'), 'payload key (raw bytes)');
    }

    // Control: the key searched for is the real one — it opens the stored input of the first prompt.
    const blobs = allFiles(join(dataDir, 'devnet', 'router', 'blobs', String(SESSION)));
    const opened = await Promise.all(
      blobs.map(async (b) => {
        const envelope = parseEnvelopeJson(b.bytes.toString('utf8'));
        if (envelope.payload_type !== 'encrypted' || envelope.data.key_version !== (env.ENCRYPTION_KEY_VERSION ?? 'v1')) return null;
        return decryptEnvelope(deriveScopedKey(fromHex(env.ENCRYPTION_SEED!, 'seed'), String(SESSION)), envelope).catch(() => null);
      }),
    );
    expect(opened.some((d) => d?.prompt === prompts[0])).toBe(true);

    const files = allFiles(dataDir);
    expect(files.some((f) => f.path.endsWith('minerva.db'))).toBe(true);
    // The search covers the router's own log lines (they land in the app's log): its decisions are there.
    expect(files.some((f) => f.path.includes('logs') && f.bytes.includes(Buffer.from('completion answered')))).toBe(true);
    expect(files.some((f) => f.path.includes(join('devnet', 'router')))).toBe(true);
    const found: string[] = [];
    const haystacks = [...files.map((f) => ({ where: relative(dataDir, f.path), bytes: f.bytes })), { where: 'serve output', bytes: Buffer.from(serve.output(), 'utf8') }];
    for (const h of haystacks) {
      for (const [needle, what] of needles) {
        const bytes = what === 'payload key (raw bytes)' ? Buffer.from(needle, 'latin1') : Buffer.from(needle, 'utf8');
        if (h.bytes.includes(bytes)) found.push(`${what} in ${h.where}`);
      }
    }
    console.log(`privacy: searched ${haystacks.length} files/outputs (${haystacks.reduce((a, h) => a + h.bytes.length, 0)} bytes) for ${needles.size} strings; ${publicOutputs} output strings were corpus text and not searched`);
    expect(found).toEqual([]);
    // The seed itself lives only in the router's 0600 env file.
    const seedHolders = haystacks.filter((h) => seeds.some((s) => h.bytes.includes(Buffer.from(s, 'utf8')))).map((h) => h.where);
    expect(seedHolders).toEqual([relative(dataDir, routerEnvFile(dataDir))]);
    expect(exitedCleanly, 'minerva serve exits within 20 s of SIGTERM').toBe(true);
  });
});
