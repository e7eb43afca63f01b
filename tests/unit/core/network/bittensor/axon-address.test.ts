import { describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { axonIpToString, checkAxonAddress, nonPublicReason } from '@core/network/bittensor/axon-address';
import { formatTao } from '@core/network/bittensor/bittensor-client';

describe('axon address check (before serve_axon is signed)', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.8.9.10', 'a loopback address'],
    ['0.0.0.0', 'an unspecified address'],
    ['10.0.0.1', 'a private address'],
    ['172.16.5.4', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.10', 'a private address'],
    ['100.64.1.1', 'a shared (carrier-grade NAT) address'],
    ['169.254.169.254', 'a link-local address'],
    ['203.0.113.7', 'a documentation address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['::1', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fd12:3456::1', 'a private (unique local) address'],
    ['fe80::1', 'a link-local address'],
    ['2001:db8::1', 'a documentation address'],
  ])('%s is %s', (ip, reason) => {
    expect(nonPublicReason(ip)).toBe(reason);
    expect(() => checkAxonAddress(ip, 8091)).toThrow(AppError);
    expect(() => checkAxonAddress(ip, 8091)).toThrow(/validators on the internet cannot reach it.*Nothing was sent/);
  });

  it('accepts public addresses and encodes them as subtensor stores them', () => {
    expect(checkAxonAddress('45.79.10.20', 8091)).toEqual({ ip: '45.79.10.20', ipType: 4, ipNumber: 0x2d4f0a14n, port: 8091 });
    expect(checkAxonAddress('172.32.0.1', 1).ipType).toBe(4);
    expect(checkAxonAddress('::ffff:45.79.10.20', 8091).ip).toBe('45.79.10.20');
    const v6 = checkAxonAddress('2a01:4f8::10', 443);
    expect(v6).toMatchObject({ ipType: 6, ipNumber: 0x2a0104f8000000000000000000000010n });
    expect(axonIpToString(v6.ipNumber, 6)).toBe('2a01:4f8:0:0:0:0:0:10');
    expect(axonIpToString(0x2d4f0a14n, 4)).toBe('45.79.10.20');
    expect(checkAxonAddress('2a01:4f8::1.2.3.4', 1).ipNumber).toBe(0x2a0104f8000000000000000001020304n);
  });

  it('refuses what is not an address or not a port, in words', () => {
    expect(() => checkAxonAddress('miner.example.org', 8091)).toThrow(/not an IP address.*host name is not accepted/);
    expect(() => checkAxonAddress('45.79.10.20', 0)).toThrow(/Port 0 is not a valid TCP port/);
    expect(() => checkAxonAddress('45.79.10.20', 70_000)).toThrow(/Port 70000/);
    expect(checkAxonAddress('127.0.0.1', 8091, { allowNonPublic: true }).ipNumber).toBe(0x7f000001n);
  });
});

describe('formatTao', () => {
  it('prints rao as exact TAO', () => {
    expect(formatTao(1_000_000_000n)).toBe('1 TAO');
    expect(formatTao(1_500_000_000n)).toBe('1.5 TAO');
    expect(formatTao(1n)).toBe('0.000000001 TAO');
    expect(formatTao(0n)).toBe('0 TAO');
    expect(formatTao(-2_000_000_001n)).toBe('-2.000000001 TAO');
    expect(formatTao(123n, 'τ', 2)).toBe('1.23 τ');
  });
});
