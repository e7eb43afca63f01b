import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layering of DESIGN.md is enforced by eslint.config.js as allow-lists (eslint-rules/layering.js).
 * These cases lint small virtual files at real paths: for every layer, imports it may not make fail
 * (static, `export … from`, `import()`, `require()`), the ones it may make pass, and a file in a
 * folder no layer lists fails whatever it imports.
 */
const eslint = new ESLint({
  // Type-aware rules need files on disk; the layering rules do not.
  overrideConfig: [tseslint.configs.disableTypeChecked],
});

const LAYER_RULES = new Set(['minerva/layering', 'no-restricted-imports']);

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const messages = result?.messages ?? [];
  // A parse error would hide every import: make it fail loudly instead of passing as "allowed".
  const fatal = messages.find((m) => m.fatal);
  if (fatal) throw new Error(`${filePath}: ${fatal.message}`);
  return messages.filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId)).map((m) => m.message);
}

const forbidden: [string, string, string][] = [
  // src-shared: pure
  ['src-shared/contract/x.ts', "import { readFileSync } from 'node:fs';", 'node:* in src-shared'],
  ['src-shared/protocol/x.ts', "import fs from 'fs';", 'a bare builtin in src-shared'],
  ['src-shared/protocol/x.ts', "export { join } from 'node:path';", 'a builtin re-exported from src-shared'],
  ['src-shared/domain/x.ts', "import { app } from 'electron';", 'electron in src-shared'],
  ['src-shared/domain/x.ts', "import { createCore } from '@core/create-core';", 'core from src-shared'],
  ['src-shared/domain/x.ts', "import { ChainRpc } from '@common/chain-rpc';", 'common from src-shared'],
  ['src-shared/domain/x.ts', "import x from '../../src-main/core/x';", 'escaping src-shared by a relative path'],
  ['src-shared/domain/x.ts', "import { useState } from 'react';", 'react in src-shared'],
  ['src-shared/domain/x.ts', "import Database from 'better-sqlite3';", 'a native package in src-shared'],
  ['src-shared/domain/x.ts', "export async function f() { return import('node:crypto'); }", 'a dynamic import of a builtin in src-shared'],
  // src-main/common: knows neither side
  ['src-main/common/x.ts', "import { createCore } from '@core/create-core';", 'core from common'],
  ['src-main/common/x.ts', "import { ChainClient } from '@devnet/chain/chain-client';", 'the practice network from common'],
  ['src-main/common/x.ts', "import x from '../core/network/http';", 'core from common by a relative path'],
  ['src-main/common/x.ts', "import { app } from 'electron';", 'electron in common'],
  ['src-main/common/x.ts', "import Docker from 'dockerode';", 'a package common does not list'],
  ['src-main/common/x.ts', "export const load = () => import('@core/create-core');", 'core from common by import()'],
  // src-main/core (the kernel and control folders are core too)
  ['src-main/core/rpc/x.ts', "import { app } from 'electron';", 'electron in core'],
  ['src-main/core/kernel/x.ts', "import { app } from 'electron';", 'electron in core/kernel'],
  ['src-main/core/control/x.ts', "const { app } = require('electron');", 'electron in core/control by require()'],
  ['src-main/core/rpc/x.ts', "export async function f() { return import('electron'); }", 'electron in core by import()'],
  ['src-main/core/rpc/x.ts', "import x from '../../electron/main';", 'the Electron shell from core'],
  ['src-main/core/x.ts', "import { startHeadlessServer } from '@headless/server';", 'headless from core'],
  ['src-main/core/x.ts', "import x from '@devnet/chain';", 'the practice network from core'],
  ['src-main/core/x.ts', "export * from '@devnet/state';", 'the practice network re-exported from core'],
  ['src-main/core/x.ts', "import x from '../devnet/state';", 'the practice network from core by a relative path'],
  ['src-main/core/x.ts', "import { useState } from 'react';", 'react in core'],
  ['src-main/core/x.ts', "import leftPad from 'left-pad';", 'a package nobody listed'],
  ['src-main/core/x.ts', "export async function f(name: string) { return import(name); }", 'a computed import() in core'],
  ['src-main/core/x.ts', "export function f(name: string) { return require(name) as unknown; }", 'a computed require() in core'],
  ['src-main/core/x.ts', "import x from '/etc/passwd';", 'an absolute path'],
  // src-main/headless
  ['src-main/headless/x.ts', "import { app } from 'electron';", 'electron in headless'],
  ['src-main/headless/x.ts', "import { startPracticeNetwork } from '@devnet/index';", 'the practice network from headless'],
  ['src-main/headless/x.ts', "import { Command } from 'commander';", 'a CLI package in headless'],
  // src-main/cli
  ['src-main/cli/commands/x.ts', "import { BrowserWindow } from 'electron';", 'electron in the CLI'],
  ['src-main/cli/commands/x.ts', "import { App } from '../../../src-renderer/app/App';", 'the renderer from the CLI'],
  ['src-main/cli/commands/x.ts', "import { create } from 'zustand';", 'a UI package in the CLI'],
  // src-main/electron
  ['src-main/electron/x.ts', "import { ipcRenderer } from 'electron';", 'ipcRenderer in main'],
  ['src-main/electron/x.ts', "import x from '../../src-renderer/app/App';", 'the renderer from main'],
  ['src-main/electron/x.ts', "import { startPracticeNetwork } from '@devnet/index';", 'the practice network from the shell'],
  ['src-main/electron/x.ts', "import { startHeadlessServer } from '@headless/server';", 'headless from the shell'],
  // src-main/preload
  ['src-main/preload/x.ts', "import { readFileSync } from 'node:fs';", 'node:* in the preload'],
  ['src-main/preload/x.ts', "import { createCore } from '@core/create-core';", 'core in the preload'],
  ['src-main/preload/x.ts', "import { methods } from '@shared/contract';", 'a value import of shared in the preload'],
  ['src-main/preload/x.ts', "import { type RpcBridge } from '@shared/contract';", 'an inline type import (the module still loads) in the preload'],
  ['src-main/preload/x.ts', "export const m = () => import('@shared/contract');", 'shared in the preload by import()'],
  // src-main/devnet: the other side of the wire
  ['src-main/devnet/chain/x.ts', "import { createCore } from '@core/create-core';", 'core in the practice network'],
  ['src-main/devnet/x.ts', "import x from '../core/vault/vault';", 'core in the practice network by a relative path'],
  ['src-main/devnet/x.ts', "import type { VaultService } from '@core/vault/vault.service';", 'even types of core in the practice network'],
  ['src-main/devnet/x.ts', "export const f = () => import('@core/create-core');", 'core in the practice network by import()'],
  ['src-main/devnet/x.ts', "export type Core = typeof import('@core/create-core');", 'core in the practice network by an import() type'],
  ['src-main/devnet/x.ts', "import vault = require('@core/vault/vault');", 'core in the practice network by import = require()'],
  ['src-main/devnet/x.ts', "import { startHeadlessServer } from '@headless/server';", 'headless in the practice network'],
  ['src-main/devnet/x.ts', "import { app } from 'electron';", 'electron in the practice network'],
  // src-renderer
  ['src-renderer/pages/X.tsx', "import { readFileSync } from 'node:fs';", 'node:* in the renderer'],
  ['src-renderer/pages/X.tsx', "import Database from 'better-sqlite3';", 'SQLite in the renderer'],
  ['src-renderer/pages/X.tsx', "import { createCore } from '@core/create-core';", 'core in the renderer'],
  ['src-renderer/pages/X.tsx', "import { ChainRpc } from '@common/chain-rpc';", 'common in the renderer'],
  ['src-renderer/pages/X.tsx', "import { ipcRenderer } from 'electron';", 'electron in the renderer'],
  ['src-renderer/pages/X.tsx', "import x from '../../src-main/core/x';", 'escaping the renderer by a relative path'],
  ['src-renderer/pages/X.tsx', "export const lazy = () => import('@core/create-core');", 'core in the renderer by import()'],
  // demo model folders: alone in their container
  ['resources/models/trainer/x.cjs', "const m = require('../text-ngram/model.cjs');", 'a sibling model folder'],
  ['resources/models/trainer/x.cjs', "const z = require('zod');", 'an npm package in a model folder'],
  // tests, scripts
  ['tests/unit/x.test.ts', "import x from 'left-pad';", 'a package that package.json does not declare, in tests'],
  ['tests/unit/x.test.ts', "import x from '../../src-main/brand-new/x';", 'a folder in no layer, from tests'],
  ['scripts/x.mjs', "import { createCore } from '@core/create-core';", 'the app from a build script'],
  ['build/x.cjs', "const { createCore } = require('../src-main/core/create-core');", 'the app from an electron-builder hook'],
  ['build/x.cjs', "const sharp = require('sharp');", 'a package from an electron-builder hook'],
  // a folder (or top-level folder) no layer lists is denied whatever it imports
  ['src-main/kernel/x.ts', "export const x = 1;", 'a new unlisted folder in src-main'],
  ['src-main/x.ts', "import { z } from 'zod';", 'a file directly in src-main'],
  ['tools/x.ts', "export const x = 1;", 'a new unlisted top-level folder'],
  ['src-main/core/x.ts', "import x from '@cli/commands/x';", 'an alias no layer defines (a package nobody listed)'],
];

const allowed: [string, string][] = [
  ['src-shared/contract/x.ts', "import { z } from 'zod';\nimport { sha256 } from '@noble/hashes/sha2.js';\nimport type { Job } from '../domain/job';\nimport { x } from '@shared/protocol/x';"],
  ['src-main/common/x.ts', "import { readFileSync } from 'node:fs';\nimport * as grpc from '@grpc/grpc-js';\nimport { AppError } from '@shared/contract/errors';\nimport { isProcessAlive } from './process';"],
  ['src-main/core/rpc/x.ts', "import { readFileSync } from 'node:fs';\nimport { methods } from '@shared/contract';\nimport x from '../log/logger';\nimport { ChainRpc } from '@common/chain-rpc';\nimport Database from 'better-sqlite3';"],
  ['src-main/core/kernel/x.ts', "import { z } from 'zod';\nimport x from '../control/y';\nimport { createCore } from '@core/create-core';\nexport const f = () => import('node:zlib');"],
  ['src-main/core/control/x.ts', "import { isProcessAlive } from '@common/process';\nexport const f = () => import('@core/kernel/x');"],
  ['src-main/headless/x.ts', "import { createServer } from 'node:http';\nimport { WebSocketServer } from 'ws';\nimport { createCore } from '@core/create-core';"],
  ['src-main/cli/commands/x.ts', "import { startHeadlessServer } from '@headless/server';\nimport x from '@devnet/chain';\nimport y from '../output';\nimport { Command } from 'commander';\nexport const f = () => import('@devnet/index');"],
  ['src-main/electron/x.ts', "import { app } from 'electron';\nimport { createCore } from '@core/create-core';\nimport { readPracticeNetworkState } from '@common/practice-state';"],
  ['src-main/preload/x.ts', "import { contextBridge } from 'electron';\nimport type { RpcBridge } from '@shared/contract';\nexport type { Methods } from '@shared/contract';\nexport type Reply = import('@shared/contract').RpcReply;"],
  ['src-main/devnet/chain/x.ts', "import { readFileSync } from 'node:fs';\nimport { z } from '@shared/protocol/x';\nimport { ChainRpc } from '@common/chain-rpc';\nimport Database from 'better-sqlite3';\nimport { y } from '../common/http';"],
  ['src-renderer/pages/X.tsx', "import { useState } from 'react';\nimport { methods } from '@shared/contract';\nimport { App } from '../app/App';\nimport { create } from 'zustand';\nexport const Page = () => import('./Other');"],
  ['resources/models/trainer/x.cjs', "const { join } = require('node:path');\nconst ck = require('./checkpoint.cjs');"],
  ['tests/unit/x.test.ts', "import { it } from 'vitest';\nimport { createCore } from '@core/create-core';\nimport { App } from '../../src-renderer/app/App';\nimport config from '../../electron.config';\nexport const load = (p: string) => import(p);"],
  ['scripts/x.mjs', "import { build } from 'esbuild';\nimport { join } from 'node:path';"],
  ['scripts/x.mjs', "import icongen from 'icon-gen';\nimport sharp from 'sharp';"],
  ['build/x.cjs', "const { join } = require('node:path');"],
  ['vitest.config.ts', "import { defineConfig } from 'vitest/config';\nimport { fileURLToPath } from 'node:url';"],
];

describe('layering lint (DESIGN.md)', () => {
  it.each(forbidden)('%s: refuses %s (%s)', async (file, code) => {
    expect(await layerErrors(file, code)).not.toEqual([]);
  });
  it.each(allowed)('%s: allows %s', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });

  it('says what the layer may import when it refuses', async () => {
    const [message] = await layerErrors('src-main/core/x.ts', "import { app } from 'electron';");
    expect(message).toMatch(/^src-main\/core may not import the package electron \(`electron`\)\./);
    expect(message).toMatch(/It may import: src-main\/core, src-shared, src-main\/common; Node builtins; .*better-sqlite3/);
  });

  it('names the file of a new folder and what to do', async () => {
    expect(await layerErrors('src-main/kernel/x.ts', 'export const x = 1;')).toEqual([
      'src-main/kernel/x.ts is in no layer: add its folder to the layers in eslint.config.js (with what it may import) and say so in its README.',
    ]);
  });
});
