/**
 * §2.8 operator tooling on a practice router whose keyring lives in its own 0600 env file:
 * secret-gen, rotate (dry run, interrupted and resumed, audit log), verify --sample, retire.
 */
import * as nodeCrypto from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFileOf, retire, rotate, secretGen, verify, type AuditLine } from '@devnet/router/operator';
import { practiceApiToken, routerDir, routerEnvFile } from '@devnet/router/router-config';
import { RouterNode } from '@devnet/router/router-server';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { parsePrivateKey } from '@shared/protocol/eip191';
import { model, TestMiner, type Reply } from './miner-client';

useNodeCryptoAesGcm(nodeCrypto);

const MINER_KEY = parsePrivateKey(`0x${'61'.repeat(32)}`);
let dataDir: string;
let router: RouterNode;
let miner: TestMiner;

function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!name.startsWith('router.db')) out.set(p, nodeCrypto.createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(routerDir(dataDir));
  return out;
}

async function serve(prompts: string[]): Promise<Reply[]> {
  const stop = new AbortController();
  const loop = miner.loop(stop.signal);
  // A miner that throws fails the test at once instead of leaving the completion to time out.
  loop.catch(() => stop.abort());
  const token = practiceApiToken(dataDir);
  const out: Reply[] = [];
  for (const prompt of prompts) {
    const res = await fetch(`${router.url}/api/v2/completion`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ session_id: 101, prompt, timeout_s: 30 }), signal: stop.signal });
    out.push({ status: res.status, json: (await res.json()) as Reply['json'] });
  }
  stop.abort();
  await loop;
  return out;
}

function audit(): AuditLine[] {
  return readFileSync(auditFileOf(dataDir), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditLine);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'minerva-router-rotate-'));
  const address = new TestMiner('', MINER_KEY).address;
  router = new RouterNode({ dataDir, chainUrl: null, env: { ENCRYPTION_ALLOWED_LIST: `101:${address}` }, sessions: [{ session_id: 101, private: true, competition_id: null }] });
  await router.start();
  miner = new TestMiner(router.url, MINER_KEY);
});

afterAll(async () => {
  await router.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('rotation', () => {
  it('dry run, interrupted rotation, resume, verify and retire', async () => {
    const before = await serve(['one', 'two', 'three']);
    expect(before.map((r) => r.json.output)).toEqual(['one', 'two', 'three'].map((p) => model(p).output));
    expect(router.repository.privatePayloads()).toHaveLength(6);

    // --dry-run: everything decrypts and re-encrypts, nothing changes on disk.
    const files = snapshot();
    const dry = await rotate({ dataDir, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, fromVersion: 'v1', toVersion: 'v2', rotated: 6, failed: [] });
    expect(snapshot()).toEqual(files);
    expect(existsSync(auditFileOf(dataDir))).toBe(false);

    // A rotation that stops after two URNs (as a crash would).
    const part = await rotate({ dataDir, interruptAfter: 2 });
    expect(part).toMatchObject({ toVersion: 'v2', resumed: false, rotated: 2 });
    expect(readFileSync(routerEnvFile(dataDir), 'utf8')).toMatch(/ENCRYPTION_KEY_VERSION=v2\nENCRYPTION_LEGACY_SEEDS=v1:[0-9a-f]{64}\n/);
    expect(statSync(routerEnvFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(router.reloadKeyring()).toBe('v2');
    const partial = await verify({ dataDir, sample: 6 });
    expect([partial.ok, partial.failed.length]).toEqual([2, 4]);
    await expect(retire({ dataDir, version: 'v1' })).rejects.toMatchObject({ code: 'CONFLICT' });

    // Jobs keep flowing mid-rotation: new inputs use v2, the miner fetches keys per version.
    const during = await serve(['four']);
    expect(during[0]!.json.output).toBe(model('four').output);

    // The rerun resumes (no v3), skipping what is already at v2.
    const rest = await rotate({ dataDir });
    expect(rest).toMatchObject({ toVersion: 'v2', resumed: true, rotated: 4, skipped: 4, failed: [] });
    const lines = audit();
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((l) => l.urn)).size).toBe(6);
    for (const l of lines) expect(l).toMatchObject({ old_version: 'v1', new_version: 'v2', status: 'rotated' });
    expect(await verify({ dataDir, sample: 100 })).toMatchObject({ activeVersion: 'v2', checked: 8, ok: 8, failed: [] });

    // Rotated inputs still decrypt for a miner that asks for v2.
    const row = router.repository.privatePayloads()[0]!;
    const env = (await miner.getEnvelope(row.urn)) as { data: { key_version: string } };
    expect(env.data.key_version).toBe('v2');

    expect(await retire({ dataDir, version: 'v1' })).toEqual({ retired: 'v1' });
    expect(readFileSync(routerEnvFile(dataDir), 'utf8')).not.toContain('ENCRYPTION_LEGACY_SEEDS');
    router.reloadKeyring();
    expect((await miner.key(101, null, 'v1')).status).toBe(410);
    await expect(retire({ dataDir, version: 'v2' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('rotation while jobs flow', () => {
  it('loses no job: completions sent before, during and after a rotation all come back right', async () => {
    const stop = new AbortController();
    const loop = miner.loop(stop.signal);
    loop.catch(() => stop.abort());
    const token = practiceApiToken(dataDir);
    const send = (prompt: string): Promise<unknown> =>
      fetch(`${router.url}/api/v2/completion`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ session_id: 101, prompt, timeout_s: 30 }) }).then((r) => r.json());
    const prompts = Array.from({ length: 12 }, (_, i) => `flowing ${i}`);
    const first = prompts.slice(0, 6).map(send);
    const rotated = await rotate({ dataDir });
    expect(rotated.failed).toEqual([]);
    router.reloadKeyring();
    const second = prompts.slice(6).map(send);
    const answers = (await Promise.all([...first, ...second])) as { output: string }[];
    stop.abort();
    await loop;
    expect(answers.map((a) => a.output)).toEqual(prompts.map((p) => model(p).output));
    // (A result a miner sealed under v2 after the backfill passed it stays at v2 until the next
    // rotation: §2.8 lets decryption follow each envelope's key_version.)
  });
});

describe('secret-gen', () => {
  it('writes a 0600 env file, shows the fingerprint, the seed only when asked and never in production', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minerva-secret-'));
    try {
      const file = join(dir, 'router.env');
      const r = secretGen({ dataDir: dir, envFile: file });
      expect(r.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(r.seed).toBeUndefined();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toMatch(/^ENCRYPTION_SEED=[0-9a-f]{64}\nENCRYPTION_KEY_VERSION=v1\n$/);
      expect(() => secretGen({ dataDir: dir, envFile: file })).toThrow(/already holds ENCRYPTION_SEED/);
      const shown = secretGen({ dataDir: dir, envFile: file, force: true, reveal: true });
      expect(readFileSync(file, 'utf8')).toContain(shown.seed!);
      expect(() => secretGen({ dataDir: dir, envFile: join(dir, 'prod.env'), reveal: true, production: true })).toThrow(/production/);
      const open = join(dir, 'open.env');
      writeFileSync(open, '', { mode: 0o644 });
      chmodSync(open, 0o644);
      expect(() => secretGen({ dataDir: dir, envFile: open })).toThrow(/readable by others/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
