// @ts-check
/**
 * `minerva/layering`: every file belongs to a layer (a folder listed in eslint.config.js), and each
 * import of a layer — static, `export … from`, `import()`, `require()`, `import x = require()`,
 * `typeof import()` — is checked against that layer's explicit allow-list of layers, Node builtins
 * and npm packages. Whatever is not listed is denied: a new folder, a new package, a builtin in a
 * pure layer. A file in no listed folder is itself an error, so a new folder needs a line (and a
 * README) before it has code.
 *
 * Written by hand (about 200 lines) rather than with eslint-plugin-boundaries or
 * eslint-plugin-import's no-restricted-paths: both learn where an import points from a module
 * resolver, so the `@core/*` aliases need eslint-import-resolver-typescript (a native resolver with
 * an install script), and an import of a file that does not exist yet is "unknown" and passes;
 * no-restricted-paths lists what is denied, not what is allowed. Minerva's layers are folders and
 * its aliases are fixed, so the import string alone says where it points.
 */
import { builtinModules } from 'node:module';
import { posix, relative, sep } from 'node:path';

const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/**
 * @typedef {object} Layer
 * @property {string} name            shown in messages, and what `may` lists (a root folder by convention)
 * @property {string[]} roots         folders (or single files) from the repo root; `*` matches one segment
 * @property {string[]} [may]         other layers it may import (its own layer always)
 * @property {string[]} [typesFrom]   layers it may import types from only (`import type`, `export type`)
 * @property {boolean | string[]} [node]  Node builtins: all, none, or these (`node:fs`)
 * @property {string[]} [packages]    npm packages: `name`, `@scope/*`
 * @property {string} [packagesText]  how messages name a long package list
 * @property {boolean} [relativeAcross]  may reach an allowed layer by a relative path (tests)
 * @property {boolean} [computed]     may `import()` / `require()` a computed specifier (tests)
 * @property {string} [why]           appended to every refusal in this layer
 */

/** @param {string} pattern @param {string} name */
const packageMatches = (pattern, name) => pattern === name || (pattern.endsWith('/*') && name.startsWith(pattern.slice(0, -1)));

/** @param {string} spec */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec);
}

/**
 * The layer and the concrete root (a wildcard root resolves to the matched folder) of a path.
 * @param {Layer[]} layers @param {string} path repo-relative, posix
 * @returns {{ layer: Layer, root: string } | null}
 */
function layerOf(layers, path) {
  const segments = path.split('/');
  for (const layer of layers) {
    for (const root of layer.roots) {
      const want = root.split('/');
      if (segments.length < want.length) continue;
      if (want.every((w, i) => w === '*' || w === segments[i])) return { layer, root: segments.slice(0, want.length).join('/') };
    }
  }
  return null;
}

/** @param {Layer} layer */
function allowance(layer) {
  const node = layer.node === true ? 'Node builtins' : Array.isArray(layer.node) && layer.node.length > 0 ? layer.node.join(', ') : 'no Node builtins';
  const layersText = [layer.name, ...(layer.may ?? [])].join(', ');
  const types = layer.typesFrom?.length ? `; types only from ${layer.typesFrom.join(', ')}` : '';
  const packages = layer.packagesText ?? (layer.packages?.length ? layer.packages.join(', ') : 'no npm packages');
  return `It may import: ${layersText}${types}; ${node}; ${packages}.`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const layering = {
  meta: {
    type: 'problem',
    docs: { description: 'Each layer imports only what its allow-list names (eslint.config.js, DESIGN.md "Layering").' },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string' }, aliases: { type: 'object' }, layers: { type: 'array' } },
        required: ['root', 'aliases', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      unlisted: '{{file}} is in no layer: add its folder to the layers in eslint.config.js (with what it may import) and say so in its README.',
      denied: '{{layer}} may not import {{what}} (`{{spec}}`). {{why}}{{allowed}}',
      leaves: 'A relative import may not leave {{root}} (`{{spec}}`): cross layers through an alias ({{aliases}}).',
      computed: '{{kind}} with a computed specifier cannot be checked against the allow-list of {{layer}}: use a string literal.',
    },
  },
  create(context) {
    const { root, aliases, layers } = /** @type {{ root: string, aliases: Record<string, string>, layers: Layer[] }} */ (context.options[0]);
    const file = relative(root, context.filename).split(sep).join('/');
    if (file.startsWith('../') || file === '' || /^[a-z]:/i.test(file)) return {};
    const home = layerOf(layers, file);
    if (!home) {
      return {
        Program(node) {
          context.report({ node, messageId: 'unlisted', data: { file } });
        },
      };
    }
    const { layer } = home;
    const aliasList = Object.keys(aliases).map((a) => `${a}/*`).join(', ');

    /** @param {import('estree').Node} node @param {string} spec @param {string} what */
    const deny = (node, spec, what) => context.report({ node, messageId: 'denied', data: { layer: layer.name, what, spec, why: layer.why ? `${layer.why} ` : '', allowed: allowance(layer) } });

    /**
     * @param {import('estree').Node} node
     * @param {{ layer: Layer, root: string } | null} target
     * @param {string} spec
     * @param {boolean} typeOnly
     */
    const checkTarget = (node, target, spec, typeOnly) => {
      if (!target) return deny(node, spec, 'a folder that is in no layer');
      if (target.layer === layer) return;
      if (layer.may?.includes(target.layer.name)) return;
      if (typeOnly && layer.typesFrom?.includes(target.layer.name)) return;
      const typesNote = layer.typesFrom?.includes(target.layer.name) ? ' (values; types only, with `import type`)' : '';
      deny(node, spec, `${target.layer.name}${typesNote}`);
    };

    /** @param {import('estree').Node} node @param {string} raw @param {boolean} typeOnly */
    const check = (node, raw, typeOnly) => {
      const spec = raw.split('?')[0] ?? raw; // vite's `?url`, `?raw` suffixes
      if (spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0] ?? '')) {
        const name = spec.startsWith('node:') ? spec : `node:${spec}`;
        if (layer.node === true || (Array.isArray(layer.node) && layer.node.includes(name.split('/')[0] ?? name))) return;
        return deny(node, spec, 'Node builtins');
      }
      if (spec.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        // An extension-less import of a single-file root (`../electron.config`) names that file.
        const found = layerOf(layers, target) ?? ['.ts', '.tsx', '.js', '.mjs', '.cjs'].map((ext) => layerOf(layers, target + ext)).find(Boolean) ?? null;
        if (found && found.root === home.root) return;
        if (!layer.relativeAcross || !found) {
          return context.report({ node, messageId: 'leaves', data: { root: home.root, spec, aliases: aliasList } });
        }
        return checkTarget(node, found, spec, typeOnly);
      }
      if (spec.startsWith('/') || /^[a-z]:[\\/]/i.test(spec) || spec.startsWith('file:')) return deny(node, spec, 'an absolute path');
      for (const [alias, folder] of Object.entries(aliases)) {
        if (spec === alias || spec.startsWith(`${alias}/`)) return checkTarget(node, layerOf(layers, `${folder}${spec.slice(alias.length)}`), spec, typeOnly);
      }
      const name = packageName(spec);
      if ((layer.packages ?? []).some((p) => packageMatches(p, name))) return;
      deny(node, spec, `the package ${name}`);
    };

    /** @param {import('estree').Node | null | undefined} source @param {boolean} typeOnly @param {string} kind */
    const checkSource = (source, typeOnly, kind) => {
      if (!source) return;
      if (source.type === 'Literal' && typeof source.value === 'string') return check(source, source.value, typeOnly);
      if (source.type === 'TemplateLiteral' && source.expressions.length === 0) return check(source, source.quasis[0]?.value.cooked ?? '', typeOnly);
      if (!layer.computed) context.report({ node: source, messageId: 'computed', data: { kind, layer: layer.name } });
    };

    return {
      ImportDeclaration(node) {
        checkSource(node.source, /** @type {{ importKind?: string }} */ (node).importKind === 'type', 'import');
      },
      ExportNamedDeclaration(node) {
        if (node.source) checkSource(node.source, /** @type {{ exportKind?: string }} */ (node).exportKind === 'type', 'export … from');
      },
      ExportAllDeclaration(node) {
        checkSource(node.source, /** @type {{ exportKind?: string }} */ (node).exportKind === 'type', 'export * from');
      },
      ImportExpression(node) {
        checkSource(node.source, false, 'import()');
      },
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments.length > 0) {
          const [arg] = node.arguments;
          if (arg && arg.type !== 'SpreadElement') checkSource(arg, false, 'require()');
        }
      },
      /** `import x = require('y')` */
      TSExternalModuleReference(/** @type {any} */ node) {
        checkSource(node.expression, false, 'import … = require()');
      },
      /** `typeof import('x')`, `import('x').T`: types only. */
      TSImportType(/** @type {any} */ node) {
        const arg = node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.argument;
        checkSource(arg, true, 'import() type');
      },
    };
  },
};

export default { rules: { layering } };
