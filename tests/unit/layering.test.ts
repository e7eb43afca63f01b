import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layering of DESIGN.md is enforced by eslint.config.js. These cases lint small virtual
 * files at real paths and prove that each forbidden import fails (and a legal one passes).
 */
const eslint = new ESLint({
  // Type-aware rules need files on disk; the layering rules do not.
  overrideConfig: [tseslint.configs.disableTypeChecked],
});

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const forbidden: [string, string, string][] = [
  ['src-shared/contract/x.ts', "import { readFileSync } from 'node:fs';", 'node:* in src-shared'],
  ['src-shared/protocol/x.ts', "import fs from 'fs';", 'a bare builtin in src-shared'],
  ['src-shared/domain/x.ts', "import { app } from 'electron';", 'electron in src-shared'],
  ['src-shared/domain/x.ts', "import { createCore } from '@core/create-core';", 'core from src-shared'],
  ['src-shared/domain/x.ts', "import x from '../../src-main/core/x';", 'escaping src-shared by a relative path'],
  ['src-shared/domain/x.ts', "import { useState } from 'react';", 'react in src-shared'],
  ['src-main/core/rpc/x.ts', "import { app } from 'electron';", 'electron in core'],
  ['src-main/core/rpc/x.ts', "import x from '../../electron/main';", 'the Electron shell from core'],
  ['src-main/core/x.ts', "import { startHeadlessServer } from '@headless/server';", 'headless from core'],
  ['src-main/core/x.ts', "import x from '@devnet/chain';", 'the practice network from core'],
  ['src-main/electron/x.ts', "import { ipcRenderer } from 'electron';", 'ipcRenderer in main'],
  ['src-main/electron/x.ts', "import x from '../../src-renderer/app/App';", 'the renderer from main'],
  ['src-main/preload/x.ts', "import { readFileSync } from 'node:fs';", 'node:* in the preload'],
  ['src-main/preload/x.ts', "import { createCore } from '@core/create-core';", 'core in the preload'],
  ['src-main/preload/x.ts', "import { methods } from '@shared/contract';", 'a value import of shared in the preload'],
  ['src-main/headless/x.ts', "import { app } from 'electron';", 'electron in headless'],
  ['src-main/cli/commands/x.ts', "import { BrowserWindow } from 'electron';", 'electron in the CLI'],
  ['src-main/devnet/chain/x.ts', "import { createCore } from '@core/create-core';", 'core in the practice network'],
  ['src-main/devnet/x.ts', "import x from '../core/vault/vault';", 'core in the practice network by a relative path'],
  ['src-renderer/pages/X.tsx', "import { readFileSync } from 'node:fs';", 'node:* in the renderer'],
  ['src-renderer/pages/X.tsx', "import Database from 'better-sqlite3';", 'SQLite in the renderer'],
  ['src-renderer/pages/X.tsx', "import { createCore } from '@core/create-core';", 'core in the renderer'],
  ['src-renderer/pages/X.tsx', "import { ipcRenderer } from 'electron';", 'electron in the renderer'],
  ['src-renderer/pages/X.tsx', "import x from '../../src-main/core/x';", 'escaping the renderer by a relative path'],
];

const allowed: [string, string][] = [
  ['src-shared/contract/x.ts', "import { z } from 'zod';"],
  ['src-main/core/rpc/x.ts', "import { readFileSync } from 'node:fs';\nimport { methods } from '@shared/contract';\nimport x from '../log/logger';"],
  ['src-main/electron/x.ts', "import { app } from 'electron';\nimport { createCore } from '@core/create-core';"],
  ['src-main/preload/x.ts', "import { contextBridge } from 'electron';\nimport type { RpcBridge } from '@shared/contract';"],
  ['src-main/cli/commands/x.ts', "import { startHeadlessServer } from '@headless/server';\nimport x from '@devnet/chain';\nimport y from '../output';"],
  ['src-main/devnet/chain/x.ts', "import { readFileSync } from 'node:fs';\nimport { z } from '@shared/protocol/x';"],
  ['src-renderer/pages/X.tsx', "import { useState } from 'react';\nimport { methods } from '@shared/contract';\nimport { App } from '../app/App';"],
];

describe('layering lint (DESIGN.md)', () => {
  it.each(forbidden)('%s: refuses %s (%s)', async (file, code) => {
    expect(await layerErrors(file, code)).not.toEqual([]);
  });
  it.each(allowed)('%s: allows %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
