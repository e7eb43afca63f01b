#!/usr/bin/env node
// Signs an update feed's channel files (docs/updates.md): for each latest*.yml in the folder, writes
// <name>.sig = base64(Ed25519 signature over the file's exact bytes). The private key comes from
// MINERVA_RELEASE_KEY (a PKCS#8 PEM; in CI a secret), never from a file in the repository.
//   node scripts/sign-update-feed.mjs <feed folder>     sign
//   node scripts/sign-update-feed.mjs --keygen          print a new key pair (keep the private half offline)
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = process.argv[2];
if (arg === '--keygen') {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64');
  process.stdout.write(`RELEASE_PUBLIC_KEY (src-main/core/updates/release-key.ts): ${raw}\n\n${privateKey.export({ format: 'pem', type: 'pkcs8' })}`);
  process.exit(0);
}
if (!arg) {
  process.stderr.write('usage: node scripts/sign-update-feed.mjs <feed folder> | --keygen\n');
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
