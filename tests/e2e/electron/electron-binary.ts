import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

/**
 * The Electron runtime for the Electron suite, or why there is none: the `electron` package
 * downloads its binary on first use, which machines without that route (this one) never get.
 * Each spec skips with the printed reason instead of failing.
 */
export function electronBinary(): { path?: string; reason?: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? { path } : { reason: 'the electron package has no binary' };
  } catch (error) {
    return { reason: String((error as Error).message).split('\n')[0] };
  }
}

/** The binary, after printing once per spec file why the suite skips when there is none. */
export function electronOrSkipReason(): { path?: string; reason?: string } {
  const binary = electronBinary();
  if (!binary.path) console.log(`[electron suite] skipped: the Electron runtime is not installed here (${binary.reason}).`);
  return binary;
}
