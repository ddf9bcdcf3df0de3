import { type FetchHop, fetchGuarded, type UrlFetcher, type UrlFetcherOptions } from './url-fetcher.ts';

async function* chunksOf(stream: ReadableStream<Uint8Array> | null): AsyncIterable<Uint8Array> {
  if (!stream) return;
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Stops the download when the size limit ends the loop early.
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * A {@link UrlFetcher} over the runtime's `fetch` (Workers, Deno, browsers), with redirects followed
 * by hand and every hop checked by {@link checkUrl}: scheme, credentials, port, internal hostnames
 * and literal IP addresses in any spelling.
 *
 * Limitation: these runtimes cannot resolve DNS for the guard, so a public hostname whose DNS
 * answer is a private address (or that rebinds) is not caught here. On Cloudflare Workers the
 * platform itself refuses connections to private and loopback ranges; elsewhere prefer the Node
 * adapter (`createNodeUrlFetcher` from `@lumay/shared/node`), which resolves, checks every address
 * and connects to the checked one.
 *
 * @example
 * const fetcher = createFetchUrlFetcher({ maxBytes: 5 * 1024 * 1024 });
 * const page = await fetcher.fetch('https://example.com/handbook');
 */
export function createFetchUrlFetcher(
  options: UrlFetcherOptions & { fetch?: typeof globalThis.fetch } = {},
): UrlFetcher {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  return {
    fetch: (url, callOptions = {}) =>
      fetchGuarded(
        url,
        async (target, signal, headers): Promise<FetchHop> => {
          const response = await doFetch(target.url.href, { headers, redirect: 'manual', signal });
          const length = response.headers.get('content-length');
          return {
            status: response.status,
            location: response.headers.get('location'),
            contentType: response.headers.get('content-type'),
            contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : null,
            body: chunksOf(response.body),
            discard: () => void response.body?.cancel().catch(() => undefined),
          };
        },
        options,
        callOptions.signal,
      ),
  };
}
