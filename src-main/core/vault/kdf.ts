import { argon2i, argon2id, scrypt } from 'hash-wasm';
import { z } from 'zod';

/**
 * Password → 32-byte vault key with a memory-hard KDF. The parameters live in the vault header,
 * so a vault written with older (or stronger) parameters still opens, and the defaults can move.
 * hash-wasm runs the KDF in WebAssembly: pure-JS scrypt at N = 2^17 is several times slower.
 */
export const kdfParamsSchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('argon2id'),
      memoryKiB: z.number().int().min(64 * 1024).max(4 * 1024 * 1024),
      iterations: z.number().int().min(3).max(64),
      parallelism: z.number().int().min(1).max(16),
      salt: z.string().regex(/^[0-9a-f]{32,128}$/),
    })
    .strict(),
  z
    .object({
      name: z.literal('scrypt'),
      log2N: z.number().int().min(17).max(22),
      r: z.number().int().min(8).max(32),
      p: z.number().int().min(1).max(16),
      salt: z.string().regex(/^[0-9a-f]{32,128}$/),
    })
    .strict(),
]);

export type KdfParams = z.infer<typeof kdfParamsSchema>;
export type KdfChoice = { name: 'argon2id'; memoryKiB: number; iterations: number; parallelism: number } | { name: 'scrypt'; log2N: number; r: number; p: number };

/**
 * The default, measured by tests/bench/vault.ts: argon2id 64 MiB × 4 passes unlocks in about
 * half a second on a 2-core machine under load (target 0.25–1.5 s).
 */
export const DEFAULT_KDF: KdfChoice = { name: 'argon2id', memoryKiB: 64 * 1024, iterations: 4, parallelism: 1 };

/** Memory the KDF needs, in MiB (for the benchmark and the README). */
export function kdfMemoryMiB(params: KdfChoice): number {
  return params.name === 'argon2id' ? params.memoryKiB / 1024 : (128 * params.r * 2 ** params.log2N) / (1024 * 1024);
}

export function withSalt(choice: KdfChoice, salt: Uint8Array): KdfParams {
  return { ...choice, salt: Buffer.from(salt).toString('hex') };
}

export async function deriveVaultKey(password: string, params: KdfParams): Promise<Uint8Array> {
  const salt = Buffer.from(params.salt, 'hex');
  const pw = new TextEncoder().encode(password.normalize('NFKC'));
  try {
    if (params.name === 'argon2id') {
      return await argon2id({ password: pw, salt, iterations: params.iterations, parallelism: params.parallelism, memorySize: params.memoryKiB, hashLength: 32, outputType: 'binary' });
    }
    return await scrypt({ password: pw, salt, costFactor: 2 ** params.log2N, blockSize: params.r, parallelism: params.p, hashLength: 32, outputType: 'binary' });
  } finally {
    pw.fill(0);
  }
}

/** btcli / bittensor-wallet `$NACL` key: libsodium crypto_pwhash ARGON2I13, opslimit 8, memlimit 512 MiB. */
export const NACL_SALT = Uint8Array.from([0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1]);

export async function naclColdkeyKey(password: string): Promise<Uint8Array> {
  return argon2i({ password: new TextEncoder().encode(password), salt: NACL_SALT, iterations: 8, parallelism: 1, memorySize: 512 * 1024, hashLength: 32, outputType: 'binary' });
}
