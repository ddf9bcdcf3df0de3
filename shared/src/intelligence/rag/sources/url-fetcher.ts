import { type CheckedUrl, checkUrl, type UrlPolicy, UrlRefusedError } from './url-policy.ts';

/** What a URL fetch returns: the final URL after redirects and the body, within the size limit. */
export interface FetchedResource {
  readonly url: string;
  readonly status: number;
  /** Media type without parameters, lower-cased (`text/html`); null when the server sent none. */
  readonly contentType: string | null;
  readonly charset: string | null;
  readonly body: Uint8Array;
}

/**
 * The URL-fetching port used by document ingestion. Every adapter enforces the SSRF guard
 * ({@link checkUrl} on the URL and on every redirect hop), a size limit and a time limit.
 * Refusals throw `UrlRefusedError`; other failures throw {@link UrlFetchError}.
 */
export interface UrlFetcher {
  fetch(url: string, options?: { signal?: AbortSignal }): Promise<FetchedResource>;
}

/** Limits and policy shared by the adapters. */
export interface UrlFetcherOptions extends UrlPolicy {
  /** Largest body read, in bytes. Default 10 MiB. */
  readonly maxBytes?: number;
  /** Deadline for the whole fetch, redirects included. Default 15 s. */
  readonly timeoutMs?: number;
  /** Redirects followed (each re-checked). Default 5. */
  readonly maxRedirects?: number;
  readonly userAgent?: string;
}

/** A fetch that failed for a reason other than the guard. */
export class UrlFetchError extends Error {
  readonly kind: 'http-status' | 'too-large' | 'timeout' | 'network';
  constructor(kind: UrlFetchError['kind'], message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'UrlFetchError';
    this.kind = kind;
  }
}

/** One request/response exchange as an adapter performs it (no redirect following). */
export interface FetchHop {
  readonly status: number;
  readonly location: string | null;
  readonly contentType: string | null;
  readonly contentLength: number | null;
  readonly body: AsyncIterable<Uint8Array>;
  /** Releases the connection without reading the body. */
  discard(): void;
}

/** Performs one hop to an already checked URL; the adapter adds its own checks (e.g. DNS). */
export type FetchHopFunction = (
  target: CheckedUrl,
  signal: AbortSignal,
  headers: Record<string, string>,
) => Promise<FetchHop>;

export const DEFAULT_FETCH_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_REDIRECTS = 5;

async function readCapped(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const part of body) {
    total += part.byteLength;
    if (total > maxBytes) throw new UrlFetchError('too-large', `Refused: the body exceeds ${maxBytes} bytes`);
    parts.push(part);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function parseContentType(header: string | null): { contentType: string | null; charset: string | null } {
  if (!header) return { contentType: null, charset: null };
  const [type = '', ...parameters] = header.split(';');
  const charset = parameters
    .map((parameter) => parameter.trim().toLowerCase())
    .find((parameter) => parameter.startsWith('charset='));
  return {
    contentType: type.trim().toLowerCase() || null,
    charset: charset ? charset.slice('charset='.length).replace(/"/g, '') : null,
  };
}

/**
 * Fetches `url` through `hop`, following redirects by hand: every Location is resolved against the
 * current URL and checked again (scheme, port, hostname, literal address) before the next hop, at
 * most `maxRedirects` times. One deadline covers the whole chain; the body is read up to `maxBytes`.
 */
export async function fetchGuarded(
  url: string,
  hop: FetchHopFunction,
  options: UrlFetcherOptions = {},
  outerSignal?: AbortSignal,
): Promise<FetchedResource> {
  const maxBytes = options.maxBytes ?? DEFAULT_FETCH_MAX_BYTES;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = outerSignal ? AbortSignal.any([outerSignal, timeout]) : timeout;
  const headers = {
    accept: 'text/html, text/markdown, text/plain, application/pdf;q=0.9, */*;q=0.1',
    // Compressed bodies could expand past the size limit after the check; ask for none.
    'accept-encoding': 'identity',
    'user-agent': options.userAgent ?? 'LuMay-Ingest/1.0',
  };
  let current = checkUrl(url, options);
  try {
    for (let redirects = 0; ; redirects += 1) {
      const response = await hop(current, signal, headers);
      if (response.status >= 300 && response.status < 400 && response.status !== 304) {
        response.discard();
        if (!response.location) {
          throw new UrlFetchError('http-status', `HTTP ${response.status} without a Location header`);
        }
        if (redirects >= maxRedirects) {
          throw new UrlRefusedError('redirects', `Refused: more than ${maxRedirects} redirects`);
        }
        let next: URL;
        try {
          next = new URL(response.location, current.url);
        } catch {
          throw new UrlRefusedError('redirect-location', 'Refused: the redirect Location is not a valid URL');
        }
        current = checkUrl(next, options);
        continue;
      }
      if (response.status < 200 || response.status >= 300) {
        response.discard();
        throw new UrlFetchError('http-status', `HTTP ${response.status} from ${current.url.origin}`);
      }
      if (response.contentLength !== null && response.contentLength > maxBytes) {
        response.discard();
        throw new UrlFetchError('too-large', `Refused: the body exceeds ${maxBytes} bytes`);
      }
      const body = await readCapped(response.body, maxBytes);
      return {
        url: current.url.href,
        status: response.status,
        ...parseContentType(response.contentType),
        body,
      };
    }
  } catch (error) {
    if (error instanceof UrlRefusedError || error instanceof UrlFetchError) throw error;
    if (signal.aborted) {
      throw new UrlFetchError('timeout', 'The fetch timed out or was aborted', { cause: error });
    }
    throw new UrlFetchError('network', `The fetch failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
}
