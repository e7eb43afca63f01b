/**
 * The practice network's authority keys (hub, validator, coordinator, router): sr25519 pairs from
 * random 32-byte seeds kept in `<dataDir>/devnet/keys/<role>.json` (mode 0600), created on first
 * use. The chain records their addresses at genesis and accepts authority transactions
 * (session members, coordinator registry, reward emissions) only from them. Parties that run in
 * separate processes on the same data dir read the same files.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthorityRole } from '@shared/protocol/chain-api';
import { fromHex, toHex } from '@shared/protocol/encoding';
import { pairFromSeed, type SubstratePair } from '@shared/protocol/identities';

export const AUTHORITY_ROLES: readonly AuthorityRole[] = ['hub', 'validator', 'coordinator', 'router'];

interface KeyFile {
  role: AuthorityRole;
  scheme: 'sr25519';
  seed_hex: string;
  address: string;
}

export function keysDir(dataDir: string): string {
  return join(dataDir, 'devnet', 'keys');
}

/** Loads the authority key of `role`, creating it (atomically, 0600) when absent. */
export function authorityKey(dataDir: string, role: AuthorityRole): SubstratePair {
  const dir = keysDir(dataDir);
  const file = join(dir, `${role}.json`);
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
    return pairFromSeed(fromHex(parsed.seed_hex, `${role} key seed`, { length: 32 }), 'sr25519');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const seed = new Uint8Array(randomBytes(32));
  const pair = pairFromSeed(seed, 'sr25519');
  const body: KeyFile = { role, scheme: 'sr25519', seed_hex: toHex(seed), address: pair.address };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    // link() refuses an existing name: if another process created the key meanwhile, use theirs.
    linkSync(tmp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return authorityKey(dataDir, role);
  } finally {
    unlinkSync(tmp);
  }
  return pair;
}

export function authorityAddresses(dataDir: string): Record<AuthorityRole, string> {
  return Object.fromEntries(AUTHORITY_ROLES.map((role) => [role, authorityKey(dataDir, role).address])) as Record<AuthorityRole, string>;
}
