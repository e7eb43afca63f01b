import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVaultService, type VaultService, type VaultServiceOptions, type VaultTimers } from '@core/vault/vault.service';
import type { KdfChoice } from '@core/vault/kdf';

/** The smallest parameters the vault format accepts: keeps tests fast, still the real KDF. */
export const TEST_KDF: KdfChoice = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 3, parallelism: 1 };
export const TEST_JUNK = 'test test test test test test test test test test test junk';

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `minerva-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export class ManualTimers implements VaultTimers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const t of all) t.fn();
  }
}

export class ManualClock {
  constructor(public ms = Date.parse('2026-01-01T00:00:00.000Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export function makeVault(dataDir: string, homeDir: string, extra: Partial<VaultServiceOptions> = {}): VaultService {
  return createVaultService({ dataDir, homeDir, kdf: TEST_KDF, ...extra });
}

export async function errorCode(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (error) {
    return String((error as { code?: unknown }).code ?? (error instanceof Error ? error.message : error));
  }
  return 'no error';
}

/** Every file under `dir`, recursively, as raw bytes. */
export function allFiles(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...allFiles(path));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** Needles to look for: the text and its hex / base64 forms. */
export function secretForms(secret: string | Uint8Array): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  const forms = [bytes.toString('hex'), bytes.toString('base64')];
  if (typeof secret === 'string') forms.push(secret);
  return forms.filter((f) => f.length >= 16);
}
