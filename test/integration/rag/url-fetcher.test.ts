import { createFetchUrlFetcher, UrlFetchError, type UrlFetcher, UrlRefusedError } from '@lumay/shared';
import { createNodeUrlFetcher } from '@lumay/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, redirectTo, respond, startLocalServer } from './support.ts';

const PAGE = '<html><head><title>Hello</title></head><body><p>Local page.</p></body></html>';

let server: LocalServer;

beforeAll(async () => {
  let hop = 0;
  server = await startLocalServer({
    '/page.html': respond('text/html; charset=utf-8', PAGE),
    '/relative': redirectTo('/page.html'),
    '/to-loopback': redirectTo((origin) => `${origin}/page.html`),
    '/to-metadata': redirectTo('http://169.254.169.254/latest/meta-data/'),
    '/to-metadata-hex': redirectTo('http://0xa9fea9fe/latest/meta-data/'),
    '/to-mapped-metadata': redirectTo('http://[::ffff:169.254.169.254]/'),
    '/to-aws-ipv6': redirectTo('http://[fd00:ec2::254]/latest/meta-data/'),
    '/to-private': redirectTo('http://10.0.0.1/admin'),
    '/to-file': redirectTo('file:///etc/passwd'),
    '/to-gopher': redirectTo('gopher://127.0.0.1:6379/_INFO'),
    '/to-ssh-port': redirectTo((origin) => `${origin.replace(/:\d+$/, ':22')}/`),
    '/no-location': (_request, response) => response.writeHead(302).end(),
    '/loop': redirectTo(() => {
      hop += 1;
      return `/loop?${hop}`;
    }),
    '/big-declared': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(5000) });
      response.end('x'.repeat(5000));
    },
    '/big-chunked': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      for (let index = 0; index < 10; index += 1) response.write('y'.repeat(1000));
      response.end();
    },
    '/slow': () => {
      // Never answers.
    },
  });
});
afterAll(() => server?.close());

async function failure(fetcher: UrlFetcher, url: string): Promise<UrlRefusedError | UrlFetchError> {
  try {
    await fetcher.fetch(url);
  } catch (error) {
    if (error instanceof UrlRefusedError || error instanceof UrlFetchError) return error;
    throw error;
  }
  throw new Error(`${url} was fetched`);
}

const adapters: [
  string,
  (options: { allowLoopback?: boolean; maxBytes?: number; timeoutMs?: number }) => UrlFetcher,
][] = [
  ['node', (options) => createNodeUrlFetcher(options)],
  ['fetch (edge)', (options) => createFetchUrlFetcher(options)],
];

describe.each(adapters)('URL fetcher: %s adapter', (_name, create) => {
  it('refuses loopback by default, before connecting', async () => {
    const before = server.hits.length;
    const refused = await failure(create({}), `${server.origin}/page.html`);
    expect(refused).toBeInstanceOf(UrlRefusedError);
    expect(refused.message).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(server.hits.length).toBe(before);
  });

  it('fetches from loopback when explicitly allowed, following relative and absolute redirects', async () => {
    const fetcher = create({ allowLoopback: true });
    const page = await fetcher.fetch(`${server.origin}/page.html`);
    expect(page).toMatchObject({
      status: 200,
      contentType: 'text/html',
      charset: 'utf-8',
      url: `${server.origin}/page.html`,
    });
    expect(new TextDecoder().decode(page.body)).toBe(PAGE);
    expect((await fetcher.fetch(`${server.origin}/relative`)).url).toBe(`${server.origin}/page.html`);
    expect((await fetcher.fetch(`${server.origin}/to-loopback`)).url).toBe(`${server.origin}/page.html`);
  });

  it.each([
    ['/to-metadata', 'address', /169\.254\.169\.254 is a metadata address/],
    ['/to-metadata-hex', 'address', /169\.254\.169\.254 is a metadata address/],
    [
      '/to-mapped-metadata',
      'address',
      /metadata address \(it carries 169\.254\.169\.254, ipv4-mapped form\)/,
    ],
    ['/to-aws-ipv6', 'address', /fd00:ec2::254 is a metadata address/],
    ['/to-private', 'address', /10\.0\.0\.1 is a private address/],
    ['/to-file', 'scheme', /only http and https/],
    ['/to-gopher', 'scheme', /only http and https/],
    ['/to-ssh-port', 'port', /port 22/],
    ['/loop', 'redirects', /more than 5 redirects/],
  ])('re-checks every redirect hop even with loopback allowed: %s', async (path, reason, message) => {
    const refused = await failure(create({ allowLoopback: true }), `${server.origin}${path}`);
    expect(refused).toBeInstanceOf(UrlRefusedError);
    expect((refused as UrlRefusedError).reason).toBe(reason);
    expect(refused.message).toMatch(message);
  });

  it('enforces the size limit with and without a Content-Length, and the time limit', async () => {
    const small = create({ allowLoopback: true, maxBytes: 4096, timeoutMs: 300 });
    for (const path of ['/big-declared', '/big-chunked']) {
      const tooLarge = await failure(small, `${server.origin}${path}`);
      expect(tooLarge).toBeInstanceOf(UrlFetchError);
      expect((tooLarge as UrlFetchError).kind).toBe('too-large');
    }
    const started = Date.now();
    const slow = await failure(small, `${server.origin}/slow`);
    expect((slow as UrlFetchError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    const missing = await failure(small, `${server.origin}/no-location`);
    expect((missing as UrlFetchError).kind).toBe('http-status');
    const notFound = await failure(small, `${server.origin}/nothing`);
    expect(notFound.message).toMatch(/HTTP 404/);
  });
});

describe('URL fetcher: node adapter and DNS', () => {
  const resolving = (answers: Record<string, string[]>) =>
    createNodeUrlFetcher({
      allowLoopback: true,
      resolve: async (hostname) =>
        (answers[hostname] ?? []).map(
          (address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const,
        ),
    });

  it('refuses a hostname when any of its addresses is not public', async () => {
    const fetcher = resolving({
      'internal.example.com': ['10.1.2.3'],
      'mixed.example.com': ['93.184.216.34', '169.254.169.254'],
      'mapped.example.com': ['::ffff:192.168.1.10'],
      'sixtofour.example.com': ['2002:a9fe:a9fe::1'],
    });
    for (const [host, category] of [
      ['internal.example.com', 'private'],
      ['mixed.example.com', 'metadata'],
      ['mapped.example.com', 'private'],
      ['sixtofour.example.com', 'metadata'],
    ]) {
      const refused = await failure(fetcher, `http://${host}/`);
      expect(refused, host).toBeInstanceOf(UrlRefusedError);
      expect(refused.message, host).toContain(`is a ${category} address`);
    }
    const unresolvable = await failure(fetcher, 'http://nowhere.example.com/');
    expect((unresolvable as UrlFetchError).kind).toBe('network');
  });

  it('connects to the address it checked (DNS pinned), with the original Host header', async () => {
    const fetcher = resolving({ 'docs.example.com': ['127.0.0.1'] });
    const page = await fetcher.fetch(`http://docs.example.com:${server.port}/page.html`);
    expect(new TextDecoder().decode(page.body)).toBe(PAGE);
    expect(page.url).toBe(`http://docs.example.com:${server.port}/page.html`);
  });

  it('uses the system resolver by default and refuses localhost names', async () => {
    const refused = await failure(createNodeUrlFetcher(), `http://localhost:${server.port}/page.html`);
    expect((refused as UrlRefusedError).reason).toBe('hostname');
  });
});
