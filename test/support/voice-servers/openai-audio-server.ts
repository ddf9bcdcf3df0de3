import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createPcm16ByteSource,
  createVoicedSignal,
  type InjectedFailure,
  type LocalHttpServer,
  pacingOf,
  readBody,
  type StreamPacing,
  type StreamRecord,
  sendJson,
  startHttpServer,
  streamPaced,
} from './common.ts';

/**
 * A local server speaking OpenAI's audio wire protocol: `POST /v1/audio/transcriptions` (multipart,
 * answering `{ text }` from a script and recording what audio it got) and `POST /v1/audio/speech`
 * (JSON in, raw 24 kHz s16le PCM streamed out in paced chunks, ~60 ms of voiced-like signal per
 * character). Bearer auth, OpenAI's error bodies, and failures on demand (401/500/hang mid-stream).
 * The SDK's base URL is `${url}/v1`.
 */

/** What the server received on one transcription request. */
export interface TranscriptionRecord {
  model: string;
  language?: string;
  prompt?: string;
  fileName: string;
  audioBytes: number;
  /** The uploaded file. */
  audio: Uint8Array;
  /** From the WAV header, when the file is a WAV. */
  sampleRate?: number;
  durationMs?: number;
}

/** One speech request and how its stream went. */
export interface SpeechRecord extends StreamRecord {
  model: string;
  voice: string;
  input: string;
  responseFormat: string;
}

/** Options of {@link startOpenAIAudioServer}. */
export interface OpenAIAudioServerOptions extends StreamPacing {
  /** The bearer token clients must send; without one any is accepted. */
  readonly apiKey?: string;
  /** Transcripts served in order (the last one repeats), or computed from the request. */
  readonly transcripts?: readonly string[] | ((request: TranscriptionRecord) => string);
  /** Time the "model" takes to transcribe. Default 0. */
  readonly transcriptionDelayMs?: number;
}

/** A started server. */
export interface OpenAIAudioServer extends LocalHttpServer {
  readonly requests: { transcriptions: TranscriptionRecord[]; speech: SpeechRecord[] };
  /** The next request (either endpoint) gets this failure instead of an answer. */
  failNext(failure: InjectedFailure): void;
}

const SAMPLE_RATE = 24_000;

function apiError(
  response: ServerResponse,
  status: number,
  message: string,
  code: string | null,
  param = null,
) {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  response.setHeader('x-request-id', `req_${Math.random().toString(16).slice(2)}`);
  sendJson(response, status, { error: { message, type, param, code } });
}

/** An injected status failure: its own body (a string is served as HTML), else OpenAI's generic one. */
function sendFailure(response: ServerResponse, failure: { status: number; body?: unknown }) {
  if (typeof failure.body === 'string') {
    response.writeHead(failure.status, { 'content-type': 'text/html' });
    response.end(failure.body);
  } else if (failure.body !== undefined) {
    sendJson(response, failure.status, failure.body);
  } else {
    apiError(
      response,
      failure.status,
      'The server had an error while processing your request. Sorry about that!',
      null,
    );
  }
}

function wavInfo(bytes: Uint8Array): { sampleRate: number; durationMs: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return undefined;
  let sampleRate = 0;
  let blockAlign = 0;
  for (let offset = 12; offset + 8 <= bytes.length; ) {
    const size = view.getUint32(offset + 4, true);
    if (tag(offset) === 'fmt ') {
      sampleRate = view.getUint32(offset + 12, true);
      blockAlign = view.getUint16(offset + 20, true);
    }
    if (tag(offset) === 'data' && sampleRate > 0 && blockAlign > 0) {
      const dataBytes = Math.min(size, bytes.length - offset - 8);
      return { sampleRate, durationMs: (dataBytes / blockAlign / sampleRate) * 1000 };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** Starts the server on an ephemeral loopback port. */
export async function startOpenAIAudioServer(
  options: OpenAIAudioServerOptions = {},
): Promise<OpenAIAudioServer> {
  const pacing = pacingOf(options);
  const requests: OpenAIAudioServer['requests'] = { transcriptions: [], speech: [] };
  const failures: InjectedFailure[] = [];
  let transcriptIndex = 0;

  const nextTranscript = (record: TranscriptionRecord): string => {
    const script = options.transcripts;
    if (typeof script === 'function') return script(record);
    if (!script || script.length === 0) return '';
    const text = script[Math.min(transcriptIndex, script.length - 1)] ?? '';
    transcriptIndex += 1;
    return text;
  };

  async function transcriptions(
    request: IncomingMessage,
    response: ServerResponse,
    failure?: InjectedFailure,
  ) {
    const body = new Uint8Array(await readBody(request));
    const form = await new Request('http://local/', {
      method: 'POST',
      headers: { 'content-type': request.headers['content-type'] ?? '' },
      body,
    })
      .formData()
      .catch(() => undefined);
    if (!form) return apiError(response, 400, 'Could not parse multipart form', null);
    const file = form.get('file');
    const model = form.get('model');
    if (!(file instanceof File)) return apiError(response, 400, "Missing required parameter: 'file'.", null);
    if (typeof model !== 'string' || model === '') {
      return apiError(response, 400, 'you must provide a model parameter', null);
    }
    const audio = new Uint8Array(await file.arrayBuffer());
    const info = wavInfo(audio);
    const language = form.get('language');
    const prompt = form.get('prompt');
    const record: TranscriptionRecord = {
      model,
      fileName: file.name,
      audioBytes: audio.length,
      audio,
      ...(typeof language === 'string' ? { language } : {}),
      ...(typeof prompt === 'string' ? { prompt } : {}),
      ...(info ?? {}),
    };
    requests.transcriptions.push(record);
    if (failure && 'hangAfterChunks' in failure) return; // never answers
    if (failure) return sendFailure(response, failure);
    if (!info) {
      return apiError(
        response,
        400,
        "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
        'invalid_value',
      );
    }
    if (info.durationMs < 100) {
      return apiError(
        response,
        400,
        'Audio file is too short. Minimum audio length is 0.1 seconds.',
        'audio_too_short',
      );
    }
    if (record.language !== undefined && !/^[a-z]{2,3}$/.test(record.language)) {
      return apiError(
        response,
        400,
        `Invalid language '${record.language}'. Language parameter must be specified in ISO-639-1 format.`,
        'invalid_language_format',
      );
    }
    if (options.transcriptionDelayMs)
      await new Promise((resolve) => setTimeout(resolve, options.transcriptionDelayMs));
    sendJson(response, 200, {
      text: nextTranscript(record),
      usage: { type: 'duration', seconds: Math.ceil(info.durationMs / 1000) },
    });
  }

  async function speech(request: IncomingMessage, response: ServerResponse, failure?: InjectedFailure) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(request)).toString('utf8')) as Record<string, unknown>;
    } catch {
      return apiError(response, 400, 'We could not parse the JSON body of your request.', null);
    }
    const { model, voice, input } = body;
    const responseFormat = typeof body.response_format === 'string' ? body.response_format : 'mp3';
    if (typeof model !== 'string' || model === '')
      return apiError(response, 400, 'you must provide a model parameter', null);
    if (typeof voice !== 'string' || voice === '')
      return apiError(response, 400, "Missing required parameter: 'voice'.", null);
    if (typeof input !== 'string' || input.length === 0 || input.length > 4096) {
      return apiError(response, 400, "Invalid 'input': string must be 1 to 4096 characters.", null);
    }
    if (responseFormat !== 'pcm') {
      return apiError(
        response,
        400,
        `This local server renders only response_format 'pcm', not '${responseFormat}'.`,
        null,
      );
    }
    if (failure && 'status' in failure) return sendFailure(response, failure);
    const record: SpeechRecord = {
      model,
      voice,
      input,
      responseFormat,
      startedAt: Date.now(),
      bytesSent: 0,
      clientClosed: false,
    };
    requests.speech.push(record);
    response.writeHead(200, { 'content-type': 'audio/pcm', 'transfer-encoding': 'chunked' });
    response.flushHeaders();
    const samples = Math.round((input.length * pacing.msPerCharacter * SAMPLE_RATE) / 1000);
    await streamPaced(response, {
      pacing,
      // An odd chunk size, so clients meet samples split across chunks.
      bytesPerChunk: Math.round((pacing.chunkMs * SAMPLE_RATE * 2) / 1000) + 1,
      totalBytes: samples * 2,
      next: createPcm16ByteSource(createVoicedSignal(SAMPLE_RATE)),
      record,
      ...(failure ? { hangAfterChunks: failure.hangAfterChunks } : {}),
    });
  }

  const server = await startHttpServer(async (request, response) => {
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      await readBody(request);
      const shown = (request.headers.authorization ?? '').replace(/^Bearer /, '');
      return apiError(
        response,
        401,
        `Incorrect API key provided: ${shown.slice(0, 3)}***${shown.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_api_key',
      );
    }
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    if (request.method === 'POST' && path === '/v1/audio/transcriptions')
      return transcriptions(request, response, failures.shift());
    if (request.method === 'POST' && path === '/v1/audio/speech')
      return speech(request, response, failures.shift());
    await readBody(request);
    return apiError(response, 404, `Invalid URL (${request.method} ${path})`, null);
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
