#!/usr/bin/env node
// Signs an update feed's channel files (docs/updates.md): for each latest*.yml in the folder, writes
// <name>.sig = base64(Ed25519 signature over the file's exact bytes). The private key comes from
// MINERVA_RELEASE_KEY (a PKCS#8 PEM; in CI a secret), never from a file in the repository.
//   node scripts/sign-update-feed.mjs <feed folder>            sign
//   node scripts/sign-update-feed.mjs --keygen <private.pem>   make the release key pair (docs/release.md):
//     the private half goes to <private.pem> (a new file, 0600; keep it offline), the public half is
//     printed, for package.json's "minervaRelease.updatePublicKey"
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = process.argv[2];
if (arg === '--keygen') {
  const out = process.argv[3];
  if (!out) {
    process.stderr.write('usage: node scripts/sign-update-feed.mjs --keygen <file for the private key>\n(the private key is never printed)\n');
    process.exit(2);
  }
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // The public half, as the app pins it: base64 of the raw 32 bytes (DER SPKI minus its 12-byte prefix).
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
  try {
    writeFileSync(out, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    process.stderr.write(`${out} was not written (${error.code ?? error.message}): give a new file name; an existing key is never replaced.\n`);
    process.exit(1);
  }
  process.stdout.write(`Private key written to ${out} (0600). Keep it offline; the release workflow's signer reads it from MINERVA_RELEASE_KEY.\nPublic key, for package.json:\n  npm pkg set minervaRelease.updatePublicKey=${raw}\n`);
  process.exit(0);
}
if (!arg) {
  process.stderr.write('usage: node scripts/sign-update-feed.mjs <feed folder> | --keygen <private key file>\n');
  process.exit(2);
}
const pem = process.env.MINERVA_RELEASE_KEY;
if (!pem) {
  process.stderr.write('MINERVA_RELEASE_KEY is not set: it must hold the release private key (PKCS#8 PEM).\n');
  process.exit(2);
}
const key = createPrivateKey(pem);
const channels = readdirSync(arg).filter((n) => /^latest.*\.yml$/.test(n));
if (channels.length === 0) {
  process.stderr.write(`no latest*.yml in ${arg}: build the installers first.\n`);
  process.exit(1);
}
for (const name of channels) {
  const bytes = readFileSync(join(arg, name));
  writeFileSync(join(arg, `${name}.sig`), `${sign(null, bytes, key).toString('base64')}\n`);
  process.stdout.write(`signed ${name}\n`);
}
