import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './services.ts';

/**
 * A local stand-in for Upstash's REST API, backed by the real Redis, so the Upstash adapter is
 * tested against real Redis semantics without a network account. It speaks what @upstash/redis
 * sends:
 * - `POST /` with a JSON command array (`["SET","k","v","EX",60]`) → `{ "result": … }`, or
 *   `{ "error": "…" }` with status 400 when Redis answers an error;
 * - `POST /pipeline` with an array of commands → `[{ "result": … } | { "error": "…" }, …]`;
 * - `POST /multi-exec` likewise, run atomically in MULTI/EXEC (a queueing error aborts it: 400);
 * - `Authorization: Bearer <token>` checked on every request, 401 otherwise;
 * - `Upstash-Encoding: base64` (the SDK's default): bulk strings, also inside arrays, come back as
 *   base64 of their bytes, except `OK`, which the SDK expects verbatim; integers and nulls are raw.
 */
export interface UpstashBridge {
  /** Base URL to hand to the adapter (`http://127.0.0.1:<port>`). */
  url: string;
  token: string;
  /** Requests received so far, by path (hung ones included). */
  readonly requests: Readonly<Record<string, number>>;
  /** Authorised requests that asked for base64 responses (the SDK's default). */
  readonly base64Requests: number;
  /** While on, requests are accepted and never answered: a hung Upstash, for deadline tests. */
  hang(on: boolean): void;
  close(): Promise<void>;
}

type Reply = null | number | string | Reply[];
type Argument = string | number;

export async function startUpstashBridge(
  options: { redisUrl?: string; token?: string } = {},
): Promise<UpstashBridge> {
  const token = options.token ?? randomUUID();
  // RESP2 replies have the shapes Upstash's REST answers have (maps as flat arrays, doubles as strings).
  const redis = new Redis(options.redisUrl ?? TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });
  const requests: Record<string, number> = {};
  let hanging = false;
  let base64Requests = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://bridge').pathname;
    requests[path] = (requests[path] ?? 0) + 1;
    if (hanging) return;
    if (request.headers.authorization !== `Bearer ${token}`) {
      return send(response, 401, { error: 'Unauthorized' });
    }
    if (request.method !== 'POST') return send(response, 405, { error: 'Method not allowed' });
    const base64 = String(request.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    if (base64) base64Requests += 1;
    const encode = (reply: unknown) => encodeReply(reply, base64);

    let body: unknown;
    try {
      body = JSON.parse(await readBody(request));
    } catch {
      return send(response, 400, { error: 'ERR failed to parse the request body as JSON' });
    }

    if (path === '/') {
      const command = toCommand(body);
      if (!command) return send(response, 400, { error: 'ERR the body must be a command array' });
      try {
        return send(response, 200, { result: encode(await redis.callBuffer(...command)) });
      } catch (error) {
        return send(response, 400, { error: messageOf(error) });
      }
    }

    if (path === '/pipeline' || path === '/multi-exec') {
      const commands = Array.isArray(body) ? body.map(toCommand) : [];
      if (commands.length === 0 || commands.some((command) => !command)) {
        return send(response, 400, { error: 'ERR the body must be an array of command arrays' });
      }
      const valid = commands as [string, ...Argument[]][];
      const batch = path === '/pipeline' ? redis.pipeline() : redis.multi();
      for (const command of valid) batch.callBuffer(...command);
      try {
        const results = (await batch.exec()) ?? [];
        return send(
          response,
          200,
          results.map(([error, reply]) => (error ? { error: messageOf(error) } : { result: encode(reply) })),
        );
      } catch (error) {
        return send(response, 400, { error: messageOf(error) });
      }
    }

    return send(response, 404, { error: `Unknown path ${path}` });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { error: messageOf(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    get base64Requests() {
      return base64Requests;
    },
    hang(on) {
      hanging = on;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

function toCommand(value: unknown): [string, ...Argument[]] | undefined {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string') return undefined;
  const [name, ...args] = value;
  const converted: Argument[] = [];
  for (const arg of args) {
    if (typeof arg === 'string' || typeof arg === 'number') converted.push(arg);
    else if (typeof arg === 'boolean') converted.push(String(arg));
    else return undefined;
  }
  return [name, ...converted];
}

function encodeReply(reply: unknown, base64: boolean): Reply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (Buffer.isBuffer(reply)) {
    const text = reply.toString('utf8');
    if (!base64 || text === 'OK') return text;
    return reply.toString('base64');
  }
  if (typeof reply === 'string')
    return base64 && reply !== 'OK' ? Buffer.from(reply).toString('base64') : reply;
  if (Array.isArray(reply)) return reply.map((element) => encodeReply(element, base64));
  return String(reply);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
