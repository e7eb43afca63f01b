// ESLint flat config. The layering of DESIGN.md ("Layering") is enforced here as allow-lists: every
// file belongs to one layer below, and a layer imports only the layers, Node builtins and npm
// packages its entry names (static imports, `export … from`, `import()`, `require()` alike).
// Anything not listed is denied: a new folder is in no layer until it gets an entry here (and a
// README line), a new package is denied until the layers that need it list it.
// The rule: eslint-rules/layering.js. Cases: tests/unit/layering.test.ts.
import { readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import minerva from './eslint-rules/layering.js';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
/** Tests and build configs may use any declared dependency (never an undeclared one). */
const declared = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];

/** How lint sees a layer crossing: the aliases of tsconfig.base.json (and vitest, esbuild). */
const aliases = {
  '@shared': 'src-shared',
  '@common': 'src-main/common',
  '@core': 'src-main/core',
  '@headless': 'src-main/headless',
  '@devnet': 'src-main/devnet',
};

const app = ['src-shared', 'src-main/common', 'src-main/core', 'src-main/headless', 'src-main/cli', 'src-main/electron', 'src-main/preload', 'src-main/devnet', 'src-renderer'];

/**
 * The layers and what each may import (its own folder always). Keep in step with src-main/README.md
 * and each folder's README.
 * @type {import('./eslint-rules/layering.js').Layer[]}
 */
const layers = [
  {
    name: 'src-shared',
    roots: ['src-shared'],
    node: false,
    packages: ['zod', '@noble/*', '@scure/*', 'bs58', '@polkadot/util', '@polkadot/util-crypto', '@polkadot/keyring'],
    why: 'src-shared is pure (it runs in the renderer too): no Node builtins, no electron, no native or UI packages.',
  },
  {
    name: 'src-main/common',
    roots: ['src-main/common'],
    may: ['src-shared'],
    node: true,
    // @polkadot/wasm-crypto-init: wasm-crypto.ts starts util-crypto's WASM when it is wanted.
    packages: ['@grpc/grpc-js', '@grpc/proto-loader', '@polkadot/wasm-crypto-init'],
    why: 'src-main/common is transport plumbing shared by core and the practice network: it knows neither.',
  },
  {
    name: 'src-main/core',
    roots: ['src-main/core'],
    may: ['src-shared', 'src-main/common'],
    node: true,
    packages: ['zod', '@noble/*', '@scure/*', 'bs58', 'hash-wasm', 'better-sqlite3', 'dockerode', '@grpc/grpc-js', '@grpc/proto-loader', '@polkadot/*', '@zxcvbn-ts/*', '@phala/dcap-qvl', '@peculiar/x509', 'fflate', 'js-yaml'],
    why: 'core runs in Electron and in `minerva serve` alike (never electron) and does not know its hosts or the practice network (a separate party).',
  },
  {
    name: 'src-main/headless',
    roots: ['src-main/headless'],
    may: ['src-shared', 'src-main/common', 'src-main/core'],
    node: true,
    packages: ['ws'],
    why: 'headless hosts core over HTTP and WebSocket; the practice network is a separate party.',
  },
  {
    name: 'src-main/cli',
    roots: ['src-main/cli'],
    may: ['src-shared', 'src-main/common', 'src-main/core', 'src-main/headless', 'src-main/devnet'],
    node: true,
    packages: ['commander', 'ws', '@phala/dcap-qvl'],
    why: 'The CLI runs in plain Node: never electron or UI libraries.',
  },
  {
    name: 'src-main/electron',
    roots: ['src-main/electron'],
    may: ['src-shared', 'src-main/common', 'src-main/core'],
    node: true,
    packages: ['electron'],
    why: 'The Electron shell hosts core; the renderer is loaded, never imported; the practice network runs as a process.',
  },
  {
    name: 'src-main/preload',
    roots: ['src-main/preload'],
    typesFrom: ['src-shared'],
    node: false,
    packages: ['electron'],
    why: 'The preload is sandboxed: contextBridge and ipcRenderer, and contract types.',
  },
  {
    name: 'src-main/devnet',
    roots: ['src-main/devnet'],
    may: ['src-shared', 'src-main/common'],
    node: true,
    packages: ['zod', 'better-sqlite3', '@grpc/grpc-js', '@grpc/proto-loader', '@noble/*', '@polkadot/util', '@polkadot/util-crypto', '@polkadot/keyring', '@peculiar/x509'],
    why: 'The practice network is a separate party: it shares wire formats (@shared/*) and transport plumbing (@common/*), never app state (@core/*).',
  },
  {
    name: 'src-renderer',
    roots: ['src-renderer'],
    may: ['src-shared'],
    node: false,
    packages: ['react', 'react-dom', 'zustand'],
    why: 'The renderer runs in a browser and talks to core only through the contract client (src-shared/contract).',
  },
  {
    name: 'resources/models',
    roots: ['resources/models/*'],
    node: true,
    why: 'A demo model folder is copied into its container alone: Node builtins and its own files only.',
  },
  {
    name: 'tests',
    roots: ['tests'],
    may: [...app, 'root config', 'build'],
    node: true,
    // protobufjs is not declared in package.json: it comes with @grpc/proto-loader (declare it).
    packages: [...declared, 'protobufjs'],
    packagesText: 'the packages of package.json',
    relativeAcross: true,
    computed: true,
  },
  { name: 'scripts', roots: ['scripts'], node: true, packages: ['esbuild', 'icon-gen', 'sharp'], why: 'Build and test scripts drive the tools; they do not import the app.' },
  { name: 'build', roots: ['build'], node: true, packages: [], why: "electron-builder's hooks (build/README.md): Node builtins only, never the app." },
  { name: 'eslint-rules', roots: ['eslint-rules'], node: true, packages: ['eslint'] },
  {
    name: 'root config',
    roots: ['eslint.config.js', 'vitest.config.ts', 'vite.config.ts', 'playwright.config.ts', 'electron.config.ts'],
    may: ['eslint-rules', 'build'],
    node: true,
    packages: declared,
    packagesText: 'the packages of package.json',
    relativeAcross: true,
  },
];

export default tseslint.config(
  {
    ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bin/**', '.minerva-dev/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'bin/*.cjs', 'build/*.d.cts'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  // electron-builder's hooks (build/*.cjs) are CommonJS it loads with require: require is how they import.
  { files: ['build/**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },

  // ---- Layering (DESIGN.md): one rule, the allow-lists above ----
  {
    files: ['**/*.{ts,tsx,mts,cts,js,mjs,cjs,jsx}'],
    plugins: { minerva },
    rules: { 'minerva/layering': ['error', { root: import.meta.dirname, aliases, layers }] },
  },
  {
    // Within an allowed package, one name is not: the main process never holds ipcRenderer.
    files: ['src-main/electron/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', importNames: ['ipcRenderer'], message: 'ipcRenderer belongs to the preload.' }] }] },
  },
);
