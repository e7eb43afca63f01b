import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyMinerRequest } from '@shared/protocol/miner-request';

const root = join(__dirname, '..', '..');
const fixtures = join(root, 'tests', 'fixtures');

interface Run {
  code: number | null;
  out: Record<string, unknown>;
  stdout: string;
}

/** Spawns the real CLI: `node bin/minerva.cjs proto <verb>` with one JSON object on stdin. */
function proto(verb: string, input: unknown): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/minerva.cjs', 'proto', verb], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // A result on stdout (exit 0), an error on stderr (exit 1): one JSON line, the other stream empty.
      const [text, other] = code === 0 ? [stdout, stderr] : [stderr, stdout];
      const lines = text.trim().split('\n');
      if (lines.length !== 1 || other !== '') return reject(new Error(`expected one line of JSON, got: ${stdout} ${stderr}`));
      resolve({ code, out: JSON.parse(lines[0]!) as Record<string, unknown>, stdout });
    });
    child.stdin.end(typeof input === 'string' ? input : JSON.stringify(input));
  });
}

const MNEMONIC = 'test test test test test test test test test test test junk';
const ALICE = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk//Alice';

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs', '--node'], { cwd: root, stdio: 'pipe' });
});

describe('minerva proto (spawned CLI)', () => {
  it('derive-key → envelope-encrypt → envelope-decrypt', async () => {
    const seed = 'ab'.repeat(32);
    const k = await proto('derive-key', { seed_hex: seed, scope: '101:9001' });
    expect(k.code).toBe(0);
    expect(k.out.key_hex).toMatch(/^[0-9a-f]{64}$/);
    const enc = await proto('envelope-encrypt', { key_hex: k.out.key_hex, scope_type: 'task', session_id: 101, task_id: 9001, key_version: 'v2', data: { prompt: 'hi', params: {}, metadata: {} } });
    expect(enc.code).toBe(0);
    expect(enc.out).toMatchObject({ version: 'v2', payload_type: 'encrypted', data: { alg: 'aes-256-gcm', scope_type: 'task', session_id: 101, task_id: 9001, key_version: 'v2' } });
    const dec = await proto('envelope-decrypt', { key_hex: k.out.key_hex, envelope: enc.out });
    expect(dec).toMatchObject({ code: 0, out: { data: { prompt: 'hi', params: {}, metadata: {} } } });
    const other = await proto('derive-key', { seed_hex: seed, scope: '101' });
    const wrong = await proto('envelope-decrypt', { key_hex: other.out.key_hex, envelope: enc.out });
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatchObject({ error: { code: 'DECRYPT_FAILED' } });
  });

  it('allowed-list-check', async () => {
    const list = `0x${'a'.repeat(40)};101-9001:0x${'c'.repeat(40)}`;
    expect((await proto('allowed-list-check', { list, address: `0x${'C'.repeat(40)}`, session_id: 101, task_id: 9001 })).out).toEqual({ allowed: true });
    expect((await proto('allowed-list-check', { list, address: `0x${'c'.repeat(40)}`, session_id: 101 })).out).toEqual({ allowed: false });
    const bad = await proto('allowed-list-check', { list: `${list};`, address: `0x${'c'.repeat(40)}`, session_id: 101 });
    expect(bad.code).toBe(1);
    expect(bad.out).toMatchObject({ error: { code: 'ALLOWED_LIST_INVALID' } });
    expect(String((bad.out.error as { message: string }).message)).toContain('entry 3');
  });

  it('eip191-sign → eip191-recover', async () => {
    const pk = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
    const s = await proto('eip191-sign', { private_key_hex: pk, message: '101' });
    expect(s.out.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    const r = await proto('eip191-recover', { message: '101', signature: s.out.signature });
    expect(r).toMatchObject({ code: 0, out: { address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' } });
    expect((await proto('eip191-recover', { message: '101', signature: '0x00' })).out).toMatchObject({ error: { code: 'SIGNATURE_INVALID' } });
  });

  it('miner-request-sign produces headers the library verifies', async () => {
    const body = Buffer.from('{"result_urn":"x"}');
    const r = await proto('miner-request-sign', { private_key_hex: 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', method: 'POST', path: '/api/v2/miner/jobs/j/result', body_b64: body.toString('base64'), nonce: 'abc', timestamp: '1800000000' });
    expect(r.code).toBe(0);
    const headers = r.out.headers as Record<string, string>;
    expect(headers['X-Miner-Nonce']).toBe('abc');
    expect(verifyMinerRequest(headers, { method: 'POST', path: '/api/v2/miner/jobs/j/result', body }, { nowSeconds: 1_800_000_000 })).toBe(headers['X-Miner-Address']);
  });

  it('submit-sign → submit-verify for both schemes, and a tampered message fails', async () => {
    for (const scheme of ['ed25519', 'sr25519']) {
      const m = await proto('submit-sign', { scheme, secret_seed_hex: '11'.repeat(32), expert_group: 2, checkpoint_url: 'https://h/c.bin', block_number: 77 });
      expect(m.code).toBe(0);
      expect(m.out.signature).toMatch(/==$/);
      expect((await proto('submit-verify', { message: m.out, scheme })).out).toEqual({ valid: true });
      expect((await proto('submit-verify', { message: { ...m.out, block_number: 78 }, scheme })).out).toMatchObject({ valid: false, reason: 'SIGNATURE_INVALID' });
      expect((await proto('submit-verify', { message: m.out, scheme, current_block: 100 })).out).toMatchObject({ valid: false, reason: 'BLOCK_WINDOW' });
    }
  });

  it('action-sign → action-verify, stale and tampered', async () => {
    const target = { netuid: 3, slug: 'demo', method: 'POST', path: '/competitions/demo/join', body_b64: Buffer.from('{}').toString('base64') };
    const s = await proto('action-sign', { suri: ALICE, ...target, timestamp: '1800000000' });
    expect(s.code).toBe(0);
    const headers = s.out.headers as Record<string, string>;
    expect(headers['X-Hotkey']).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
    expect((await proto('action-verify', { headers, ...target, now: 1_800_000_100 })).out).toEqual({ valid: true });
    expect((await proto('action-verify', { headers, ...target, now: 1_800_000_301 })).out).toMatchObject({ valid: false, reason: 'STALE_TIMESTAMP' });
    expect((await proto('action-verify', { headers, ...target, slug: 'other', now: 1_800_000_000 })).out).toMatchObject({ valid: false, reason: 'SIGNATURE_INVALID' });
    expect((await proto('action-verify', { headers, ...target, prefix: 'base-upload-v1', now: 1_800_000_000 })).out).toMatchObject({ valid: false, reason: 'SIGNATURE_INVALID' });
  });

  it('smp-sign → smp-verify, cert-hash', async () => {
    const runnerPem = readFileSync(join(fixtures, 'smp', 'runner.pem'), 'utf8');
    const coordPem = readFileSync(join(fixtures, 'smp', 'coordinator.pem'), 'utf8');
    const s = await proto('smp-sign', { wallet_secret_hex: '05'.repeat(32), cert_pem: runnerPem, hotkey: 'hk1', model_id: 'demo' });
    expect(s.code).toBe(0);
    expect(String(s.out.message)).toMatch(/^\{"cert_pub": "MII[^"]+", "hotkey": "hk1", "model_id": "demo"\}$/);
    const container = s.out.container as Record<string, string>;
    const base = { container, expected_wallet_b58: container.wallet_pubkey_b58, peer_cert_pem: runnerPem, expected_hotkey: 'hk1', expected_model_id: 'demo' };
    expect((await proto('smp-verify', base)).out).toEqual({ valid: true });
    expect((await proto('smp-verify', { ...base, peer_cert_pem: coordPem })).out).toMatchObject({ valid: false, reason: '4:cert_pub' });
    expect((await proto('smp-verify', { ...base, expected_model_id: 'x' })).out).toMatchObject({ valid: false, reason: '6:model_id' });
    const h = await proto('cert-hash', { cert_pem: runnerPem });
    expect(h.out).toEqual({ sha256_spki_hex: '7bf43ed941142891d50f5bb769411c7e73d51b4dcca4d53284afd6dbee9e597c' });
    expect((await proto('cert-hash', { cert_pem: 'nope' })).out).toMatchObject({ error: { code: 'CERT_INVALID' } });
  });

  it('tee-verify on the sample quote, with a pinned mrTd and a flipped byte', async () => {
    const quote = readFileSync(join(fixtures, 'tdx', 'tdx_quote'));
    const collateral = JSON.parse(readFileSync(join(fixtures, 'tdx', 'tdx_quote_collateral.json'), 'utf8')) as unknown;
    const now = Date.parse('2025-07-01T00:00:00Z') / 1000;
    const ok = await proto('tee-verify', { quote_hex: quote.toString('hex'), collateral, now });
    expect(ok.out).toMatchObject({ ok: true, status: 'UpToDate', failures: [] });
    const pinned = await proto('tee-verify', { quote_hex: quote.toString('hex'), collateral, now, policy: { mr_td: ['00'.repeat(48)] } });
    expect(pinned.out).toMatchObject({ ok: false, failures: [{ check: 'mr_td' }] });
    const flipped = Buffer.from(quote);
    flipped[4000]! ^= 1;
    expect((await proto('tee-verify', { quote_hex: flipped.toString('hex'), collateral, now })).out).toMatchObject({ ok: false, failures: [{ check: 'quote' }] });
  });

  it('address for every key type', async () => {
    expect((await proto('address', { suri: MNEMONIC, type: 'ethereum' })).out.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect((await proto('address', { suri: ALICE, type: 'sr25519' })).out.address).toBe('5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
    const ed = await proto('address', { suri: ALICE, type: 'ed25519' });
    expect(ed.out.address).toMatch(/^5/);
    expect(ed.out.public_key_hex).toMatch(/^[0-9a-f]{64}$/);
    const sol = await proto('address', { suri: MNEMONIC, type: 'solana' });
    expect(String(sol.out.address).length).toBeGreaterThan(30);
    expect((await proto('address', { suri: 'not a mnemonic', type: 'solana' })).out).toMatchObject({ error: { code: 'KEY_INVALID' } });
  });

  it('refuses bad stdin, unknown fields and missing fields with {"error"} and a non-zero exit', async () => {
    const notJson = await proto('derive-key', 'not json');
    expect(notJson).toMatchObject({ code: 1, out: { error: { code: 'VALIDATION' } } });
    const typo = await proto('derive-key', { seed_hex: '00'.repeat(32), scope: '1', scop: '2' });
    expect(typo).toMatchObject({ code: 1, out: { error: { code: 'VALIDATION' } } });
    const missing = await proto('derive-key', { scope: '1' });
    expect(missing).toMatchObject({ code: 1, out: { error: { code: 'VALIDATION' } } });
  });
});
