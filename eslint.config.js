// ESLint flat config. The layering of DESIGN.md ("Layering") is enforced here with
// `no-restricted-imports`, one block per layer folder, so a wrong import fails `npm test`.
//
// How layers are recognised by the import string alone:
// - cross-layer imports use the aliases `@shared/*` (src-shared) and `@core/*` (src-main/core);
// - a relative import may not climb out of its own layer folder (checked per file depth below).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = [...builtinModules.filter((m) => !m.startsWith('_')), 'node:*'];
const nodeBuiltinPatterns = [...builtinModules.map((m) => `${m}/*`), 'node:*'];

/** Restrictions shared by every layer: name what is banned and say why. */
const ban = (names, message) => names.map((name) => ({ name, message }));
const banPatterns = (group, message, extra = {}) => ({ group, message, ...extra });

/**
 * One `no-restricted-imports` block per depth below a layer root: a file at depth d (root/a/b.ts
 * has d = 2) may climb at most d-1 levels, so `../` can never leave the layer.
 */
function layer(root, { paths = [], patterns = [] }) {
  const blocks = [];
  for (let depth = 1; depth <= 7; depth += 1) {
    const dirs = '*/'.repeat(depth - 1);
    const escape = {
      regex: `^(\\.\\./){${depth},}`,
      message: `Relative imports may not leave ${root}; cross layers through @shared/* or @core/* (DESIGN.md, Layering).`,
    };
    blocks.push({
      files: [`${root}/${dirs}*.ts`, `${root}/${dirs}*.tsx`],
      rules: { 'no-restricted-imports': ['error', { paths, patterns: [...patterns, escape] }] },
    });
  }
  return blocks;
}

const noElectron = ban(['electron'], 'Only src-main/electron and src-main/preload may import electron.');
const noUi = ban(['react', 'react-dom', 'zustand'], 'UI libraries belong to src-renderer.');
const nativeOrServer = ['better-sqlite3', 'dockerode', 'ws', '@grpc/grpc-js', '@grpc/proto-loader'];

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
          allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', 'bin/*.cjs'],
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
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },

  // ---- Layering (DESIGN.md) ----
  ...layer('src-shared', {
    paths: [...noElectron, ...noUi, ...ban(nodeBuiltins, 'src-shared is pure: no node:* (it runs in the renderer too).'), ...ban(nativeOrServer, 'src-shared is pure.')],
    patterns: [
      banPatterns(nodeBuiltinPatterns, 'src-shared is pure: no node:*.'),
      banPatterns(['@common/*', '@core/*', '@headless/*', '@devnet/*'], 'src-shared may import only src-shared and pure npm libraries.'),
    ],
  }),
  ...layer('src-main/common', {
    paths: [...noElectron, ...noUi],
    patterns: [banPatterns(['@core/*', '@headless/*', '@devnet/*', '@cli/*'], 'src-main/common is shared by core and the practice network: it imports neither (only @shared/*).')],
  }),
  ...layer('src-main/core', {
    paths: [...noElectron, ...noUi],
    patterns: [banPatterns(['@headless/*', '@devnet/*'], 'core does not import its hosts or the practice network (a separate party, started as a process).')],
  }),
  ...layer('src-main/electron', {
    paths: [...noUi, { name: 'electron', importNames: ['ipcRenderer'], message: 'ipcRenderer belongs to the preload.' }],
    patterns: [banPatterns(['@headless/*', '@devnet/*'], 'The Electron shell hosts core only.')],
  }),
  ...layer('src-main/preload', {
    paths: [...noUi, ...ban(nodeBuiltins, 'The preload is sandboxed: contextBridge and ipcRenderer only.'), ...ban(nativeOrServer, 'The preload is sandboxed.')],
    patterns: [
      banPatterns(nodeBuiltinPatterns, 'The preload is sandboxed.'),
      banPatterns(['@core/*', '@headless/*', '@devnet/*'], 'The preload may not import main-process code.'),
      banPatterns(['@shared/*'], 'The preload may import src-shared for types only.', { allowTypeImports: true }),
    ],
  }),
  ...layer('src-main/headless', {
    paths: [...noElectron, ...noUi],
    patterns: [banPatterns(['@devnet/*'], 'headless hosts core; the practice network is a separate party.')],
  }),
  ...layer('src-main/cli', { paths: [...noElectron, ...noUi] }),
  ...layer('src-main/devnet', {
    paths: [...noElectron, ...noUi],
    patterns: [banPatterns(['@core/*', '@headless/*'], 'The practice network is a separate party: it shares wire formats (@shared/*), never app state (@core/*).')],
  }),
  ...layer('src-renderer', {
    paths: [...noElectron, ...ban(nodeBuiltins, 'The renderer runs in a browser: no node:*.'), ...ban(nativeOrServer, 'The renderer talks only through the contract client.')],
    patterns: [
      banPatterns(nodeBuiltinPatterns, 'The renderer runs in a browser: no node:*.'),
      banPatterns(['@core/*', '@headless/*', '@devnet/*'], 'The renderer talks only through the contract client (src-shared/contract).'),
    ],
  }),
);
