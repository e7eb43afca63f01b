#!/usr/bin/env node
// Renders every icon the installers and the tray need from the two SVGs, offline (sharp renders
// SVG with the librsvg it ships; icon-gen packs ICNS and ICO). Run it after changing an SVG and
// commit what it writes — packaging never runs it (`npm run icons`).
//   build/icon.svg           → build/icon.png (512), build/icons/NxN.png (Linux, 16–1024),
//                              build/icon.icns (macOS, 16–1024), build/icon.ico (Windows, 16–256)
//   the tray glyphs below    → resources/tray/: tray[-paused].png + @2x (Windows, Linux),
//                              tray[-paused].ico (Windows), tray[-paused]Template.png + @2x (macOS
//                              menu bar: black on transparent, the OS tints it)
// tests/unit/electron/builder-config.test.ts checks that every one of them exists at its size.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import icongen from 'icon-gen';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build');
const trayDir = join(root, 'resources', 'tray');

export const APP_PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
export const ICNS_SIZES = [16, 32, 64, 128, 256, 512, 1024];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
export const TRAY_ICO_SIZES = [16, 24, 32, 48];

/** An SVG rendered at `size` px square (vector all the way: the density scales the drawing). */
async function render(svg, size) {
  const width = Number(/width="(\d+)"/.exec(svg.toString())?.[1] ?? 512);
  return sharp(svg, { density: Math.max(1, (72 * size) / width) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

// The tray glyph: the app's mark, drawn bolder for 16 px. Colour for Windows and Linux trays;
// black for macOS templates. Paused: grey disc (colour) or half transparent (template).
const traySvg = ({ disc, opacity = 1 }) => `<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32" viewBox="0 0 32 32">
  <defs><mask id="m"><rect width="32" height="32" fill="#fff"/>
    <path d="M8 22 L12 10 L16 18 L20 10 L24 22" fill="none" stroke="#000" stroke-width="3.4" stroke-linejoin="round" stroke-linecap="round"/>
  </mask></defs>
  <circle cx="16" cy="16" r="15.5" fill="${disc}" fill-opacity="${opacity}" mask="url(#m)"/>
</svg>`;
const TRAY = {
  tray: traySvg({ disc: '#6d5dfc' }),
  'tray-paused': traySvg({ disc: '#8a8a93' }),
  trayTemplate: traySvg({ disc: '#000000' }),
  'tray-pausedTemplate': traySvg({ disc: '#000000', opacity: 0.45 }),
};

/** icon-gen writes `<name>.icns` / `<name>.ico` from a folder of `<size>.png`. */
async function pack(pngs, out, options) {
  const work = mkdtempSync(join(tmpdir(), 'minerva-icons-'));
  try {
    for (const [size, png] of pngs) writeFileSync(join(work, `${size}.png`), png);
    const written = await icongen(work, work, { report: false, ...options });
    for (const file of written) renameSync(file, join(out, file.split(/[/\\]/).pop()));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main() {
  const appSvg = readFileSync(join(buildDir, 'icon.svg'));
  const app = new Map();
  for (const size of [...new Set([...APP_PNG_SIZES, ...ICNS_SIZES, ...ICO_SIZES])]) app.set(size, await render(appSvg, size));
  rmSync(join(buildDir, 'icons'), { recursive: true, force: true });
  mkdirSync(join(buildDir, 'icons'), { recursive: true });
  for (const size of APP_PNG_SIZES) writeFileSync(join(buildDir, 'icons', `${size}x${size}.png`), app.get(size));
  writeFileSync(join(buildDir, 'icon.png'), app.get(512));
  await pack(app, buildDir, { icns: { name: 'icon', sizes: ICNS_SIZES }, ico: { name: 'icon', sizes: ICO_SIZES } });

  rmSync(trayDir, { recursive: true, force: true });
  mkdirSync(trayDir, { recursive: true });
  for (const [name, svg] of Object.entries(TRAY)) {
    const source = Buffer.from(svg);
    writeFileSync(join(trayDir, `${name}.png`), await render(source, 16));
    writeFileSync(join(trayDir, `${name}@2x.png`), await render(source, 32));
    if (!name.endsWith('Template')) {
      const pngs = new Map();
      for (const size of TRAY_ICO_SIZES) pngs.set(size, await render(source, size));
      await pack(pngs, trayDir, { ico: { name, sizes: TRAY_ICO_SIZES } });
    }
  }
  console.log('icons: build/icon.{png,icns,ico}, build/icons/, resources/tray/');
}

await main();
