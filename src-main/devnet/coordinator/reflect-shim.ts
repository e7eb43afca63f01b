/**
 * The three `Reflect` metadata functions that tsyringe (a dependency of @peculiar/x509) checks for
 * at load and calls: a minimal stand-in for the `reflect-metadata` polyfill, which is not installed.
 * Import this module before @peculiar/x509. It only adds the functions when they are missing.
 */
type MetadataKey = unknown;
const store = new WeakMap<object, Map<MetadataKey, unknown>>();

interface ReflectMetadata {
  getMetadata?: (key: MetadataKey, target: object) => unknown;
  getOwnMetadata?: (key: MetadataKey, target: object) => unknown;
  defineMetadata?: (key: MetadataKey, value: unknown, target: object) => void;
}

const reflect = Reflect as unknown as ReflectMetadata;
if (typeof reflect.getMetadata !== 'function') {
  reflect.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const map = store.get(t);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  reflect.defineMetadata = (key, value, target) => {
    let map = store.get(target);
    if (!map) store.set(target, (map = new Map()));
    map.set(key, value);
  };
}

export {};
