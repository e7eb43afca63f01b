import { BlockList, isIP } from 'node:net';
import { AppError } from '@shared/contract/errors';

/**
 * Checks an axon address before `serve_axon` is signed, and encodes it the way subtensor stores
 * it (`ip: u128`, `ip_type: 4 | 6`). Validators on the internet must reach the axon, so loopback,
 * private, link-local, shared (CGNAT), documentation, multicast and reserved ranges are refused
 * here with words; the chain itself refuses at least 0.0.0.0, 127.0.0.1 and ::1
 * (`InvalidIpAddress`). The ranges live in Node's own `net.BlockList` (no hand-written matcher).
 */
const NOT_PUBLIC: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['192.0.2.0', 24, 'ipv4', 'a documentation address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['198.51.100.0', 24, 'ipv4', 'a documentation address'],
  ['203.0.113.0', 24, 'ipv4', 'a documentation address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
  ['2001:db8::', 32, 'ipv6', 'a documentation address'],
];

const lists = NOT_PUBLIC.map(([net, prefix, family, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, what, family };
});

export interface AxonAddress {
  /** The address as given, normalised (IPv4-mapped IPv6 becomes IPv4). */
  ip: string;
  ipType: 4 | 6;
  /** The `u128` subtensor stores. */
  ipNumber: bigint;
  port: number;
}

/** Why an address cannot serve validators on the internet, or null when it is public. */
export function nonPublicReason(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { list, what, family: listFamily } of lists) {
    if (listFamily === type && list.check(ip, type)) return what;
  }
  return null;
}

/**
 * Parses and checks `ip` and `port`; throws VALIDATION in words when validators could not reach
 * them. `allowNonPublic` only skips the range check (to let the chain answer for itself).
 */
export function checkAxonAddress(ipInput: string, port: number, options: { allowNonPublic?: boolean } = {}): AxonAddress {
  let ip = ipInput.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) ip = mapped[1];
  const family = isIP(ip);
  if (family === 0) {
    throw new AppError('VALIDATION', `"${ipInput}" is not an IP address. Enter the public IPv4 or IPv6 address of this machine (a host name is not accepted by the chain).`);
  }
  const reason = options.allowNonPublic ? null : nonPublicReason(ip);
  if (reason) {
    throw new AppError(
      'VALIDATION',
      `${ip} is ${reason}: validators on the internet cannot reach it, and the chain refuses loopback and unspecified addresses (InvalidIpAddress). Nothing was sent. Enter this machine's public address (or your router's, with the port forwarded).`,
      { details: { reason: 'non-public-ip' } },
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new AppError('VALIDATION', `Port ${port} is not a valid TCP port. Use a number from 1 to 65535 that is open to the internet. Nothing was sent.`);
  }
  return { ip, ipType: family === 4 ? 4 : 6, ipNumber: family === 4 ? ipv4ToNumber(ip) : ipv6ToNumber(ip), port };
}

function ipv4ToNumber(ip: string): bigint {
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number.parseInt(part, 10)), 0n);
}

function ipv6ToNumber(ip: string): bigint {
  // Expand "::" and an embedded IPv4 tail, then read eight 16-bit groups.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const n = ipv4ToNumber(v4[1]);
    text = text.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n);
}

/** The stored `u128` back to text (for the metagraph's axon). */
export function axonIpToString(ipNumber: bigint, ipType: number): string {
  if (ipType === 4) return [24n, 16n, 8n, 0n].map((s) => ((ipNumber >> s) & 0xffn).toString()).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ipNumber >> s) & 0xffffn).toString(16));
  return groups.join(':');
}
