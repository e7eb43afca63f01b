import { wordlist as bip39English } from '@scure/bip39/wordlists/english.js';

/**
 * Redaction for everything that reaches a log line or the UI's log view.
 *
 * Two layers (STYLE.md, "Secrets live in one place"):
 * 1. by key name: a field whose name says it is secret is replaced whole;
 * 2. by pattern: mnemonic-like word runs, long hex (≥ 48 digits: keys, seeds, tokens — 40-digit
 *    EVM addresses survive), long base64 (except base58 public addresses), random-looking base64url runs of 32+ characters
 *    (API tokens), bearer tokens,
 *    credentials in query strings, and the home directory.
 *
 * Hand-written because no library redacts these crypto-specific shapes; the table tests in
 * tests/unit/core/log/redact.test.ts pin each rule.
 */

export const REDACTED = '[redacted]';

const SECRET_KEY_NAME =
  /pass(word|phrase)?|secret|mnemonic|seed|private|priv_?key|token|authorization|cookie|payload_enc_key|signature|prompt|plaintext|^output$|^key_?hex$|^sk$/i;
/**
 * `key` alone names key material when it holds text or bytes; a number, boolean or null under it
 * is a count or a flag (the jobs' `counts.key`: how many jobs are fetching their key).
 */
const KEY_NAME = /^key$/i;

const BIP39 = new Set(bip39English);
// Runs of 12+ lowercase words (BIP-39 words are 3–8 letters).
const WORD_RUN = /\b(?:[a-z]{3,8}[ \t,]+){11,}[a-z]{3,8}\b/g;
const LONG_HEX = /\b(?:0x)?[0-9a-fA-F]{48,}\b/g;
const LONG_B64 = /[A-Za-z0-9+/_-]{40,}={0,2}/g;
/**
 * A 32–39 character base64url run standing alone (the practice router's API token is 24 random
 * bytes = 32 characters) that mixes upper case, lower case and digits the way random bytes do.
 * Hex hashes (one case), identifiers and words (no digit, or one case), UUIDs (dashes every few
 * characters, one case) and shorter runs are left alone.
 */
const MEDIUM_B64 = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9_-]{32,39}(?![A-Za-z0-9+/_=-])/g;
const looksRandom = (run: string): boolean => /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run);
const BASE58_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,48}$/;
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** 40–47 hex digits (a git commit, a SHA-1): an id, not base64; 48+ is the hex rule's. */
const SHORT_HEX_ID = /^[0-9a-f]{40,47}$|^[0-9A-F]{40,47}$/;
const BEARER = /\b(Bearer|Basic)\s+[^\s"',;]+/gi;
const QUERY_CREDENTIAL = /([?&](?:token|access_token|key|secret|signature|sig|password)=)[^&\s"']+/gi;

/** Within a run of words, replaces each stretch of 12+ consecutive BIP-39 words. */
function redactMnemonicStretches(run: string): string {
  const parts = run.split(/([ \t,]+)/); // words at even indexes, separators at odd ones
  const out: string[] = [];
  let i = 0;
  while (i < parts.length) {
    let j = i;
    while (j < parts.length && BIP39.has(parts[j] ?? '')) j += 2;
    const words = (j - i) / 2;
    if (words >= 12) {
      out.push('[redacted:mnemonic]');
      if (j - 1 < parts.length) out.push(parts[j - 1] ?? ''); // the separator after the stretch
      i = j;
    } else {
      out.push(parts[i] ?? '');
      if (i + 1 < parts.length) out.push(parts[i + 1] ?? '');
      i += 2;
    }
  }
  return out.join('');
}

export interface Redactor {
  text(value: string): string;
  value(value: unknown): unknown;
}

export function createRedactor(options: { homeDir?: string } = {}): Redactor {
  const home = options.homeDir && options.homeDir.length > 1 ? options.homeDir.replace(/\/+$/, '') : undefined;

  function text(input: string): string {
    let out = input;
    if (home) out = out.split(home).join('~');
    out = out.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
    out = out.replace(QUERY_CREDENTIAL, (_m, prefix: string) => `${prefix}${REDACTED}`);
    out = out.replace(WORD_RUN, redactMnemonicStretches);
    out = out.replace(LONG_HEX, '[redacted:hex]');
    out = out.replace(LONG_B64, (run) => (BASE58_ADDRESS.test(run) || EVM_ADDRESS.test(run) || SHORT_HEX_ID.test(run) ? run : '[redacted:b64]'));
    out = out.replace(MEDIUM_B64, (run) => (looksRandom(run) ? '[redacted:b64]' : run));
    return out;
  }

  function value(input: unknown, depth = 0): unknown {
    if (depth > 8) return '[depth]';
    if (typeof input === 'string') return text(input);
    if (input === null || typeof input !== 'object') return input;
    if (input instanceof Error) {
      const code = (input as { code?: unknown }).code;
      return { name: input.name, ...(typeof code === 'string' ? { code } : {}), message: text(input.message) };
    }
    if (input instanceof Uint8Array) return `[bytes:${input.length}]`;
    if (Array.isArray(input)) return input.slice(0, 100).map((v) => value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) {
      const secret = SECRET_KEY_NAME.test(k) || (KEY_NAME.test(k) && v !== null && typeof v !== 'number' && typeof v !== 'boolean');
      out[k] = secret ? REDACTED : value(v, depth + 1);
    }
    return out;
  }

  return { text, value: (v: unknown) => value(v) };
}
