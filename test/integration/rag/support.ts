import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createModelRegistry,
  createOutboxRelay,
  type EventBus,
  type OutboxRelay,
  registerIngestConsumer,
} from '@lumay/shared';
import { createNodeUrlFetcher, type NodeUrlFetcherOptions } from '@lumay/shared/node';
import { expect } from 'vitest';
import type { AppTarget } from '../../support/app-target.ts';
import type { Client } from '../../support/client.ts';

/**
 * Runs background ingestion for a target the way the embedded default does: the ingest consumer on
 * the target's in-process bus, and an outbox relay publishing committed events to it.
 */
export async function startIngestion(
  target: AppTarget,
  fetcher: NodeUrlFetcherOptions = {},
): Promise<{ relay: OutboxRelay; stop: () => Promise<void> }> {
  await registerIngestConsumer(target.deps.bus as EventBus, {
    db: target.db,
    registry: createModelRegistry(),
    fetcher: createNodeUrlFetcher(fetcher),
    batchSize: 16,
  });
  const relay = createOutboxRelay({ db: target.db, bus: target.deps.bus, intervalMs: 20 });
  relay.start();
  return { relay, stop: () => relay.stop() };
}

/** Polls a document until `done` holds (or fails the test after `timeoutMs`); returns every state seen. */
export async function waitForDocument(
  api: Client,
  token: string,
  knowledgeBaseId: string,
  documentId: string,
  done: (document: { status: string; progress: number }) => boolean = (document) =>
    document.status === 'ready' || document.status === 'failed',
  timeoutMs = 30_000,
) {
  const seen: { status: string; progress: number }[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api.get(`/v1/knowledge-bases/${knowledgeBaseId}/documents/${documentId}`, {
      token,
    });
    expect(response.status, response.text).toBe(200);
    seen.push({ status: response.body.status, progress: response.body.progress });
    if (done(response.body)) return { document: response.body, seen };
    if (Date.now() > deadline)
      throw new Error(`document ${documentId} still ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A local HTTP server for URL ingestion tests; routes answer with a status, headers and a body. */
export interface LocalServer {
  readonly origin: string;
  readonly port: number;
  /** Paths requested, in order. */
  readonly hits: string[];
  close(): Promise<void>;
}

export type Route = (request: IncomingMessage, response: ServerResponse, origin: string) => void;

export async function startLocalServer(routes: Record<string, Route>): Promise<LocalServer> {
  const hits: string[] = [];
  let origin = '';
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    hits.push(path);
    const route = routes[path];
    if (!route) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    route(request, response, origin);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const redirectTo =
  (location: string | ((origin: string) => string), status = 302): Route =>
  (_request, response, origin) => {
    response
      .writeHead(status, { location: typeof location === 'string' ? location : location(origin) })
      .end();
  };

export const respond =
  (contentType: string | null, body: string | Uint8Array): Route =>
  (_request, response) => {
    response.writeHead(200, contentType ? { 'content-type': contentType } : {}).end(body);
  };
