import { AppError } from '../../core/index.ts';

/*
 * Where the platform may send model traffic (OWASP API7, SSRF). On-prem deployments point
 * providers at models on their own network, so private addresses are allowed there
 * (`ALLOW_PRIVATE_MODEL_ENDPOINTS=true`, the embedded and Node default). At the edge (and wherever
 * the flag is false) a base URL must be a public http(s) endpoint: IP literals are checked in every
 * spelling (the WHATWG URL parser already turns decimal, octal and hex IPv4 into dotted form;
 * IPv4-mapped, -compatible, 6to4, NAT64 and Teredo IPv6 forms are unpacked here), intranet host
 * names are refused, and, when the runtime can resolve names, every resolved address is checked.
 */

/** The deployment's rule for model endpoints. */
export interface ModelEndpointPolicy {
  /** On-prem: private, loopback and link-local addresses are allowed. */
  readonly allowPrivate: boolean;
  /** Resolves a host name to its addresses (Node); without it only literals and names are checked. */
  readonly resolveHost?: (hostname: string) => Promise<readonly string[]>;
}

/** Why an endpoint was refused. */
export class ModelEndpointRefusedError extends AppError {
  constructor(reason: string) {
    super('validation_failed', `The model endpoint is not allowed: ${reason}`, {
      details: { reason: 'endpoint_refused' },
    });
    this.name = 'ModelEndpointRefusedError';
  }
}

const BLOCKED_V4: readonly [number, number][] = [
  [0x00000000, 8], // "this" network
  [0x0a000000, 8], // private
  [0x64400000, 10], // carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local, cloud metadata
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0000200, 24], // TEST-NET-1
  [0xc0586300, 24], // 6to4 relay anycast
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xc6336400, 24], // TEST-NET-2
  [0xcb007100, 24], // TEST-NET-3
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

const BLOCKED_NAMES = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa|localdomain)$/;
const METADATA_NAMES = new Set(['metadata', 'metadata.google.internal', 'instance-data']);

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255))
    return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function blockedIpv4(address: number): boolean {
  return BLOCKED_V4.some(
    ([base, bits]) => Math.floor(address / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)),
  );
}

/** Eight 16-bit groups of an IPv6 literal (with an optional dotted IPv4 tail), or undefined. */
function parseIpv6(text: string): number[] | undefined {
  let value = text.toLowerCase().replace(/%.*$/, '');
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(value);
  if (tail?.[1]) {
    const v4 = parseIpv4(tail[1]);
    if (v4 === undefined) return undefined;
    value = `${value.slice(0, -tail[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = value.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return all.map((group) => Number.parseInt(group, 16));
}

function v4From(high: number | undefined, low: number | undefined): number {
  return (high ?? 0) * 65536 + (low ?? 0);
}

function blockedIpv6(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6, g7] = groups;
  const firstSixZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (firstSixZero && g5 === 0) return true; // ::, ::1 and IPv4-compatible ::a.b.c.d (deprecated)
  if (firstSixZero && g5 === 0xffff) return blockedIpv4(v4From(g6, g7)); // IPv4-mapped
  if (g0 === 0x64 && g1 === 0xff9b) return g2 !== 0 || blockedIpv4(v4From(g6, g7)); // NAT64 (local /48 refused)
  if (g0 === 0x2002) return blockedIpv4(v4From(g1, g2)); // 6to4
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo: tunnels to arbitrary IPv4
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true; // link- and site-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0; // discard prefix
}

/** Whether an address literal (IPv4 dotted or IPv6) is private, loopback, link-local or reserved. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return blockedIpv4(v4);
  const v6 = parseIpv6(bare);
  // Anything that is not a well-formed public address is refused, not guessed at.
  return v6 === undefined ? true : blockedIpv6(v6);
}

/**
 * Checks a model endpoint URL against the policy; throws {@link ModelEndpointRefusedError}.
 *
 * @example
 * await checkModelEndpoint('http://169.254.169.254/v1', { allowPrivate: false }); // throws
 */
export async function checkModelEndpoint(url: string, policy: ModelEndpointPolicy): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ModelEndpointRefusedError('not a valid URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ModelEndpointRefusedError('only http and https endpoints are allowed');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ModelEndpointRefusedError(
      'credentials in the URL are not allowed; store the key as the API key',
    );
  }
  if (policy.allowPrivate) return;
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  const literal = host.startsWith('[') || parseIpv4(host) !== undefined;
  if (literal) {
    if (isPrivateAddress(host))
      throw new ModelEndpointRefusedError('private or reserved addresses are not allowed here');
    return;
  }
  if (!host.includes('.') || BLOCKED_NAMES.test(host) || METADATA_NAMES.has(host)) {
    throw new ModelEndpointRefusedError('intranet host names are not allowed here');
  }
  if (policy.resolveHost) {
    let addresses: readonly string[];
    try {
      addresses = await policy.resolveHost(host);
    } catch {
      throw new ModelEndpointRefusedError('the host name does not resolve');
    }
    if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
      throw new ModelEndpointRefusedError('the host name resolves to a private or reserved address');
    }
  }
}

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * A fetch for the model registry that enforces the policy on every request and never follows a
 * redirect (a public endpoint redirecting to a private one is the classic SSRF bypass): a 3xx
 * reaches the vendor SDK as an error response.
 */
export function createGuardedFetch(
  policy: ModelEndpointPolicy,
  base: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init),
): typeof globalThis.fetch {
  return async (input, init) => {
    await checkModelEndpoint(urlOf(input), policy);
    return base(input, { ...init, redirect: 'manual' });
  };
}
