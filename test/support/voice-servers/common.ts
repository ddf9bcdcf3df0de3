import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What the local speech-vendor servers share: an HTTP server on an ephemeral loopback port that can
 * be closed even with streams hanging, body reading, pacing options, and a voiced-like test signal
 * (a harmonic series on a gliding 120 Hz fundamental under a syllable-rate envelope), so the audio
 * they stream has the level and spectrum of speech without shipping recordings. The μ-law encoder here
 * is written independently of the product's codec, so tests of one check the other.
 */

/** How a server paces what it streams, so benchmarks see realistic provider delays. */
export interface StreamPacing {
  /** Delay before the first byte of a response (the vendor's "time to first byte"). Default 0. */
  readonly firstByteDelayMs?: number;
  /** Audio per streamed chunk, in ms. Default 100. */
  readonly chunkMs?: number;
  /** Pause between chunks, in ms. Default 5. */
  readonly chunkIntervalMs?: number;
  /** Synthesized audio per character of input text, in ms. Default 60. */
  readonly msPerCharacter?: number;
}

/** A failure a server serves instead of the next request. */
export type InjectedFailure =
  | { readonly status: number; readonly body?: unknown }
  /** Streams this many chunks, then stops sending without ending the response. */
  | { readonly hangAfterChunks: number };

/** A started server. */
export interface LocalHttpServer {
  readonly url: string;
  close(): Promise<void>;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts an HTTP server on 127.0.0.1 with a random port; `close` also cuts open (hanging) sockets. */
export async function startHttpServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void | Promise<void>,
  configure?: (server: Server) => void,
): Promise<LocalHttpServer & { server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    Promise.resolve(handler(request, response)).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  configure?.(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** A continuous voiced-like signal: each call returns the next `count` samples. */
export function createVoicedSignal(sampleRate: number, amplitude = 9000): (count: number) => Int16Array {
  let index = 0;
  let phase = 0;
  return (count) => {
    const out = new Int16Array(count);
    for (let offset = 0; offset < count; offset += 1, index += 1) {
      const time = index / sampleRate;
      const fundamental = 120 + 25 * Math.sin(2 * Math.PI * 0.7 * time);
      phase += (2 * Math.PI * fundamental) / sampleRate;
      let value = 0;
      for (let harmonic = 1; harmonic <= 12 && harmonic * fundamental < sampleRate / 2; harmonic += 1) {
        value += Math.sin(harmonic * phase) / harmonic;
      }
      const envelope = 0.35 + 0.65 * Math.abs(Math.sin(Math.PI * 4 * time)); // ~4 syllables a second
      out[offset] = Math.round(amplitude * 0.6 * envelope * value);
    }
    return out;
  };
}

/** G.711 μ-law of one sample (the classic segment search, independent of the product codec). */
export function referenceMulaw(sample: number): number {
  const segmentEnds = [0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff, 0x3fff, 0x7fff];
  let value = Math.max(-32768, Math.min(32767, sample));
  const mask = value < 0 ? 0x7f : 0xff;
  value = value < 0 ? 0x84 - value : value + 0x84;
  if (value > 0x7fff) value = 0x7fff;
  const segment = segmentEnds.findIndex((end) => value <= end);
  return ((segment << 4) | ((value >> (segment + 3)) & 0x0f)) ^ mask;
}

/** The pacing with defaults applied. */
export function pacingOf(options: StreamPacing): Required<StreamPacing> {
  return {
    firstByteDelayMs: options.firstByteDelayMs ?? 0,
    chunkMs: options.chunkMs ?? 100,
    chunkIntervalMs: options.chunkIntervalMs ?? 5,
    msPerCharacter: options.msPerCharacter ?? 60,
  };
}

/** State of one streamed response, for assertions (e.g. "the first chunk arrived before this ended"). */
export interface StreamRecord {
  startedAt: number;
  firstByteAt?: number;
  finishedAt?: number;
  bytesSent: number;
  /** The client went away before the stream finished. */
  clientClosed: boolean;
}

/**
 * Streams `totalBytes` produced by `next(byteCount)` in paced chunks; stops when the client leaves,
 * or hangs (keeps the response open, silent) after `hangAfterChunks` chunks.
 */
export async function streamPaced(
  response: ServerResponse,
  options: {
    pacing: Required<StreamPacing>;
    bytesPerChunk: number;
    totalBytes: number;
    next: (byteCount: number) => Uint8Array;
    record: StreamRecord;
    hangAfterChunks?: number;
  },
): Promise<void> {
  const { pacing, record } = options;
  let closed = false;
  response.on('close', () => {
    closed = true;
    if (record.finishedAt === undefined) record.clientClosed = true;
  });
  if (pacing.firstByteDelayMs > 0) await delay(pacing.firstByteDelayMs);
  let chunks = 0;
  while (record.bytesSent < options.totalBytes && !closed) {
    if (options.hangAfterChunks !== undefined && chunks >= options.hangAfterChunks) return;
    const size = Math.min(options.bytesPerChunk, options.totalBytes - record.bytesSent);
    const chunk = options.next(size);
    record.firstByteAt ??= Date.now();
    record.bytesSent += chunk.length;
    chunks += 1;
    const flushed = response.write(chunk);
    if (!flushed) {
      await new Promise<void>((resolve) => {
        response.once('drain', resolve);
        response.once('close', resolve);
      });
    }
    if (pacing.chunkIntervalMs > 0 && record.bytesSent < options.totalBytes)
      await delay(pacing.chunkIntervalMs);
  }
  if (closed) return;
  record.finishedAt = Date.now();
  response.end();
}

/** Little-endian PCM16 bytes from a sample generator, any byte count at a time (odd splits included). */
export function createPcm16ByteSource(
  generate: (count: number) => Int16Array,
): (byteCount: number) => Uint8Array {
  let carry: number | undefined;
  return (byteCount) => {
    const out = new Uint8Array(byteCount);
    let offset = 0;
    if (carry !== undefined && byteCount > 0) {
      out[offset++] = carry;
      carry = undefined;
    }
    const samples = generate(Math.ceil((byteCount - offset) / 2));
    for (const sample of samples) {
      const low = sample & 0xff;
      const high = (sample >> 8) & 0xff;
      if (offset < byteCount) out[offset++] = low;
      if (offset < byteCount) out[offset++] = high;
      else carry = high;
    }
    return out;
  };
}

/** `durationMs` of the voiced-like signal as 8 kHz μ-law, the way a caller's audio arrives. */
export function voicedMulaw(durationMs: number, amplitude?: number): Uint8Array {
  return Uint8Array.from(createVoicedSignal(8000, amplitude)(durationMs * 8), referenceMulaw);
}

/** Cuts audio into Twilio-sized frames (20 ms of 8 kHz μ-law = 160 bytes). */
export function frames(audio: Uint8Array, size = 160): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < audio.length; offset += size) out.push(audio.slice(offset, offset + size));
  return out;
}

/** Collects a whole audio stream. */
export async function collectAudio(
  stream: AsyncIterable<Uint8Array>,
): Promise<{ audio: Uint8Array; chunks: number }> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  const audio = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    audio.set(part, offset);
    offset += part.length;
  }
  return { audio, chunks: parts.length };
}
