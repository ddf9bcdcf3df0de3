import type { ServerResponse } from 'node:http';
import {
  createVoicedSignal,
  type InjectedFailure,
  type LocalHttpServer,
  pacingOf,
  readBody,
  referenceMulaw,
  type StreamPacing,
  type StreamRecord,
  sendJson,
  startHttpServer,
  streamPaced,
} from './common.ts';

/**
 * A local server speaking ElevenLabs' streaming text-to-speech wire protocol:
 * `POST /v1/text-to-speech/{voice_id}/stream?output_format=ulaw_8000` with `xi-api-key`, JSON
 * `{ text, model_id, language_code? }` in, raw 8 kHz μ-law streamed out in paced chunks (~60 ms of
 * voiced-like signal per character). Errors use ElevenLabs' `{ detail: { status, message } }` bodies;
 * failures on demand (any status, hang mid-stream).
 */

/** One request and how its stream went. */
export interface ElevenLabsRecord extends StreamRecord {
  voiceId: string;
  outputFormat: string | null;
  text: string;
  modelId?: string;
  languageCode?: string;
}

/** Options of {@link startElevenLabsServer}. */
export interface ElevenLabsServerOptions extends StreamPacing {
  /** The `xi-api-key` clients must send; without one any is accepted. */
  readonly apiKey?: string;
  /** Known voice ids; others get ElevenLabs' 404. Default: any. */
  readonly voices?: readonly string[];
}

/** A started server. */
export interface ElevenLabsServer extends LocalHttpServer {
  readonly requests: ElevenLabsRecord[];
  failNext(failure: InjectedFailure): void;
}

const detail = (response: ServerResponse, status: number, code: string, message: string) =>
  sendJson(response, status, { detail: { status: code, message } });

/** Starts the server on an ephemeral loopback port; its base URL is `url`. */
export async function startElevenLabsServer(
  options: ElevenLabsServerOptions = {},
): Promise<ElevenLabsServer> {
  const pacing = pacingOf(options);
  const requests: ElevenLabsRecord[] = [];
  const failures: InjectedFailure[] = [];

  const server = await startHttpServer(async (request, response) => {
    const raw = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://local');
    const match = /^\/v1\/text-to-speech\/([^/]+)\/stream$/.exec(url.pathname);
    if (request.method !== 'POST' || !match?.[1]) return detail(response, 404, 'not_found', 'Not Found');
    if (options.apiKey !== undefined && request.headers['xi-api-key'] !== options.apiKey) {
      return detail(
        response,
        401,
        request.headers['xi-api-key'] ? 'invalid_api_key' : 'needs_authorization',
        request.headers['xi-api-key']
          ? 'Invalid API key'
          : 'Neither authorization header nor xi-api-key received.',
      );
    }
    const voiceId = decodeURIComponent(match[1]);
    if (options.voices && !options.voices.includes(voiceId)) {
      return detail(response, 404, 'voice_not_found', `A voice with the voice_id ${voiceId} was not found.`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return sendJson(response, 400, {
        detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error' }],
      });
    }
    if (typeof body.text !== 'string' || body.text.trim() === '') {
      return sendJson(response, 422, {
        detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required', input: body }],
      });
    }
    const outputFormat = url.searchParams.get('output_format');
    if (outputFormat !== 'ulaw_8000') {
      return detail(
        response,
        400,
        'invalid_output_format',
        `This local server renders only ulaw_8000, not ${outputFormat ?? 'the default mp3_44100_128'}.`,
      );
    }
    const failure = failures.shift();
    if (failure && 'status' in failure) {
      if (failure.body !== undefined) {
        response.writeHead(failure.status, { 'content-type': 'text/plain' });
        response.end(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body));
        return;
      }
      return detail(response, failure.status, 'internal_error', 'An internal server error occurred.');
    }
    const record: ElevenLabsRecord = {
      voiceId,
      outputFormat,
      text: body.text,
      ...(typeof body.model_id === 'string' ? { modelId: body.model_id } : {}),
      ...(typeof body.language_code === 'string' ? { languageCode: body.language_code } : {}),
      startedAt: Date.now(),
      bytesSent: 0,
      clientClosed: false,
    };
    requests.push(record);
    response.writeHead(200, { 'content-type': 'audio/basic', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const signal = createVoicedSignal(8000);
    await streamPaced(response, {
      pacing,
      bytesPerChunk: pacing.chunkMs * 8,
      totalBytes: Math.round(body.text.length * pacing.msPerCharacter * 8),
      next: (count) => Uint8Array.from(signal(count), referenceMulaw),
      record,
      ...(failure ? { hangAfterChunks: failure.hangAfterChunks } : {}),
    });
  });

  return {
    url: server.url,
    close: server.close,
    requests,
    failNext: (failure) => {
      failures.push(failure);
    },
  };
}
