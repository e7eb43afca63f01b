/**
 * @polkadot/util-crypto's WebAssembly, started when it is wanted instead of on import.
 *
 * Importing @polkadot/util-crypto (the vault, the wire-format identities, the practice network all
 * do) starts its WASM at once: the module decodes ~1 MB of base64 + deflate and compiles it, ~150 ms
 * of CPU before `minerva serve` could listen (README "Performance": startup). Nothing at start needs
 * it: since util-crypto 14, sr25519 is @scure/sr25519 (JavaScript), and every hash and derivation
 * util-crypto offers runs its JavaScript twin while the WASM is not ready (`isReady()` false),
 * which gives the same bytes — that is util-crypto's own contract (its `onlyJs` flags; the
 * identities tests check our derivations against fixed vectors).
 *
 * So the production bundle (scripts/build.mjs) hands @polkadot/wasm-crypto this module in place of
 * @polkadot/wasm-crypto-init: its `createWasm` waits until `startWasmCrypto()` is called and only
 * then loads and compiles the real WASM. Until then `cryptoWaitReady()` stays pending (import-time
 * callers do not await it), so whoever needs the WASM ready (the practice network's chain,
 * @polkadot/api, which refuses to become ready without it) calls `startWasmCrypto()` first and then
 * awaits `cryptoWaitReady()` as before. Run from source (tests, `tsx`), util-crypto starts its WASM
 * on import as usual and `startWasmCrypto()` changes nothing.
 */
import type { createWasm as realCreateWasm } from '@polkadot/wasm-crypto-init';

type CreateWasm = typeof realCreateWasm;

let release: () => void = () => undefined;
const wanted = new Promise<void>((resolve) => {
  release = resolve;
});

/** @polkadot/wasm-crypto-init's `createWasm`, deferred until `startWasmCrypto()` (the bundle's alias). */
export const createWasm: CreateWasm = async (wbg) => {
  await wanted;
  // scripts/build.mjs resolves this one import, from this file, to the real package (the copy
  // @polkadot/wasm-crypto depends on).
  const real = await import('@polkadot/wasm-crypto-init');
  return real.createWasm(wbg);
};

/** Lets util-crypto load its WASM now (idempotent); `await cryptoWaitReady()` after it resolves once it is ready. */
export function startWasmCrypto(): void {
  release();
}
