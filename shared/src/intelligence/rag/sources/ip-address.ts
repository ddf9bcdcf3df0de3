/*
 * IP literal parsing and classification for the SSRF guard. Pure and runtime-neutral: the edge
 * adapter checks literal hosts with it, the Node adapter also checks every resolved address.
 */

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6), network order. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

/** Why an address may not be fetched; `public` is the only one allowed by default. */
export type AddressCategory =
  | 'public'
  | 'this-network'
  | 'private'
  | 'cgnat'
  | 'loopback'
  | 'link-local'
  | 'metadata'
  | 'protocol-assignments'
  | 'documentation'
  | '6to4-relay'
  | 'benchmarking'
  | 'multicast'
  | 'reserved'
  | 'broadcast'
  | 'unspecified'
  | 'ipv4-compatible'
  | 'nat64-local'
  | 'teredo'
  | 'unique-local'
  | 'site-local'
  | 'discard';

/** The outcome of classifying one address; `embedded` names the IPv4 an IPv6 form carried. */
export interface AddressClassification {
  readonly category: AddressCategory;
  readonly embedded?: { readonly via: 'ipv4-mapped' | 'nat64' | '6to4'; readonly address: string };
}

const IPV4_PART = /^(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i;

function parseIpv4Part(part: string): number | null {
  if (!IPV4_PART.test(part)) return null;
  if (/^0x/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (part.length > 1 && part.startsWith('0')) return Number.parseInt(part.slice(1), 8);
  return Number.parseInt(part, 10);
}

/**
 * Parses an IPv4 address in every spelling `inet_aton` and the WHATWG URL parser accept: dotted
 * decimal, one to four parts, octal (`0177.0.0.1`), hex (`0x7f.1`), a single 32-bit number
 * (`2852039166`) and a trailing dot. Returns null for anything else.
 */
export function parseIpv4(text: string): Uint8Array | null {
  const trimmed = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = trimmed.split('.');
  if (parts.length === 0 || parts.length > 4 || parts.some((part) => part === '')) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIpv4Part(part);
    if (value === null || !Number.isFinite(value)) return null;
    numbers.push(value);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((value) => value > 255)) return null;
  if (last >= 2 ** (8 * (4 - numbers.length))) return null;
  let value = last;
  for (const [index, byte] of numbers.entries()) value += byte * 2 ** (8 * (3 - index));
  return new Uint8Array([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]);
}

function parseStrictIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^(?:0|[1-9][0-9]{0,2})$/.test(part))) return null;
  const bytes = parts.map((part) => Number(part));
  return bytes.every((byte) => byte <= 255) ? new Uint8Array(bytes) : null;
}

/** Parses an IPv6 address (optionally in brackets, with an embedded dotted IPv4 tail); no zone ids. */
export function parseIpv6(text: string): Uint8Array | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (bare.includes('%') || !bare.includes(':')) return null;
  const halves = bare.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseStrictIpv4(piece);
        if (!v4) return null;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 255;
  }
  return bytes;
}

/** Parses an IP literal of either version; null for a hostname. */
export function parseIpAddress(text: string): IpAddress | null {
  const v6 = parseIpv6(text);
  if (v6) return { version: 6, bytes: v6 };
  const v4 = parseIpv4(text);
  return v4 ? { version: 4, bytes: v4 } : null;
}

/** Dotted or RFC 5952-style text of an address (for messages). */
export function formatIpAddress(address: IpAddress): string {
  if (address.version === 4) return [...address.bytes].join('.');
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push((((address.bytes[index] ?? 0) << 8) | (address.bytes[index + 1] ?? 0)).toString(16));
  }
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

type Range = readonly [base: string, bits: number, category: AddressCategory];

// Order matters only where ranges nest: the specific metadata addresses come first.
const IPV4_RANGES: readonly Range[] = [
  ['169.254.169.254', 32, 'metadata'],
  ['169.254.170.2', 32, 'metadata'],
  ['100.100.100.200', 32, 'metadata'],
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'protocol-assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4-relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

const IPV6_RANGES: readonly Range[] = [
  ['fd00:ec2::254', 128, 'metadata'],
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'ipv4-compatible'],
  ['64:ff9b:1::', 48, 'nat64-local'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'protocol-assignments'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'reserved'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function inRange(bytes: Uint8Array, base: Uint8Array, bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const index = bit / 8;
    const span = Math.min(8, bits - bit);
    const mask = (0xff << (8 - span)) & 0xff;
    if (((bytes[index] ?? 0) & mask) !== ((base[index] ?? 0) & mask)) return false;
  }
  return true;
}

const compiled = (ranges: readonly Range[], parse: (text: string) => Uint8Array | null) =>
  ranges.map(([base, bits, category]) => {
    const bytes = parse(base);
    if (!bytes) throw new Error(`bad range ${base}`);
    return { bytes, bits, category };
  });
const V4 = compiled(IPV4_RANGES, parseStrictIpv4);
const V6 = compiled(IPV6_RANGES, parseIpv6);
const MAPPED_PREFIX = parseIpv6('::ffff:0:0') ?? new Uint8Array(16);
const NAT64_PREFIX = parseIpv6('64:ff9b::') ?? new Uint8Array(16);
const SIX_TO_FOUR_PREFIX = parseIpv6('2002::') ?? new Uint8Array(16);

function classifyIpv4(bytes: Uint8Array): AddressCategory {
  return V4.find((range) => inRange(bytes, range.bytes, range.bits))?.category ?? 'public';
}

/**
 * Classifies an address. IPv6 forms that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`,
 * NAT64 `64:ff9b::/96`, 6to4 `2002:AABB:CCDD::/48`) take the category of that IPv4 address, so
 * `::ffff:169.254.169.254` and `2002:a9fe:a9fe::` are metadata. Everything outside global unicast
 * `2000::/3` is reserved; Teredo and IPv4-compatible forms are refused outright.
 */
export function classifyAddress(address: IpAddress): AddressClassification {
  const { bytes } = address;
  if (address.version === 4) return { category: classifyIpv4(bytes) };
  const embeddedVia = (
    via: 'ipv4-mapped' | 'nat64' | '6to4',
    v4: Uint8Array,
  ): AddressClassification | null => {
    const category = classifyIpv4(v4);
    return category === 'public'
      ? null
      : { category, embedded: { via, address: formatIpAddress({ version: 4, bytes: v4 }) } };
  };
  if (inRange(bytes, MAPPED_PREFIX, 96))
    return embeddedVia('ipv4-mapped', bytes.slice(12)) ?? { category: 'public' };
  if (inRange(bytes, NAT64_PREFIX, 96))
    return embeddedVia('nat64', bytes.slice(12)) ?? { category: 'public' };
  if (inRange(bytes, SIX_TO_FOUR_PREFIX, 16)) {
    return embeddedVia('6to4', bytes.slice(2, 6)) ?? { category: 'public' };
  }
  const special = V6.find((range) => inRange(bytes, range.bytes, range.bits));
  if (special) return { category: special.category };
  // Global unicast is 2000::/3; the rest of the space is unallocated.
  return { category: ((bytes[0] ?? 0) & 0xe0) === 0x20 ? 'public' : 'reserved' };
}
