import type { Signer, SignerResult } from '@polkadot/api/types';
import type { Registry, SignerPayloadJSON } from '@polkadot/types/types';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

/**
 * What the adapter needs from a key: its address and a signature over bytes. The vault provides
 * it (it never hands out the key); tests use a @polkadot/keyring pair. Structurally the same as
 * `KeySigner` in ../client.ts, so a vault signer passes as is.
 */
export interface ChainSigner {
  /** SS58 address of the key. */
  address: string;
  scheme: 'sr25519' | 'ed25519';
  /** Raw signature (64 bytes) over exactly these bytes. */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * A polkadot-js `Signer` over a ChainSigner. Same bytes as `ExtrinsicPayload.sign`: the SCALE
 * payload, hashed with blake2-256 when longer than 256 bytes, and a MultiSignature prefix
 * (0x00 ed25519, 0x01 sr25519).
 */
export function toPolkadotSigner(registry: Registry, key: ChainSigner): Signer {
  let id = 0;
  return {
    async signPayload(payload: SignerPayloadJSON): Promise<SignerResult> {
      if (payload.address !== key.address) throw new Error('signer asked to sign for another address');
      const bytes = registry.createType('ExtrinsicPayload', payload, { version: payload.version }).toU8a({ method: true });
      const message = bytes.length > 256 ? blake2AsU8a(bytes, 256) : bytes;
      const signature = await key.sign(message);
      const prefix = new Uint8Array([key.scheme === 'sr25519' ? 1 : 0]);
      id += 1;
      return { id, signature: u8aToHex(u8aConcat(prefix, signature)) };
    },
  };
}
