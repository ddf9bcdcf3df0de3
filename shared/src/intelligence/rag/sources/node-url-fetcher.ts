import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { formatIpAddress, parseIpAddress } from './ip-address.ts';
import {
  type FetchHop,
  fetchGuarded,
  UrlFetchError,
  type UrlFetcher,
  type UrlFetcherOptions,
} from './url-fetcher.ts';
import { assertAddressAllowed } from './url-policy.ts';

/** One DNS answer. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Options of the Node adapter; `resolve` replaces the system resolver (tests, custom DNS). */
export interface NodeUrlFetcherOptions extends UrlFetcherOptions {
  readonly resolve?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
}

const systemResolve = async (hostname: string): Promise<ResolvedAddress[]> =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((answer) => ({
    address: answer.address,
    family: answer.family === 6 ? 6 : 4,
  }));

/**
 * The Node {@link UrlFetcher}: the SSRF guard with DNS. For each hop it resolves the hostname,
 * refuses the hop if *any* answer is a non-public address (private, loopback, link-local, CGNAT,
 * metadata, multicast, reserved, IPv4-mapped/6to4/NAT64 forms of those…), then connects to the
 * checked address itself (a pinned `lookup`), so a DNS answer that changes between the check and
 * the connect (rebinding) is never used. No connection reuse (`agent: false`), no decompression.
 *
 * @example
 * const fetcher = createNodeUrlFetcher({ maxBytes: 10 * 1024 * 1024, timeoutMs: 15_000 });
 */
export function createNodeUrlFetcher(options: NodeUrlFetcherOptions = {}): UrlFetcher {
  const resolve = options.resolve ?? systemResolve;

  async function pin(hostname: string, literal: boolean): Promise<ResolvedAddress> {
    const parsedLiteral = literal ? parseIpAddress(hostname) : null;
    if (parsedLiteral) return { address: formatIpAddress(parsedLiteral), family: parsedLiteral.version };
    let answers: readonly ResolvedAddress[];
    try {
      answers = await resolve(hostname);
    } catch (error) {
      throw new UrlFetchError('network', `Could not resolve ${hostname}`, { cause: error });
    }
    if (answers.length === 0) throw new UrlFetchError('network', `${hostname} has no address`);
    for (const answer of answers) {
      const parsed = parseIpAddress(answer.address);
      if (!parsed) throw new UrlFetchError('network', `${hostname} resolved to an unparsable address`);
      assertAddressAllowed(parsed, options);
    }
    const [first] = answers;
    if (!first) throw new UrlFetchError('network', `${hostname} has no address`);
    return first;
  }

  return {
    fetch: (url, callOptions = {}) =>
      fetchGuarded(
        url,
        async (target, signal, headers): Promise<FetchHop> => {
          const pinned = await pin(target.hostname, target.address !== null);
          const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
            if (lookupOptions.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
            else callback(null, pinned.address, pinned.family);
          };
          const transport = target.url.protocol === 'https:' ? https : http;
          return new Promise<FetchHop>((resolveHop, reject) => {
            const request = transport.request(
              target.url,
              { method: 'GET', headers, lookup, signal, agent: false },
              (response) => {
                const length = response.headers['content-length'];
                resolveHop({
                  status: response.statusCode ?? 0,
                  location: response.headers.location ?? null,
                  contentType: response.headers['content-type'] ?? null,
                  contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
                  body: response,
                  discard: () => response.destroy(),
                });
              },
            );
            request.on('error', reject);
            request.end();
          });
        },
        options,
        callOptions.signal,
      ),
  };
}
