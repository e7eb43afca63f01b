import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED } from '@core/log/redact';
import { createLogger, humanLine } from '@core/log/logger';

const r = createRedactor({ homeDir: '/home/alice' });
const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const PRIVATE_KEY = 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

describe('redactor: text patterns', () => {
  it.each([
    ['a mnemonic', `restored from ${MNEMONIC} ok`, 'restored from [redacted:mnemonic] ok'],
    ['a mnemonic inside a longer run of words', `words were ${MNEMONIC} and then more words here`, 'words were [redacted:mnemonic] and then more words here'],
    ['a 24-word mnemonic with commas', `${MNEMONIC}, ${MNEMONIC}`, '[redacted:mnemonic]'],
    ['a private key', `key ${PRIVATE_KEY}`, 'key [redacted:hex]'],
    ['a 0x private key', `0x${PRIVATE_KEY}`, '[redacted:hex]'],
    ['a long base64 blob', 'blob q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ+/A= end', 'blob [redacted:b64] end'],
    ['a bearer token', 'Authorization: Bearer abc.def-ghi', 'Authorization: Bearer [redacted]'],
    ['a token in a query', 'GET /?token=30f9ae6e&x=1', 'GET /?token=[redacted]&x=1'],
    ['a signature in a query', 'url?a=1&signature=0xdeadbeef', 'url?a=1&signature=[redacted]'],
    ['the home path', 'opened /home/alice/.config/Minerva/minerva.db', 'opened ~/.config/Minerva/minerva.db'],
    // The practice router's API token: 24 random bytes as base64url, 32 characters (issue 19).
    ['a 32-character API token in free text', 'ROUTER_API_TOKENS=Qm9Xk3_aZ7-pL2vN8rT4wY6sB1cD5eF0 written', 'ROUTER_API_TOKENS=[redacted:b64] written'],
    ['an API token in an error message', 'refused token "u8Jx2Lq_9ZkP-3mWv7RtY5bN1cQ4sD6h".', 'refused token "[redacted:b64]".'],
    ['a 39-character token', 'x 4fJ9kL2mN7pQ1rS8tU3vW6xY0zA5bC-dE_gH2i y', 'x [redacted:b64] y'],
  ])('redacts %s', (_name, input, expected) => {
    expect(r.text(input)).toBe(expected);
  });

  it.each([
    ['an EVM address', 'miner 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 joined'],
    ['an SS58 address', 'hotkey 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY registered'],
    ['a base58 public key', 'wallet 9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM'],
    ['an ordinary sentence', 'the model container started and answered the health check in time'],
    ['a long English sentence of common words', 'we will then keep going to the next round after the first one is done and all is fine'],
    ['a uuid', 'job 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed leased'],
    ['a short hex hash prefix', 'hash abcdef0123456789'],
    ['an MD5 hash', 'md5 9e107d9d372bb6826bd81d3542a419d6 ok'],
    ['a 32-digit upper-case hex id', 'id 9E107D9D372BB6826BD81D3542A419D6 ok'],
    ['a git commit id', 'built from d84ed00a1b2c3d4e5f60718293a4b5c6d7e8f901'],
    ['a uuid without dashes', 'job 1b9d6bcdbbfd4b2d9b5dab8dfbbd4bed leased'],
    ['a long identifier', 'table inference_jobs_by_competition_state and InferenceWorkerStateChangedHandler'],
    ['a long word with a digit but one case', 'container minerva-model-practice-1733456789 up'],
    ['a short random-looking id', 'nonce Qm9Xk3aZ7pL2vN8r used'],
  ])('keeps %s', (_name, input) => {
    expect(r.text(input)).toBe(input);
  });
});

describe('redactor: fields', () => {
  it.each(['password', 'newPassword', 'mnemonic', 'seed', 'secretSeed', 'privateKey', 'private_key', 'token', 'authorization', 'cookie', 'payload_enc_key', 'signature', 'prompt', 'key', 'key_hex', 'plaintext'])(
    'replaces the field %s whole',
    (name) => {
      expect(r.value({ [name]: 'short' })).toEqual({ [name]: REDACTED });
    },
  );
  it('walks nested objects and arrays, and summarises bytes and errors', () => {
    const out = r.value({ a: [{ password: 'x' }, `m ${MNEMONIC}`], b: new Uint8Array(32), c: new Error(`failed for ${PRIVATE_KEY}`) });
    expect(out).toEqual({ a: [{ password: REDACTED }, 'm [redacted:mnemonic]'], b: '[bytes:32]', c: { name: 'Error', message: 'failed for [redacted:hex]' } });
  });
  it('keeps a count or flag under `key` (the jobs page counts per state), blanks text under it', () => {
    expect(r.value({ counts: { queued: 1, key: 2, run: 0 } })).toEqual({ counts: { queued: 1, key: 2, run: 0 } });
    expect(r.value({ key: true, other: { key: null } })).toEqual({ key: true, other: { key: null } });
    expect(r.value({ key: 'c2VjcmV0' })).toEqual({ key: REDACTED });
    expect(r.value({ key: { hex: 'ab' } })).toEqual({ key: REDACTED });
  });
  it('keeps harmless fields', () => {
    expect(r.value({ method: 'app.info', ms: 3, address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', publicKeyHint: 'ab12' })).toEqual({
      method: 'app.info',
      ms: 3,
      address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      publicKeyHint: 'ab12',
    });
  });
});

describe('logger', () => {
  it('redacts before writing the file, the console and the ring', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minerva-log-'));
    const consoleLines: string[] = [];
    const log = createLogger({ dir, console: (l) => consoleLines.push(l), homeDir: '/home/alice' });
    log.scope('vault').info(`imported ${MNEMONIC}`, { privateKey: PRIVATE_KEY, note: `key=${PRIVATE_KEY}` });
    log.close();
    const file = readFileSync(join(dir, 'minerva.log'), 'utf8');
    for (const text of [file, consoleLines.join(''), JSON.stringify(log.tail({ limit: 10, minLevel: 'debug' }))]) {
      expect(text).not.toContain('bottom drive');
      expect(text).not.toContain(PRIVATE_KEY);
    }
  });

  it('rotates the file and keeps a bounded number of old files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'minerva-log-'));
    const log = createLogger({ dir, console: false, maxFileBytes: 2000, maxFiles: 3 });
    for (let i = 0; i < 200; i += 1) log.scope('t').info(`line ${i}`);
    log.close();
    const files = ['minerva.log', 'minerva.1.log', 'minerva.2.log'].map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(files.every((f) => f.length > 0 && f.length <= 2000)).toBe(true);
    expect(files[0]).toContain('line 199');
    expect(() => readFileSync(join(dir, 'minerva.3.log'))).toThrow();
  });

  it('formats a JSON line for a terminal', () => {
    const line = JSON.stringify({ seq: 1, ts: '2026-11-24T07:31:06.000Z', level: 'warn', scope: 'core', msg: 'hello', fields: { a: 1 } });
    expect(humanLine(line)).toBe('07:31:06 WARN  core: hello {"a":1}\n');
  });

  it('filters the tail by level and scope', () => {
    const log = createLogger({ console: false, level: 'debug' });
    log.scope('a').debug('d');
    log.scope('a').scope('b').warn('w');
    log.scope('c').error('e');
    expect(log.tail({ limit: 10, minLevel: 'warn' }).map((e) => e.msg)).toEqual(['w', 'e']);
    expect(log.tail({ limit: 10, minLevel: 'debug', scope: 'a' }).map((e) => e.msg)).toEqual(['d', 'w']);
    expect(log.tail({ limit: 1, minLevel: 'debug' }).map((e) => e.msg)).toEqual(['e']);
  });
});
