import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  createPcm16ByteSource,
  createVoicedSignal,
  delay,
  referenceMulaw,
  startHttpServer,
} from './common.ts';
import {
  defaultSession,
  isObject,
  itemProblem,
  type Json,
  MULAW_DECODE,
  merge,
  newId,
  sessionUpdateProblem,
} from './openai-realtime-rules.ts';

/**
 * A local server speaking the OpenAI Realtime API's GA WebSocket protocol at `/v1/realtime`: Bearer
 * auth (401 on the upgrade otherwise), `session.created`, `session.update` → `session.updated` (beta
 * fields such as `input_audio_format` are refused with an `error` event, as the GA API does), an
 * energy-based server VAD over appended audio (`speech_started` / `speech_stopped` → commit → input
 * transcription → response), responses streamed as paced `response.output_audio.delta` chunks of
 * 20–40 ms with their transcript, `response.cancel`, `conversation.item.create` and
 * `conversation.item.truncate` validated against the audio actually sent for the item. Every client
 * event is recorded.
 */

/** Options of {@link startRealtimeServer}. */
export interface RealtimeServerOptions {
  /** The bearer token clients must send; without one any is accepted. */
  readonly apiKey?: string;
  /** What the assistant says, in order (the last repeats), or computed from the turn. */
  readonly replies?:
    | readonly string[]
    | ((turn: { trigger: 'vad' | 'response.create'; userText: string }) => string);
  /** What the caller "said", for input transcription events, in order (the last repeats). */
  readonly userTranscripts?: readonly string[];
  /** Assistant audio per character of reply. Default 60 ms. */
  readonly msPerCharacter?: number;
  /** Audio per delta, 20–40 ms. Default 40. */
  readonly deltaMs?: number;
  /** Pause between deltas. Default 10 ms. */
  readonly deltaIntervalMs?: number;
  /** From `response.created` to the first delta. Default 30 ms. */
  readonly firstDeltaDelayMs?: number;
  /** RMS (16-bit linear) of a 20 ms frame above which it counts as speech. Default 600. */
  readonly vadThreshold?: number;
  /** Send junk frames right after connecting (clients must not crash on them). */
  readonly sendMalformed?: boolean;
}

/** One client connection. */
export interface RealtimeConnectionRecord {
  query: URLSearchParams;
  /** Client events in order, parsed (`input_audio_buffer.append` included). */
  clientEvents: Json[];
  /** Server events in order (audio deltas included). */
  serverEvents: Json[];
  session: Json;
}

/** A started server. */
export interface RealtimeServer {
  /** `ws://127.0.0.1:<port>`, the client's base URL. */
  readonly url: string;
  readonly connections: RealtimeConnectionRecord[];
  close(): Promise<void>;
}

/** Starts the server on an ephemeral loopback port. */
export async function startRealtimeServer(options: RealtimeServerOptions = {}): Promise<RealtimeServer> {
  const connections: RealtimeConnectionRecord[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const msPerCharacter = options.msPerCharacter ?? 60;
  const deltaMs = Math.min(40, Math.max(20, options.deltaMs ?? 40));
  const threshold = options.vadThreshold ?? 600;

  function serve(socket: WebSocket, record: RealtimeConnectionRecord) {
    const items = new Map<string, { role: string; audioMs: number; text: string }>();
    let lastItemId: string | null = null;
    let replyIndex = 0;
    let userIndex = 0;
    let userText = '';
    let active: { id: string; itemId: string; cancelled: boolean } | undefined;
    // Server VAD state, in ms of appended audio.
    let bufferMs = 0;
    let speech: { itemId: string; silentMs: number } | undefined;
    let assistantAudioSent = false;

    const send = (event: Json) => {
      const full = { event_id: newId('event'), ...event };
      record.serverEvents.push(full);
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(full));
    };
    const error = (message: string, code: string | null, param: string | null, clientEvent?: Json) =>
      send({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code,
          message,
          param,
          event_id: typeof clientEvent?.event_id === 'string' ? clientEvent.event_id : null,
        },
      });
    const turnDetection = () => {
      const audio = record.session.audio as Json;
      return (audio.input as Json).turn_detection as Json | null;
    };
    const formatOf = (direction: 'input' | 'output') =>
      String((((record.session.audio as Json)[direction] as Json).format as Json).type);

    const nextReply = (trigger: 'vad' | 'response.create') => {
      const replies = options.replies;
      if (typeof replies === 'function') return replies({ trigger, userText });
      const list = replies && replies.length > 0 ? replies : ['How can I help you today?'];
      return list[Math.min(replyIndex++, list.length - 1)] ?? '';
    };

    const finishResponse = (status: 'completed' | 'cancelled', reason?: string) => {
      const current = active;
      if (!current) return;
      active = undefined;
      current.cancelled = status === 'cancelled';
      send({
        type: 'response.done',
        response: {
          id: current.id,
          object: 'realtime.response',
          status,
          status_details: reason ? { type: 'cancelled', reason } : null,
          output: [
            {
              id: current.itemId,
              type: 'message',
              role: 'assistant',
              status: status === 'completed' ? 'completed' : 'incomplete',
            },
          ],
          output_modalities: ['audio'],
        },
      });
    };

    async function respond(trigger: 'vad' | 'response.create') {
      const text = nextReply(trigger);
      const response = { id: newId('resp'), itemId: newId('item'), cancelled: false };
      active = response;
      const item = {
        id: response.itemId,
        type: 'message',
        role: 'assistant',
        status: 'in_progress',
        content: [],
      };
      items.set(response.itemId, { role: 'assistant', audioMs: 0, text });
      send({
        type: 'response.created',
        response: { id: response.id, object: 'realtime.response', status: 'in_progress', output: [] },
      });
      send({ type: 'response.output_item.added', response_id: response.id, output_index: 0, item });
      send({ type: 'conversation.item.added', previous_item_id: lastItemId, item });
      lastItemId = response.itemId;
      const ids = { response_id: response.id, item_id: response.itemId, output_index: 0, content_index: 0 };
      send({ type: 'response.content_part.added', ...ids, part: { type: 'audio', transcript: '' } });
      await delay(options.firstDeltaDelayMs ?? 30);
      const totalMs = Math.round(text.length * msPerCharacter);
      const pcmu = formatOf('output') === 'audio/pcmu';
      const voiced = createVoicedSignal(pcmu ? 8000 : 24_000);
      const pcmBytes = createPcm16ByteSource(voiced);
      const entry = items.get(response.itemId);
      for (let sent = 0; sent < totalMs && !response.cancelled; sent += deltaMs) {
        const ms = Math.min(deltaMs, totalMs - sent);
        const bytes = pcmu ? Uint8Array.from(voiced(ms * 8), referenceMulaw) : pcmBytes(ms * 48);
        send({ type: 'response.output_audio.delta', ...ids, delta: Buffer.from(bytes).toString('base64') });
        assistantAudioSent = true;
        if (entry) entry.audioMs += ms;
        await delay(options.deltaIntervalMs ?? 10);
      }
      if (response.cancelled || active !== response) return;
      send({ type: 'response.output_audio.done', ...ids });
      send({ type: 'response.output_audio_transcript.done', ...ids, transcript: text });
      send({ type: 'response.content_part.done', ...ids, part: { type: 'audio', transcript: text } });
      const done = { ...item, status: 'completed', content: [{ type: 'output_audio', transcript: text }] };
      send({ type: 'response.output_item.done', response_id: response.id, output_index: 0, item: done });
      send({ type: 'conversation.item.done', previous_item_id: null, item: done });
      finishResponse('completed');
    }

    const startResponse = (trigger: 'vad' | 'response.create', clientEvent?: Json) => {
      if (active) {
        return error(
          `Conversation already has an active response in progress: ${active.id}. Wait until the response is finished before creating a new one.`,
          'conversation_already_has_active_response',
          null,
          clientEvent,
        );
      }
      void respond(trigger);
    };

    const onAudio = (base64: string) => {
      const bytes = Buffer.from(base64, 'base64');
      const pcmu = formatOf('input') === 'audio/pcmu';
      const samples = pcmu
        ? Int16Array.from(bytes, (code) => MULAW_DECODE[code] ?? 0)
        : new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + (bytes.length & ~1)));
      const rate = pcmu ? 8000 : 24_000;
      const frame = (rate * 20) / 1000;
      const detection = turnDetection();
      for (let offset = 0; offset < samples.length; offset += frame) {
        const part = samples.subarray(offset, offset + frame);
        const frameMs = (part.length / rate) * 1000;
        const energy = Math.sqrt(
          part.reduce((sum, value) => sum + value * value, 0) / Math.max(1, part.length),
        );
        const start = bufferMs;
        bufferMs += frameMs;
        if (!detection) continue;
        if (!speech && energy > threshold) {
          speech = { itemId: newId('item'), silentMs: 0 };
          send({
            type: 'input_audio_buffer.speech_started',
            audio_start_ms: Math.max(0, Math.round(start - Number(detection.prefix_padding_ms ?? 300))),
            item_id: speech.itemId,
          });
          if (detection.interrupt_response !== false && active) finishResponse('cancelled', 'turn_detected');
        } else if (speech) {
          speech.silentMs = energy > threshold ? 0 : speech.silentMs + frameMs;
          if (speech.silentMs >= Number(detection.silence_duration_ms ?? 500)) {
            const { itemId } = speech;
            speech = undefined;
            send({
              type: 'input_audio_buffer.speech_stopped',
              audio_end_ms: Math.round(bufferMs - Number(detection.silence_duration_ms ?? 500)),
              item_id: itemId,
            });
            send({ type: 'input_audio_buffer.committed', previous_item_id: lastItemId, item_id: itemId });
            const item = {
              id: itemId,
              type: 'message',
              role: 'user',
              status: 'completed',
              content: [{ type: 'input_audio', transcript: null }],
            };
            send({ type: 'conversation.item.added', previous_item_id: lastItemId, item });
            send({ type: 'conversation.item.done', previous_item_id: lastItemId, item });
            lastItemId = itemId;
            const transcripts = options.userTranscripts ?? [];
            userText = transcripts[Math.min(userIndex++, transcripts.length - 1)] ?? '';
            items.set(itemId, { role: 'user', audioMs: 0, text: userText });
            if (
              (record.session.audio as Json).input &&
              ((record.session.audio as Json).input as Json).transcription
            ) {
              send({
                type: 'conversation.item.input_audio_transcription.completed',
                item_id: itemId,
                content_index: 0,
                transcript: userText,
              });
            }
            if (detection.create_response !== false) startResponse('vad');
          }
        }
      }
    };

    const handlers: Record<string, (event: Json) => void> = {
      'session.update': (event) => {
        const problem = sessionUpdateProblem(event.session, assistantAudioSent);
        if (problem) return error(problem.message, problem.code, problem.param, event);
        record.session = merge(record.session, event.session as Json);
        send({ type: 'session.updated', session: record.session });
      },
      'input_audio_buffer.append': (event) => {
        if (typeof event.audio !== 'string')
          return error("Missing required parameter: 'audio'.", 'missing_required_parameter', 'audio', event);
        onAudio(event.audio);
      },
      'response.create': (event) => startResponse('response.create', event),
      'response.cancel': (event) => {
        if (!active)
          return error(
            'Cancellation failed: no active response found',
            'response_cancel_not_active',
            null,
            event,
          );
        finishResponse('cancelled', 'client_cancelled');
      },
      'conversation.item.create': (event) => {
        const problem = itemProblem(event.item);
        if (problem) return error(problem.message, problem.code, problem.param, event);
        const item = event.item as Json;
        const role = String(item.role);
        const content = item.content as unknown[];
        const id = typeof item.id === 'string' ? item.id : newId('item');
        const text = content
          .map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : ''))
          .join(' ');
        if (role === 'user') userText = text;
        items.set(id, { role, audioMs: 0, text });
        const created = { ...item, id, status: 'completed' };
        send({ type: 'conversation.item.added', previous_item_id: lastItemId, item: created });
        send({ type: 'conversation.item.done', previous_item_id: lastItemId, item: created });
        lastItemId = id;
      },
      'conversation.item.truncate': (event) => {
        const itemId = String(event.item_id);
        const item = items.get(itemId);
        if (!item)
          return error(
            `Invalid 'item_id': no item with id '${itemId}' found.`,
            'invalid_value',
            'item_id',
            event,
          );
        if (item.role !== 'assistant')
          return error('Only assistant messages can be truncated.', 'invalid_value', 'item_id', event);
        if (event.content_index !== 0)
          return error("Invalid 'content_index': must be 0.", 'invalid_value', 'content_index', event);
        const end = Number(event.audio_end_ms);
        if (!Number.isInteger(end) || end < 0)
          return error("Invalid 'audio_end_ms'.", 'invalid_value', 'audio_end_ms', event);
        if (end > item.audioMs)
          return error(
            `Audio content of ${item.audioMs}ms is already shorter than ${end}ms`,
            'invalid_value',
            'audio_end_ms',
            event,
          );
        item.audioMs = end;
        send({ type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: end });
      },
    };

    socket.on('message', (data) => {
      let event: unknown;
      try {
        event = JSON.parse(data.toString());
      } catch {
        return error('Invalid JSON in event.', 'invalid_json', null);
      }
      if (!isObject(event)) return error('The event must be a JSON object.', 'invalid_value', null);
      record.clientEvents.push(event);
      const handler = handlers[String(event.type)];
      if (!handler)
        return error(
          `Invalid value: '${String(event.type)}'. Supported values are: ${Object.keys(handlers)
            .map((name) => `'${name}'`)
            .join(', ')}.`,
          'invalid_value',
          'type',
          event,
        );
      handler(event);
    });
    socket.on('close', () => {
      if (active) active.cancelled = true;
      active = undefined;
    });

    if (options.sendMalformed) {
      socket.send('{"type": "session.crea');
      socket.send(JSON.stringify({ type: 'response.output_audio.delta' }));
      socket.send(JSON.stringify({ type: 'input_audio_buffer.speech_started', audio_start_ms: 'soon' }));
      socket.send(JSON.stringify(['not', 'an', 'event']));
    }
    send({ type: 'session.created', session: record.session });
  }

  const http = await startHttpServer(
    (_request, response) => {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error' } }));
    },
    (server) =>
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        const url = new URL(request.url ?? '/', 'http://local');
        const reject = (status: number, reason: string, message: string, code: string) => {
          const body = JSON.stringify({
            error: { message, type: 'invalid_request_error', code, param: null },
          });
          socket.end(
            `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
          );
        };
        if (url.pathname !== '/v1/realtime') return reject(404, 'Not Found', 'Not found', 'not_found');
        if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
          return reject(401, 'Unauthorized', 'Incorrect API key provided.', 'invalid_api_key');
        }
        const model = url.searchParams.get('model');
        if (!model)
          return reject(
            400,
            'Bad Request',
            "Missing required parameter: 'model'.",
            'missing_required_parameter',
          );
        wss.handleUpgrade(request, socket, head, (client) => {
          const record: RealtimeConnectionRecord = {
            query: url.searchParams,
            clientEvents: [],
            serverEvents: [],
            session: defaultSession(model),
          };
          connections.push(record);
          serve(client, record);
        });
      }),
  );

  return {
    url: http.url.replace(/^http/, 'ws'),
    connections,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await http.close();
    },
  };
}
