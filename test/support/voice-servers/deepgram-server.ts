import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { startHttpServer } from './common.ts';

/**
 * A local server speaking Deepgram's live transcription wire protocol: a WebSocket at `/v1/listen`
 * (`Authorization: Token <key>`, HTTP 401 with Deepgram's error body otherwise) that takes raw μ-law
 * binary frames and `KeepAlive` / `Finalize` / `CloseStream` text messages, sends interim `Results`
 * while audio arrives and, after `Finalize`, the scripted transcript as `is_final` results ending in
 * one with `from_finalize: true`. Like Deepgram, it closes a connection that goes quiet (1011,
 * NET-0001). Records every connection for assertions.
 */

/** What the script sees of one utterance. */
export interface DeepgramUtterance {
  audioBytes: number;
  query: URLSearchParams;
}

/** A script entry: one final segment, or several (sent as separate `is_final` results). */
export type DeepgramScriptEntry = string | readonly string[];

/** Options of {@link startDeepgramServer}. */
export interface DeepgramServerOptions {
  /** The key clients must send as `Authorization: Token <key>`; without one any is accepted. */
  readonly apiKey?: string;
  /** Transcripts per finalized utterance, in order (the last repeats), or computed from it. */
  readonly transcripts?:
    | readonly DeepgramScriptEntry[]
    | ((utterance: DeepgramUtterance) => DeepgramScriptEntry);
  /** Audio between two interim results, in ms. Default 400. */
  readonly interimEveryMs?: number;
  /** Delay between `Finalize` and its results (per finalize, counting from 0). Default 20. */
  readonly finalizeDelayMs?: number | ((index: number) => number);
  /** Never answer `Finalize` (to test client timeouts). */
  readonly ignoreFinalize?: boolean;
  /** Send junk (invalid JSON, a Results without a channel, an unknown type) before each final. */
  readonly sendMalformed?: boolean;
  /** Close a connection that received nothing this long. Default 10 s, as Deepgram. */
  readonly idleTimeoutMs?: number;
}

/** One client connection. */
export interface DeepgramConnectionRecord {
  query: URLSearchParams;
  audioBytes: number;
  /** Text messages, parsed. */
  messages: Array<Record<string, unknown>>;
  keepAlives: number;
  finalizes: number;
  closed?: { code: number; by: 'client' | 'server' };
}

/** A started server. */
export interface DeepgramServer {
  /** `ws://127.0.0.1:<port>`, the client's base URL. */
  readonly url: string;
  readonly connections: DeepgramConnectionRecord[];
  /** Drops every open connection abnormally (as a network failure would). */
  dropConnections(): void;
  close(): Promise<void>;
}

const MS_PER_BYTE = 1 / 8;

function results(
  transcript: string,
  flags: { isFinal: boolean; speechFinal: boolean; fromFinalize: boolean; start: number; duration: number },
) {
  const words = transcript.split(/\s+/).filter((word) => word !== '');
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: flags.duration,
    start: flags.start,
    is_final: flags.isFinal,
    speech_final: flags.speechFinal,
    from_finalize: flags.fromFinalize,
    channel: {
      alternatives: [
        {
          transcript,
          confidence: words.length > 0 ? 0.97 : 0,
          words: words.map((word, index) => ({
            word: word.toLowerCase().replace(/[^a-z0-9']/g, ''),
            start: flags.start + (index * flags.duration) / words.length,
            end: flags.start + ((index + 1) * flags.duration) / words.length,
            confidence: 0.97,
            punctuated_word: word,
          })),
        },
      ],
    },
    metadata: {
      request_id: 'a1b2c3d4-0000-4000-8000-000000000000',
      model_info: { name: '2-general-nova', version: '2024-01-18.26916', arch: 'nova-3' },
      model_uuid: 'c0d1a568-ce81-4fea-97e7-bd45cb1fdf3c',
    },
  };
}

/** Starts the server on an ephemeral loopback port. */
export async function startDeepgramServer(options: DeepgramServerOptions = {}): Promise<DeepgramServer> {
  const connections: DeepgramConnectionRecord[] = [];
  const interimBytes = (options.interimEveryMs ?? 400) * 8;
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  let scriptIndex = 0;
  const wss = new WebSocketServer({ noServer: true });
  const records = new Map<WebSocket, DeepgramConnectionRecord>();

  const script = (utterance: DeepgramUtterance, consume: boolean): readonly string[] => {
    const source = options.transcripts;
    let entry: DeepgramScriptEntry = '';
    if (typeof source === 'function') entry = source(utterance);
    else if (source && source.length > 0) entry = source[Math.min(scriptIndex, source.length - 1)] ?? '';
    if (consume && typeof source !== 'function') scriptIndex += 1;
    return typeof entry === 'string' ? [entry] : entry;
  };

  function serve(socket: WebSocket, record: DeepgramConnectionRecord) {
    let utteranceBytes = 0;
    let interims = 0;
    let cursorSeconds = 0;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const send = (message: unknown) => {
      if (socket.readyState === socket.OPEN)
        socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    };
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        record.closed ??= { code: 1011, by: 'server' };
        socket.close(
          1011,
          'Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001',
        );
      }, idleTimeoutMs);
    };
    touch();

    let answered = Promise.resolve();
    /** Flushes the audio received so far now; answers after the delay, in order, as Deepgram does. */
    const finalize = (index: number) => {
      const utterance = { audioBytes: utteranceBytes, query: record.query };
      const segments = script(utterance, true);
      const duration = (utteranceBytes * MS_PER_BYTE) / 1000;
      const start = cursorSeconds;
      cursorSeconds += duration;
      utteranceBytes = 0;
      interims = 0;
      const delayMs =
        typeof options.finalizeDelayMs === 'function'
          ? options.finalizeDelayMs(index)
          : (options.finalizeDelayMs ?? 20);
      answered = answered
        .then(() => new Promise((resolve) => setTimeout(resolve, delayMs)))
        .then(() => answer(segments, start, duration));
    };

    const answer = (segments: readonly string[], start: number, duration: number) => {
      if (options.sendMalformed) {
        send('{"type": "Results", "channel": ');
        send({ type: 'Results', is_final: true });
        send({ type: 'Results', is_final: true, channel: { alternatives: 'none' } });
        send({ type: 'SomethingNew', detail: 42 });
      }
      segments.forEach((segment, index) => {
        const last = index === segments.length - 1;
        send(
          results(segment, {
            isFinal: true,
            speechFinal: last,
            fromFinalize: last,
            start: start + (index * duration) / segments.length,
            duration: duration / segments.length,
          }),
        );
      });
    };

    socket.on('message', (data, isBinary) => {
      touch();
      if (isBinary) {
        const bytes = Array.isArray(data)
          ? data.reduce((total, part) => total + part.length, 0)
          : (data as Buffer).length;
        record.audioBytes += bytes;
        const before = Math.floor(utteranceBytes / interimBytes);
        utteranceBytes += bytes;
        if (Math.floor(utteranceBytes / interimBytes) > before) {
          interims += 1;
          const words = script({ audioBytes: utteranceBytes, query: record.query }, false)
            .join(' ')
            .split(' ');
          const partial = words.slice(0, Math.min(words.length, interims)).join(' ');
          send(
            results(partial, {
              isFinal: false,
              speechFinal: false,
              fromFinalize: false,
              start: cursorSeconds,
              duration: (utteranceBytes * MS_PER_BYTE) / 1000,
            }),
          );
        }
        return;
      }
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        record.messages.push({ unparsable: data.toString() });
        return;
      }
      record.messages.push(message);
      if (message.type === 'KeepAlive') record.keepAlives += 1;
      if (message.type === 'Finalize') {
        record.finalizes += 1;
        if (!options.ignoreFinalize) finalize(record.finalizes - 1);
      }
      if (message.type === 'CloseStream') {
        send({
          type: 'Metadata',
          transaction_key: 'deprecated',
          request_id: 'a1b2c3d4-0000-4000-8000-000000000000',
          created: new Date().toISOString(),
          duration: cursorSeconds,
          channels: 1,
        });
        record.closed ??= { code: 1000, by: 'server' };
        socket.close(1000);
      }
    });
    socket.on('close', (code) => {
      clearTimeout(idle);
      record.closed ??= { code, by: 'client' };
    });
  }

  const http = await startHttpServer(
    (_request, response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ err_code: 'NOT_FOUND', err_msg: 'Not found.' }));
    },
    (server) =>
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        const url = new URL(request.url ?? '/', 'http://local');
        const reject = (status: number, reason: string, body: Record<string, string>) => {
          const text = JSON.stringify({ ...body, request_id: 'a1b2c3d4-0000-4000-8000-000000000000' });
          socket.end(
            `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ndg-error: ${body.err_msg}\r\n` +
              `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
          );
        };
        if (url.pathname !== '/v1/listen') {
          return reject(404, 'Not Found', { err_code: 'NOT_FOUND', err_msg: 'Not found.' });
        }
        if (options.apiKey !== undefined && request.headers.authorization !== `Token ${options.apiKey}`) {
          return reject(401, 'Unauthorized', { err_code: 'INVALID_AUTH', err_msg: 'Invalid credentials.' });
        }
        wss.handleUpgrade(request, socket, head, (client) => {
          const record: DeepgramConnectionRecord = {
            query: url.searchParams,
            audioBytes: 0,
            messages: [],
            keepAlives: 0,
            finalizes: 0,
          };
          connections.push(record);
          records.set(client, record);
          serve(client, record);
        });
      }),
  );

  return {
    url: http.url.replace(/^http/, 'ws'),
    connections,
    dropConnections: () => {
      for (const client of wss.clients) {
        const record = records.get(client);
        if (record) record.closed ??= { code: 1006, by: 'server' };
        client.terminate();
      }
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await http.close();
    },
  };
}
