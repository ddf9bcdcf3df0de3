import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalPdf } from '../../../shared/src/intelligence/rag/parsing/__fixtures__/minimal-pdf.ts';
import { buildApp } from '../../../workers/src/app.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import { expectError } from '../security/error-shape.ts';
import {
  type LocalServer,
  redirectTo,
  respond,
  startIngestion,
  startLocalServer,
  waitForDocument,
} from './support.ts';

const GUIDE_HTML = `<!doctype html><html><head><title>Onboarding guide</title></head><body>
<h1>Onboarding</h1><p>New agents shadow a senior colleague for their first five shifts.</p>
<h2>Tools</h2><p>Every agent receives a headset and access to the ticket console on day one.</p></body></html>`;

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A Markdown handbook well over the inline limit: many sections of distinct, searchable prose. */
function largeHandbook(sections: number): string {
  const parts = ['# Field handbook'];
  for (let index = 0; index < sections; index += 1) {
    parts.push(`## Procedure ${index}`);
    for (let paragraph = 0; paragraph < 4; paragraph += 1) {
      parts.push(
        `Procedure ${index} step ${paragraph}: inspect valve ${index * 7 + paragraph}, record the pressure ` +
          `reading in the logbook, and confirm the seal before moving on to the next station of the plant.`,
      );
    }
  }
  parts.push(
    '## Lighthouse protocol\n\nThe lighthouse keeper winds the clockwork lamp at dusk every evening.',
  );
  return parts.join('\n\n');
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('background ingestion on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let urlApi: Client;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let kbId: string;
  let server: LocalServer;
  let stopIngestion: () => Promise<void>;
  let flakyUp = false;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    owner = await createTenant(api, await loginAdmin(api), 'rag-bg');
    kbId = (await api.post('/v1/knowledge-bases', { name: 'Background' }, { token: owner.token })).body.id;
    server = await startLocalServer({
      '/guide.html': respond('text/html; charset=utf-8', GUIDE_HTML),
      '/notes.md': respond('text/plain', '# Notes\n\nThe cafeteria closes at three on Fridays.'),
      '/moved': redirectTo((origin) => `${origin}/guide.html`, 301),
      '/to-metadata': redirectTo('http://169.254.169.254/latest/meta-data/iam/security-credentials/'),
      '/to-decimal-metadata': redirectTo('http://2852039166/latest/meta-data/'),
      '/to-loopback-name': redirectTo('http://localhost.localdomain/'),
      '/image.png': respond('image/png', new Uint8Array([137, 80, 78, 71])),
      '/gone': (_request, response) => response.writeHead(410).end(),
      '/flaky': (request, response, origin) =>
        flakyUp
          ? respond('text/plain', 'The flaky page works now.')(request, response, origin)
          : response.writeHead(503).end(),
    });
    // This file alone allows loopback, so the fetcher can reach the local server; nothing else is allowed.
    ({ stop: stopIngestion } = await startIngestion(target, { allowLoopback: true }));
    const urlApp = buildApp({ ...target.deps, knowledge: { urlPolicy: { allowLoopback: true } } });
    urlApi = client({ fetch: async (path, init) => urlApp.request(path, init) });
  });
  afterAll(async () => {
    await stopIngestion?.();
    await server?.close();
    await target?.close();
  });

  const ingest = (body: unknown, via = api) =>
    via.post(`/v1/knowledge-bases/${kbId}/documents`, body, { token: owner.token });

  it('queues a large document through the outbox and the bus, reporting progress until ready', async () => {
    const content = largeHandbook(120);
    expect(new TextEncoder().encode(content).length).toBeGreaterThan(64 * 1024);
    const queued = await ingest({ type: 'markdown', content });
    expect(queued.status, queued.text).toBe(202);
    expect(queued.body).toMatchObject({
      status: 'queued',
      progress: 0,
      chunkCount: 0,
      title: 'Field handbook',
    });
    const outbox = await target.owner<{ topic: string; payload: { documentId: string } }>(
      'select topic, payload from outbox where tenant_id = $1 and topic = $2',
      [owner.tenantId, 'document.ingest.requested'],
    );
    expect(outbox.map((row) => row.payload.documentId)).toContain(queued.body.id);

    const { document, seen } = await waitForDocument(api, owner.token, kbId, queued.body.id);
    expect(document).toMatchObject({ status: 'ready', progress: 1, error: null, title: 'Field handbook' });
    expect(document.chunkCount).toBeGreaterThan(120);
    const progress = seen.map((state) => state.progress);
    expect(progress).toEqual([...progress].sort((left, right) => left - right));
    const [stored] = await target.owner<{ count: string; pending: string | null }>(
      `select (select count(*) from document_chunks where document_id = $1) as count,
        (select metadata->>'pendingContent' from documents where id = $1) as pending`,
      [queued.body.id],
    );
    expect(Number(stored?.count)).toBe(document.chunkCount);
    expect(stored?.pending).toBeNull();

    const found = await api.post(
      `/v1/knowledge-bases/${kbId}/query`,
      { query: 'lighthouse clockwork lamp' },
      { token: owner.token },
    );
    expect(found.body.results[0].citation).toMatchObject({
      documentId: queued.body.id,
      heading: 'Field handbook > Lighthouse protocol',
    });
    // Resubmitting the same large content is a no-op, even while nothing is queued.
    const again = await ingest({ type: 'markdown', content });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(queued.body.id);
  });

  it('ingests a PDF in the background, one section per page, titled from the PDF', async () => {
    const pdf = minimalPdf(
      [
        ['Warranty terms', 'Every scooter carries a two-year frame warranty.'],
        ['Batteries are covered for eighteen months.'],
      ],
      'Scooter warranty',
    );
    const queued = await ingest({ type: 'pdf', contentBase64: toBase64(pdf) });
    expect(queued.status, queued.text).toBe(202);
    expect(queued.body).toMatchObject({
      sourceType: 'pdf',
      mimeType: 'application/pdf',
      byteSize: pdf.length,
    });
    const { document } = await waitForDocument(api, owner.token, kbId, queued.body.id);
    expect(document).toMatchObject({ status: 'ready', title: 'Scooter warranty', chunkCount: 2 });
    const found = await api.post(
      `/v1/knowledge-bases/${kbId}/query`,
      { query: 'battery coverage months' },
      { token: owner.token },
    );
    expect(found.body.results[0].citation).toMatchObject({
      documentId: queued.body.id,
      heading: 'Page 2',
      ordinal: 1,
    });
    expect((await ingest({ type: 'pdf', contentBase64: toBase64(pdf) })).status).toBe(200);
  });

  it('fetches URLs behind the SSRF guard, following redirects, choosing the parser by content type', async () => {
    const page = await ingest({ url: `${server.origin}/moved` }, urlApi);
    expect(page.status, page.text).toBe(202);
    const { document } = await waitForDocument(api, owner.token, kbId, page.body.id);
    expect(document).toMatchObject({
      status: 'ready',
      title: 'Onboarding guide',
      mimeType: 'text/html',
      sourceType: 'url',
    });
    expect(document.sourceUri).toBe(`${server.origin}/moved`);
    const found = await api.post(
      `/v1/knowledge-bases/${kbId}/query`,
      { query: 'headset ticket console' },
      { token: owner.token },
    );
    expect(found.body.results[0].citation).toMatchObject({
      documentId: page.body.id,
      heading: 'Onboarding > Tools',
      sourceUri: `${server.origin}/moved`,
    });

    const markdown = await ingest({ url: `${server.origin}/notes.md`, title: 'Cafeteria' }, urlApi);
    const notes = await waitForDocument(api, owner.token, kbId, markdown.body.id);
    expect(notes.document).toMatchObject({ status: 'ready', title: 'Cafeteria' });
    const [chunk] = await target.owner<{ heading: string }>(
      'select heading from document_chunks where document_id = $1',
      [markdown.body.id],
    );
    expect(chunk?.heading).toBe('Notes');
    // Same URL again: the existing document.
    expect((await ingest({ url: `${server.origin}/moved` }, urlApi)).status).toBe(200);
  });

  it('refuses redirects to metadata and internal names, and reports fetch failures on the document', async () => {
    const cases: [string, RegExp][] = [
      ['/to-metadata', /169\.254\.169\.254 is a metadata address/],
      ['/to-decimal-metadata', /169\.254\.169\.254 is a metadata address/],
      ['/to-loopback-name', /internal hostname/],
      ['/image.png', /Unsupported content type image\/png/],
      ['/gone', /HTTP 410/],
    ];
    for (const [path, reason] of cases) {
      const queued = await ingest({ url: `${server.origin}${path}` }, urlApi);
      expect(queued.status, queued.text).toBe(202);
      const { document } = await waitForDocument(api, owner.token, kbId, queued.body.id);
      expect(document.status, path).toBe('failed');
      expect(document.error, path).toMatch(reason);
      expect(document.chunkCount).toBe(0);
    }
    // The guard stopped at the redirect: nothing ever connected to the metadata address.
    expect(server.hits.filter((hit) => hit.includes('meta-data'))).toEqual([]);
  });

  it('refuses loopback URLs at the API unless the deployment allows them', async () => {
    expectError(await ingest({ url: `${server.origin}/guide.html` }), 400, 'bad_request');
    expectError(await ingest({ url: 'http://169.254.169.254/' }, urlApi), 400, 'bad_request');
  });

  it('retries a failed document when the same content is submitted again', async () => {
    const url = `${server.origin}/flaky`;
    const first = await ingest({ url }, urlApi);
    expect(first.status).toBe(202);
    expect((await waitForDocument(api, owner.token, kbId, first.body.id)).document).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/HTTP 503/),
    });
    flakyUp = true;
    const retried = await ingest({ url }, urlApi);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: first.body.id, status: 'queued', error: null });
    const { document } = await waitForDocument(api, owner.token, kbId, first.body.id);
    expect(document).toMatchObject({ status: 'ready', chunkCount: 1 });
    const audit = await api.get(`/v1/audit?resourceId=${first.body.id}`, { token: owner.token });
    expect(audit.body.data.map((row: { action: string }) => row.action)).toEqual([
      'document.retry',
      'document.create',
    ]);
  });
});
