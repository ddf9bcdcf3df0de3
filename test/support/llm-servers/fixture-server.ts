import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A local HTTP server that replays vendor wire fixtures (JSON bodies and SSE event streams) from
 * `__fixtures__/<vendor>/`. Each vendor module validates requests the way the real API does and
 * routes them to a fixture; tests can script the next replies (errors, delays, stalls) on top.
 */

/** A request as the server saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** What a vendor route answers: a fixture, or an error body it built itself. */
export type RouteResult =
  | { readonly fixture: string; readonly stream: boolean; readonly headers?: Record<string, string> }
  | { readonly status: number; readonly body: unknown; readonly headers?: Record<string, string> };

/** A scripted reply that replaces (parts of) the routed one, consumed in order. */
export interface ScriptedReply {
  /** Fixture file name, with extension (`error-429.json`, `malformed.txt`, `chat-final-answer.sse`). */
  readonly fixture?: string;
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** Wait this long before sending the status line (for timeouts). */
  readonly delayMs?: number;
  /** SSE only: pause between events. */
  readonly eventDelayMs?: number;
  /** SSE only: send this many events, then hold the connection open until the client goes away. */
  readonly stallAfterEvents?: number;
}

/** A running fixture server. */
export interface FixtureServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Queues replies for the next requests (after validation, before routing). */
  script(...replies: ScriptedReply[]): void;
  /** Responses the client hung up on before they were complete. */
  readonly cancelledResponses: () => number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function contentType(file: string): string {
  return file.endsWith('.sse') ? 'text/event-stream; charset=utf-8' : 'application/json';
}

async function writeEvents(
  response: ServerResponse,
  text: string,
  options: { eventDelayMs: number; stallAfterEvents: number | undefined },
): Promise<void> {
  const events = text.split(/\n\n/).filter((event) => event.trim() !== '');
  for (const [index, event] of events.entries()) {
    if (response.destroyed) return;
    if (options.stallAfterEvents !== undefined && index >= options.stallAfterEvents) {
      // Hold the connection; the client's abort (or the server's close) ends it.
      await new Promise<void>((resolve) => response.once('close', () => resolve()));
      return;
    }
    response.write(`${event}\n\n`);
    await sleep(options.eventDelayMs);
  }
  response.end();
}

/** Starts a fixture server on an ephemeral port of 127.0.0.1. */
export async function startFixtureServer(options: {
  readonly fixturesDirectory: string;
  readonly route: (request: RecordedRequest) => RouteResult;
}): Promise<FixtureServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  let cancelled = 0;
  const read = (file: string) => readFileSync(join(options.fixturesDirectory, file), 'utf8');

  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      void (async () => {
        response.on('close', () => {
          if (!response.writableEnded) cancelled += 1;
        });
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = raw;
        try {
          body = raw === '' ? undefined : JSON.parse(raw);
        } catch {
          // Recorded as text; the route rejects it.
        }
        const recorded: RecordedRequest = {
          method: incoming.method ?? 'GET',
          path: incoming.url ?? '/',
          headers: incoming.headers,
          body,
        };
        requests.push(recorded);
        const routed = options.route(recorded);
        if ('body' in routed) {
          response.writeHead(routed.status, { 'content-type': 'application/json', ...routed.headers });
          response.end(JSON.stringify(routed.body));
          return;
        }
        const scripted = queue.shift() ?? {};
        const file = scripted.fixture ?? `${routed.fixture}.${routed.stream ? 'sse' : 'json'}`;
        if (scripted.delayMs !== undefined) await sleep(scripted.delayMs);
        if (response.destroyed) return;
        response.writeHead(scripted.status ?? 200, {
          'content-type': contentType(file),
          ...(file.endsWith('.sse') ? { 'cache-control': 'no-cache', connection: 'keep-alive' } : {}),
          ...routed.headers,
          ...scripted.headers,
        });
        if (file.endsWith('.sse')) {
          response.flushHeaders();
          await writeEvents(response, read(file), {
            eventDelayMs: scripted.eventDelayMs ?? 1,
            stallAfterEvents: scripted.stallAfterEvents,
          });
        } else {
          response.end(read(file));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => queue.push(...replies),
    cancelledResponses: () => cancelled,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
