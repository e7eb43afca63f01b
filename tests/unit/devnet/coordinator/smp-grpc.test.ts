/**
 * §5 Variant encoding and the shared .proto text: DOUBLE/INT little-endian, STRING/JSON UTF-8,
 * NaN and Infinity refused in JSON, wrong lengths refused; both services load with §5's names.
 */
import { describe, expect, it } from 'vitest';
import { decodeVariant, encodeVariant, loadSmpPackage } from '@devnet/coordinator/smp-grpc';
import { runnerDnsName } from '@shared/protocol/smp.proto';

describe('Variant', () => {
  it('encodes each type as §5 says', () => {
    expect(encodeVariant(null)).toEqual({ type: 'NONE', value: Buffer.alloc(0) });
    expect(encodeVariant(1.5).value.toString('hex')).toBe('000000000000f83f');
    expect(encodeVariant(-2n)).toEqual({ type: 'INT', value: Buffer.from('feffffffffffffff', 'hex') });
    expect(encodeVariant('é')).toEqual({ type: 'STRING', value: Buffer.from([0xc3, 0xa9]) });
    expect(encodeVariant({ json: { a: [1, 'x'] } }).value.toString()).toBe('{"a":[1,"x"]}');
  });

  it('round-trips and refuses what is not encodable or decodable', () => {
    for (const v of [null, 0.1, -7n, 'text ✓', { json: { value: 3 } }]) expect(decodeVariant(encodeVariant(v))).toEqual(v);
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
});
