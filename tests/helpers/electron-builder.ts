/**
 * electron-builder's own config validation and file matching, loaded from the copy electron-builder
 * itself uses (app-builder-lib, resolved from electron-builder's folder): no Electron binary, no
 * packaging, the same rules `npm run dist` applies.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Configuration } from 'electron-builder';
import { REPO_ROOT } from './serve-process';

const fromBuilder = createRequire(createRequire(join(REPO_ROOT, 'package.json')).resolve('electron-builder/package.json'));
const appBuilderLib = (path: string): unknown => fromBuilder(`app-builder-lib/${path}`);

interface ConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<Configuration>;
  validateConfiguration(config: Configuration, debug: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
}
interface FileMatcherModule {
  FileMatcher: new (from: string, to: string, expand: (p: string) => string, patterns: string[]) => { createFilter(): (file: string, stat: { isDirectory(): boolean }) => boolean };
}

/** electron-builder's schema check (scheme.json); rejects with its message when the config is wrong. */
export async function validateBuilderConfig(config: Configuration): Promise<void> {
  const configModule = appBuilderLib('out/util/config/config') as ConfigModule;
  await configModule.validateConfiguration(config, { isEnabled: false, add: () => undefined });
}

/** electron.config.ts as `electron-builder --config electron.config.ts` loads it (its jiti loader). */
export async function loadBuilderConfig(): Promise<Configuration> {
  const configModule = appBuilderLib('out/util/config/config') as ConfigModule;
  return configModule.getConfig(REPO_ROOT, join(REPO_ROOT, 'electron.config.ts'), null);
}

/**
 * Whether electron-builder would pack `relativePath` (a file under the project folder) into the
 * app, by the `files` patterns of `config` — electron-builder's FileMatcher and filter.
 */
export function packsFile(config: Configuration, relativePath: string): boolean {
  const { FileMatcher } = appBuilderLib('out/fileMatcher') as FileMatcherModule;
  const patterns = (config.files ?? []) as string[];
  const filter = new FileMatcher(REPO_ROOT, join(REPO_ROOT, 'app'), (p) => p, patterns).createFilter();
  // A file is packed when it and every folder above it pass the filter (the copy walks down).
  const parts = relativePath.split('/');
  for (let i = 1; i <= parts.length; i += 1) {
    const path = join(REPO_ROOT, ...parts.slice(0, i));
    const isDirectory = i < parts.length;
    if (!filter(path, { isDirectory: () => isDirectory })) return false;
  }
  return true;
}

/** Size in bytes of a file, or 0 when it does not exist. */
export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
