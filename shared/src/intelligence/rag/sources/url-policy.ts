import {
  type AddressCategory,
  classifyAddress,
  formatIpAddress,
  type IpAddress,
  parseIpAddress,
} from './ip-address.ts';

/** Which destinations the URL fetcher may reach. The defaults allow public http(s) hosts only. */
export interface UrlPolicy {
  /**
   * Allow loopback (127.0.0.0/8, ::1). Off by default; tests turn it on to reach a local server.
   * Every other private, link-local, metadata or reserved range stays refused.
   */
  readonly allowLoopback?: boolean;
  /** Ports that may be named explicitly. Default: 80, 443 and 1024–65535. */
  readonly allowPort?: (port: number) => boolean;
}

/** Why a URL or address was refused. */
export type UrlRefusalReason =
  | 'invalid-url'
  | 'scheme'
  | 'credentials'
  | 'port'
  | 'hostname'
  | 'address'
  | 'redirects'
  | 'redirect-location';

/** A destination the SSRF guard refused; never retried. */
export class UrlRefusedError extends Error {
  readonly reason: UrlRefusalReason;
  constructor(reason: UrlRefusalReason, message: string) {
    super(message);
    this.name = 'UrlRefusedError';
    this.reason = reason;
  }
}

const defaultAllowPort = (port: number) => port === 80 || port === 443 || (port >= 1024 && port <= 65535);

// Names that resolve to the machine itself or to a private network by convention.
const INTERNAL_SUFFIXES = [
  '.localhost',
  '.local',
  '.localdomain',
  '.internal',
  '.home.arpa',
  '.lan',
  '.intranet',
];

/** Whether `address` may be connected to under `policy`. */
export function addressAllowed(
  address: IpAddress,
  policy: UrlPolicy = {},
): { allowed: true } | { allowed: false; category: AddressCategory; detail: string } {
  const classification = classifyAddress(address);
  if (classification.category === 'public') return { allowed: true };
  if (classification.category === 'loopback' && !classification.embedded && policy.allowLoopback) {
    return { allowed: true };
  }
  const via = classification.embedded
    ? ` (it carries ${classification.embedded.address}, ${classification.embedded.via} form)`
    : '';
  return {
    allowed: false,
    category: classification.category,
    detail: `${formatIpAddress(address)} is a ${classification.category} address${via}`,
  };
}

/** Throws {@link UrlRefusedError} unless `address` is allowed. */
export function assertAddressAllowed(address: IpAddress, policy: UrlPolicy = {}): void {
  const verdict = addressAllowed(address, policy);
  if (!verdict.allowed) throw new UrlRefusedError('address', `Refused: ${verdict.detail}`);
}

/** A URL that passed the checks that need no DNS. */
export interface CheckedUrl {
  readonly url: URL;
  /** Hostname without brackets or trailing dot, lower-cased. */
  readonly hostname: string;
  /** Set when the host is an IP literal (in any spelling); already checked. */
  readonly address: IpAddress | null;
  readonly port: number;
}

/**
 * The checks that need no DNS, shared by every runtime: http/https only, no credentials, an allowed
 * port, no internal hostnames (`localhost`, `*.internal`, single labels), and — when the host is an
 * IP literal in any spelling (decimal, octal, hex, IPv4-mapped, 6to4, NAT64…) — an allowed address.
 * The WHATWG parser already canonicalises numeric IPv4 hosts; the guard parses again regardless.
 */
export function checkUrl(input: string | URL, policy: UrlPolicy = {}): CheckedUrl {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch {
    throw new UrlRefusedError('invalid-url', 'Refused: not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlRefusedError('scheme', `Refused: only http and https URLs are fetched, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UrlRefusedError('credentials', 'Refused: URLs with credentials are not fetched');
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!(policy.allowPort ?? defaultAllowPort)(port)) {
    throw new UrlRefusedError('port', `Refused: port ${port} is not allowed`);
  }
  let hostname = url.hostname.toLowerCase();
  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
  if (hostname.endsWith('.')) hostname = hostname.slice(0, -1);
  const address = parseIpAddress(hostname);
  if (address) {
    assertAddressAllowed(address, policy);
    return { url, hostname, address, port };
  }
  const loopbackName = hostname === 'localhost' || hostname.endsWith('.localhost');
  if (loopbackName && policy.allowLoopback) return { url, hostname, address: null, port };
  if (
    hostname === '' ||
    loopbackName ||
    !hostname.includes('.') ||
    INTERNAL_SUFFIXES.some((suffix) => hostname.endsWith(suffix))
  ) {
    throw new UrlRefusedError('hostname', `Refused: ${hostname || 'an empty host'} is an internal hostname`);
  }
  return { url, hostname, address: null, port };
}
