/**
 * §5 Variant encoding and the shared .proto text: DOUBLE/INT little-endian, STRING/JSON UTF-8,
 * NaN and Infinity refused in JSON, wrong lengths refused; both services load with §5's names.
 */
import { describe, expect, it } from 'vitest';
import { decodeVariant, encodeVariant, loadSmpPackage } from '@devnet/coordinator/smp-grpc';
import { classNameForm, classNameMatches, runnerDnsName } from '@shared/protocol/smp.proto';
import { jsonToVariant, variantToJson } from '@shared/protocol/smp-variant';

describe('Variant', () => {
  it('encodes each type as §5 says', () => {
    const hex = (v: Parameters<typeof encodeVariant>[0]): [string, string] => {
      const e = encodeVariant(v);
      return [e.type, Buffer.from(e.value).toString('hex')];
    };
    expect(hex(null)).toEqual(['NONE', '']);
    expect(hex(1.5)).toEqual(['DOUBLE', '000000000000f83f']);
    expect(hex(-2n)).toEqual(['INT', 'feffffffffffffff']);
    expect(hex('é')).toEqual(['STRING', 'c3a9']);
    expect(Buffer.from(encodeVariant({ json: { a: [1, 'x'] } }).value).toString()).toBe('{"a":[1,"x"]}');
  });

  it('round-trips and refuses what is not encodable or decodable', () => {
    for (const v of [null, 0.1, -7n, 'text ✓', { json: { value: 3 } }]) expect(decodeVariant(encodeVariant(v))).toEqual(v);
    // gRPC hands bytes fields over as Buffers (a view into a larger pool): decoding reads only the view.
    const pooled = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(encodeVariant(2.5).value)]).subarray(3);
    expect(decodeVariant({ type: 'DOUBLE', value: pooled })).toBe(2.5);
    expect(() => encodeVariant({ json: { v: Number.NaN } })).toThrow(/NaN/);
    expect(() => encodeVariant({ json: [Infinity] })).toThrow(/Infinity/);
    expect(() => decodeVariant({ type: 'DOUBLE', value: new Uint8Array(7) })).toThrow(/8 bytes/);
    expect(() => decodeVariant({ type: 'INT', value: new Uint8Array(9) })).toThrow(/8 bytes/);
    expect(() => decodeVariant({ type: 'STRING', value: new Uint8Array([0xff]) })).toThrow();
    expect(() => decodeVariant({ type: 'PARQUET', value: new Uint8Array(1) })).toThrow(/not supported/);
  });
});

describe('the shared .proto', () => {
  it('loads DynamicSubclassService and grpc.health.v1.Health with their methods', () => {
    const pkg = loadSmpPackage();
    expect(Object.keys(pkg.DynamicSubclassService.service).sort()).toEqual(['Call', 'Rest', 'Setup']);
    expect(pkg.DynamicSubclassService.service.Setup!.path).toBe('/dynamic_subclass.DynamicSubclassService/Setup');
    expect(pkg.Health.service.Check!.path).toBe('/grpc.health.v1.Health/Check');
    expect(pkg.Health.service.Watch!.responseStream).toBe(true);
  });

  it('names a runner model-node-<model_id>.<domain>', () => {
    expect(runnerDnsName('practice-ts-1', 'practice.local')).toBe('model-node-practice-ts-1.practice.local');
  });

  it('carries INT over the whole signed 64-bit range and refuses what does not fit instead of wrapping', () => {
    expect(decodeVariant(encodeVariant(2n ** 63n - 1n))).toBe(2n ** 63n - 1n);
    expect(() => encodeVariant(2n ** 63n)).toThrow(/signed 64-bit/);
    expect(variantToJson(2n ** 53n)).toBe('9007199254740992');
    expect(variantToJson(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(jsonToVariant(-5n).type).toBe('INT');
  });

  it('matches a class by its last segment, bare or dotted, and says which form a name has', () => {
    expect(classNameMatches('TrackerBase', 'birdgame.trackers.trackerbase.TrackerBase')).toBe(true);
    expect(classNameMatches('birdgame.trackers.trackerbase.TrackerBase', 'TrackerBase')).toBe(true);
    expect(classNameMatches('TrackerBase', 'TrackerBaseX')).toBe(false);
    expect(classNameMatches('pkg.', 'other.')).toBe(false);
    expect(classNameForm('TrackerBase')).toBe('bare');
    expect(classNameForm('birdgame.trackers.trackerbase.TrackerBase')).toBe('module-path');
  });
});
