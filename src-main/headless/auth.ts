import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Who may use `minerva serve` from a browser.
 *
 * - A login link carries a token that works ONCE and for a short while (printed at start, or by
 *   `minerva serve --print-url` / `minerva open` through the control endpoint). Trading it sets a
 *   session cookie and drops it from the address bar.
 * - The session cookie is signed (HMAC-SHA-256) with a secret kept in the data folder
 *   (`headless-session.json`, 0600), so it survives a restart of the same instance: a reload after
 *   a restart just works. That file is as safe as `control.token` beside it (whoever can read the
 *   data folder can already drive the app through the control socket). Deleting it signs every
 *   browser out at the next start.
 * - The cookie is named after this data folder's instance id (`minerva_session_<id>`): cookies
 *   ignore ports, so two instances on 127.0.0.1 would otherwise overwrite each other's login.
 * - With `--token-file` (remote access) the file's token is a standing password: it may be used
 *   repeatedly, and gets the same session cookie.
 */

/** How long a browser stays signed in without a new login link. */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600;
/** How long a login link from `minerva open` / `--print-url` works (once). */
export const LOGIN_LINK_TTL_MS = 10 * 60 * 1000;
/** How long the link printed at start works (once): long enough to open it after a coffee. */
export const STARTUP_LINK_TTL_MS = 60 * 60 * 1000;

const SESSION_FILE = 'headless-session.json';

export interface SessionKeys {
  /** Public: names the cookie. */
  readonly instanceId: string;
  readonly cookieName: string;
  readonly secret: Buffer;
}

/** A fresh random token (64 hex digits: redacted by the logger's hex rule). */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Constant-time comparison whatever the lengths (both sides hashed first). */
export function tokensEqual(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

function parseKeys(text: string): { instanceId: string; secret: string } | undefined {
  try {
    const value = JSON.parse(text) as { version?: unknown; instanceId?: unknown; secret?: unknown };
    if (value.version !== 1 || typeof value.instanceId !== 'string' || typeof value.secret !== 'string') return undefined;
    if (!/^[0-9a-f]{16}$/.test(value.instanceId) || !/^[0-9a-f]{64}$/.test(value.secret)) return undefined;
    return { instanceId: value.instanceId, secret: value.secret };
  } catch {
    return undefined;
  }
}

/**
 * This data folder's login identity, created on first use. A file others can read, or one that does
 * not parse, is replaced (every browser signs in again) and `onReplaced` says why.
 */
export function loadSessionKeys(dataDir: string, onReplaced: (why: string) => void = () => undefined): SessionKeys {
  const path = join(dataDir, SESSION_FILE);
  let stored: { instanceId: string; secret: string } | undefined;
  if (existsSync(path)) {
    const loose = process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0;
    stored = loose ? undefined : parseKeys(readFileSync(path, 'utf8'));
    if (!stored) onReplaced(loose ? 'the session file could be read by other users' : 'the session file was unreadable');
  }
  if (!stored) {
    stored = { instanceId: randomBytes(8).toString('hex'), secret: randomBytes(32).toString('hex') };
    const tmp = `${path}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    writeFileSync(tmp, `${JSON.stringify({ version: 1, ...stored })}\n`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    if (process.platform !== 'win32') chmodSync(path, 0o600);
  }
  return { instanceId: stored.instanceId, cookieName: `minerva_session_${stored.instanceId}`, secret: Buffer.from(stored.secret, 'hex') };
}

function mac(keys: SessionKeys, body: string): string {
  return createHmac('sha256', keys.secret).update(`minerva-session-v1.${keys.instanceId}.${body}`).digest('base64url');
}

/** A new signed session: `<issued at, s>.<random id>.<mac>`. */
export function newSessionValue(keys: SessionKeys, nowMs = Date.now()): string {
  const body = `${Math.floor(nowMs / 1000)}.${randomBytes(12).toString('base64url')}`;
  return `${body}.${mac(keys, body)}`;
}

/** True for a session this instance signed that has not expired. */
export function sessionValid(keys: SessionKeys, value: string | undefined, nowMs = Date.now()): boolean {
  if (!value) return false;
  const parts = value.split('.');
  if (parts.length !== 3) return false;
  const [issued, id, given] = parts as [string, string, string];
  if (!/^\d{1,12}$/.test(issued) || !/^[A-Za-z0-9_-]{16}$/.test(id)) return false;
  const expected = Buffer.from(mac(keys, `${issued}.${id}`));
  const got = Buffer.from(given);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return false;
  const ageS = nowMs / 1000 - Number(issued);
  return ageS >= -300 && ageS <= SESSION_MAX_AGE_S;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(keys: SessionKeys, value: string, secure: boolean): string {
  return `${keys.cookieName}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_MAX_AGE_S}${secure ? '; Secure' : ''}`;
}

export type LoginOutcome = 'ok' | 'used-or-expired' | 'unknown';

/**
 * One-time login tokens, held in memory only as hashes (a restart forgets them: the link printed
 * by the next start, or `minerva open`, is the way back).
 */
export class LoginTokens {
  private readonly live = new Map<string, number>();
  private readonly spent = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new token that works once within `ttlMs`. */
  issue(ttlMs: number): { token: string; expiresAt: number } {
    this.sweep();
    const token = newToken();
    const expiresAt = this.now() + ttlMs;
    this.live.set(digest(token), expiresAt);
    return { token, expiresAt };
  }

  /** Spends a token: 'ok' once; a second use or a late one is 'used-or-expired'. */
  redeem(token: string): LoginOutcome {
    this.sweep();
    const key = digest(token);
    const expiresAt = this.live.get(key);
    if (expiresAt !== undefined) {
      this.live.delete(key);
      this.spent.set(key, this.now() + 24 * 3600_000);
      return expiresAt >= this.now() ? 'ok' : 'used-or-expired';
    }
    return this.spent.has(key) ? 'used-or-expired' : 'unknown';
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, expiresAt] of this.live) {
      if (expiresAt < now) {
        this.live.delete(key);
        this.spent.set(key, now + 24 * 3600_000);
      }
    }
    for (const [key, forgetAt] of this.spent) if (forgetAt < now) this.spent.delete(key);
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
