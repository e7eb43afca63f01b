import { z } from 'zod';
import { corrupt } from './vault-file';

/**
 * The decrypted payload: `MVP1` ‖ u32be meta length ‖ meta JSON (no secrets) ‖ secret bytes.
 * Secrets stay raw bytes, referenced by offset, so the service can zero-fill them on lock; JS
 * strings cannot be wiped, so none of the secret material is ever parsed into one by this codec.
 */
const roleSchema = z.enum(['coldkey', 'hotkey', 'checkpoint-signer', 'runner-wallet', 'smp-hotkey', 'eoa']);
const schemeSchema = z.enum(['sr25519', 'ed25519', 'secp256k1']);
const indexEntrySchema = z.object({ index: z.number().int().min(0), createdAt: z.string(), retiredAt: z.string().optional() }).strict();

export const importedKeySchema = z
  .object({
    id: z.string().min(1).max(64),
    role: roleSchema,
    scheme: schemeSchema,
    publicKey: z.string().regex(/^[0-9a-f]+$/),
    source: z.enum(['polkadot-json', 'btcli', 'solana-keypair', 'ethereum-key', 'watch-only', 'seed-derived']),
    addedAt: z.string(),
    retiredAt: z.string().optional(),
    /** false for a watch-only key (public key only). */
    hasSecret: z.boolean(),
  })
  .strict();

export const payloadMetaSchema = z
  .object({
    v: z.literal(1),
    createdAt: z.string(),
    root: z.union([z.object({ kind: z.literal('mnemonic'), words: z.number().int().min(12).max(24) }).strict(), z.object({ kind: z.literal('seed') }).strict(), z.null()]),
    mnemonicConfirmed: z.boolean(),
    passwordWeak: z.boolean(),
    passwordChangedAt: z.string(),
    hotkeys: z.array(indexEntrySchema),
    smpHotkeys: z.array(indexEntrySchema),
    checkpointSigner: z.object({ index: z.number().int().min(0), scheme: z.enum(['ed25519', 'sr25519']) }).strict(),
    imported: z.array(importedKeySchema),
  })
  .strict();

export type PayloadMeta = z.infer<typeof payloadMetaSchema>;
export type ImportedKeyMeta = z.infer<typeof importedKeySchema>;
export type IndexEntry = z.infer<typeof indexEntrySchema>;

export interface Payload {
  meta: PayloadMeta;
  /** `root` → mnemonic (UTF-8) or 32-byte seed; `key:<id>` → an imported secret. */
  secrets: Map<string, Uint8Array>;
}

const MAGIC = [0x4d, 0x56, 0x50, 0x31]; // "MVP1"

export function encodePayload(payload: Payload): Uint8Array {
  const refs: Record<string, [number, number]> = {};
  let offset = 0;
  for (const [name, bytes] of payload.secrets) {
    refs[name] = [offset, bytes.length];
    offset += bytes.length;
  }
  const metaBytes = new TextEncoder().encode(JSON.stringify({ meta: payload.meta, refs }));
  const out = new Uint8Array(8 + metaBytes.length + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, metaBytes.length, false);
  out.set(metaBytes, 8);
  let at = 8 + metaBytes.length;
  for (const bytes of payload.secrets.values()) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** Copies each secret out of `plain` into its own buffer; the caller zero-fills `plain`. */
export function decodePayload(plain: Uint8Array): Payload {
  if (plain.length < 8 || MAGIC.some((b, i) => plain[i] !== b)) throw corrupt('payload magic');
  const metaLen = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(4, false);
  if (8 + metaLen > plain.length) throw corrupt('payload length');
  let parsed: { meta: unknown; refs: Record<string, [number, number]> };
  try {
    parsed = JSON.parse(new TextDecoder().decode(plain.subarray(8, 8 + metaLen))) as typeof parsed;
  } catch {
    throw corrupt('payload metadata');
  }
  const meta = payloadMetaSchema.safeParse(parsed.meta);
  if (!meta.success) throw corrupt('payload metadata schema');
  const base = 8 + metaLen;
  const secrets = new Map<string, Uint8Array>();
  for (const [name, [offset, length]] of Object.entries(parsed.refs ?? {})) {
    if (base + offset + length > plain.length) throw corrupt('payload secret bounds');
    secrets.set(name, plain.slice(base + offset, base + offset + length));
  }
  return { meta: meta.data, secrets };
}

export function wipePayload(payload: Payload | undefined): void {
  if (!payload) return;
  for (const bytes of payload.secrets.values()) bytes.fill(0);
  payload.secrets.clear();
}
