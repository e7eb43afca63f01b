'use strict';
// The values a release needs that this repository cannot invent: the deb's Homepage and Maintainer,
// the update feed's address and the release key's public half. They live in ONE place,
// package.json's "minervaRelease" block, committed (docs/release.md says how to fill it). Until
// then they are null, and:
//   - a development or test build uses placeholders under the reserved .invalid domain (so a
//     local `npm run dist` still makes a deb) and builds an app with no update key (it says so);
//   - a release build (MINERVA_RELEASE=1, set by .github/workflows/release.yml) stops, naming each
//     field still missing: tests/unit/electron/builder-config.test.ts (the workflow runs it before
//     packaging) and build/after-sign.cjs (in electron-builder itself).
// Read by electron.config.ts (deb fields, publish URL), scripts/build.mjs (feed URL and key into the
// app: src-main/core/updates/release-key.ts) and the tests. Node builtins only.
const { createPublicKey } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const PLACEHOLDERS = {
  homepage: 'https://minerva.invalid/minerva',
  maintainer: 'Minerva maintainers <maintainers@minerva.invalid>',
  updateFeedUrl: 'https://updates.minerva.invalid/',
};

/** How to fill each field (the release stops with these words). */
const HOW = {
  homepage: 'the project\'s public address, https://… (the deb\'s Homepage)',
  maintainer: 'who answers for the deb, "Name <email>" with a real email (the deb\'s Maintainer)',
  updateFeedUrl: 'the https:// folder the signed latest*.yml files are uploaded to, ending in /',
  updatePublicKey: 'the release key\'s public half printed by `node scripts/sign-update-feed.mjs --keygen` (base64, 32 bytes)',
};

/** An Ed25519 public key as DER SPKI: this prefix, then the raw 32 bytes. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function readPackage(root = join(__dirname, '..')) {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
}

/** package.json's "minervaRelease" block, each field a non-empty string or null. */
function declared(pkg) {
  const block = (pkg && typeof pkg.minervaRelease === 'object' && pkg.minervaRelease) || {};
  const text = (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  return { homepage: text(block.homepage), maintainer: text(block.maintainer), updateFeedUrl: text(block.updateFeedUrl), updatePublicKey: text(block.updatePublicKey) };
}

const isInvalidHost = (url) => {
  try {
    return /(^|\.)(invalid|example|localhost|test)$/.test(new URL(url).hostname);
  } catch {
    return true;
  }
};

/** What is wrong with one declared value, in words, or null. */
function fieldProblem(name, value) {
  if (value === null) return 'not set';
  if (name === 'homepage') return /^https:\/\/[^\s/]+\/\S+$/.test(value) && !isInvalidHost(value) ? null : 'not an https:// address of a real host with a path';
  if (name === 'maintainer') {
    const m = /^[^<>]+ <([^@\s<>]+@([^@\s<>]+\.[a-z]+))>$/i.exec(value);
    return m && !/(^|\.)(invalid|example|test|localhost)$/i.test(m[2]) ? null : 'not "Name <email>" with a real email';
  }
  if (name === 'updateFeedUrl') return /^https:\/\/[^\s]+\/$/.test(value) && !isInvalidHost(value) ? null : 'not an https:// folder of a real host ending in /';
  if (name === 'updatePublicKey') {
    const raw = Buffer.from(value, 'base64');
    if (raw.length !== 32 || raw.toString('base64') !== value) return 'not the base64 of 32 bytes';
    try {
      createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
      return null;
    } catch {
      return 'not an Ed25519 public key';
    }
  }
  return null;
}

/**
 * The values the build uses: package.json's where set, else the placeholders (the key and feed:
 * null, so the app has no update feed and says so).
 */
function releaseFields(pkg = readPackage()) {
  const d = declared(pkg);
  const homepage = d.homepage ?? PLACEHOLDERS.homepage;
  const maintainer = d.maintainer ?? PLACEHOLDERS.maintainer;
  return {
    homepage,
    maintainer,
    author: { name: maintainer.replace(/\s*<.*$/, ''), email: /<([^>]+)>/.exec(maintainer)?.[1] ?? '' },
    /** electron-builder's generic publish URL (it writes the channel files; nothing is uploaded). */
    publishUrl: d.updateFeedUrl ?? PLACEHOLDERS.updateFeedUrl,
    /** Into the app (release-key.ts); null until filled. */
    updateFeedUrl: d.updateFeedUrl,
    updatePublicKey: d.updatePublicKey,
  };
}

/**
 * Each "minervaRelease" field that keeps `env`'s build from being a release, in words (which
 * field, what is wrong, what to put there); [] when all are filled or this is not a release
 * build (MINERVA_RELEASE is not 1). Values are public (addresses, a public key), so the words
 * may name them.
 */
function releaseFieldProblems(pkg = readPackage(), env = process.env) {
  if (env.MINERVA_RELEASE !== '1') return [];
  const d = declared(pkg);
  return Object.keys(HOW).flatMap((name) => {
    const problem = fieldProblem(name, d[name]);
    return problem ? [`package.json minervaRelease.${name} is ${problem}: set it to ${HOW[name]} (docs/release.md).`] : [];
  });
}

module.exports = { releaseFields, releaseFieldProblems, readPackage, PLACEHOLDERS };
