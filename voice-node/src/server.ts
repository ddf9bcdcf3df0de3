import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ServerType, serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { buildVoiceApp } from './app.ts';
import type { VoiceBackend } from './call/backend.ts';
import { type CallControl, createTwilioCallControl } from './call/call-control.ts';
import { MediaStreamCall } from './call/media-call.ts';
import { createVoiceMetrics, type VoiceMetrics } from './call/metrics.ts';
import { RelayCall } from './call/relay-call.ts';
import type { AgentVoiceSettings } from './call/settings.ts';
import type { RealtimeSession } from './providers/openai-realtime.ts';
import type { SpeechToText, TextToSpeech } from './providers/ports.ts';
import { createTwilioRestClient, type TwilioRestClient } from './twilio/rest-client.ts';
import { TWILIO_SIGNATURE_HEADER, validateTwilioSignature } from './twilio/signature.ts';

/** Largest WebSocket message accepted; Twilio's are a few hundred bytes (a bigger one closes that call). */
const MAX_WS_MESSAGE_BYTES = 64 * 1024;

export interface VoiceServer {
  port: number;
  metrics: VoiceMetrics;
  activeCalls(): number;
  /** Stops taking calls (readyz 503, upgrades refused) and ends active calls by the deadline. */
  drain(deadlineMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface VoiceServerOptions {
  port: number;
  host: string;
  /**
   * The public origin Twilio reaches us on (`https://voice.example.com`). Webhook signatures are
   * checked against it and stream URLs built from it — never from the Host header.
   */
  publicBaseUrl?: string;
  /** The platform Twilio account; without it, webhooks and streams are refused (health endpoints only). */
  twilio?: { accountSid: string; authToken: string; apiBaseUrl?: string } | undefined;
  backend?: VoiceBackend;
  providers?: (settings: AgentVoiceSettings) => { stt: SpeechToText; tts: TextToSpeech };
  fallbackAudio?: (text: string) => Promise<Uint8Array | null>;
  /** Opens OpenAI Realtime sessions for agents with `pipeline: 'realtime'`. */
  realtime?: (settings: AgentVoiceSettings) => Promise<RealtimeSession>;
  /** Replaces the Twilio REST call control (tests). */
  control?: CallControl;
  drainTimeoutMs?: number;
  /** Calls this node takes at most; more are refused with 503 before the upgrade. */
  maxCalls?: number;
  log?: (event: string, data: Record<string, unknown>) => void;
}

type LiveCall = MediaStreamCall | RelayCall;

/**
 * The voice node: Twilio webhooks (`/twilio/voice`, `/twilio/status`, …) and the two WebSocket
 * endpoints (`/twilio/media` for Media Streams, `/twilio/relay` for ConversationRelay) on one port,
 * plus `/healthz`, `/readyz` and `/metrics`. Upgrades are authenticated with `X-Twilio-Signature`
 * against the configured public `wss://` URL and refused with 403 before the handshake completes.
 */
export async function startVoiceServer(options: VoiceServerOptions): Promise<VoiceServer> {
  let draining = false;
  const calls = new Set<LiveCall>();
  const metrics = createVoiceMetrics();
  const log = options.log ?? (() => undefined);
  const publicBase = options.publicBaseUrl ? new URL(options.publicBaseUrl) : null;
  const rest: TwilioRestClient | null = options.twilio
    ? createTwilioRestClient({
        accountSid: options.twilio.accountSid,
        authToken: options.twilio.authToken,
        ...(options.twilio.apiBaseUrl ? { baseUrl: options.twilio.apiBaseUrl } : {}),
      })
    : null;
  const control = options.control ?? createTwilioCallControl(rest);
  const app = buildVoiceApp({
    activeCalls: () => calls.size,
    draining: () => draining,
    metrics,
    ...(publicBase ? { publicBaseUrl: publicBase.origin } : {}),
    ...(options.twilio ? { authToken: options.twilio.authToken } : {}),
    ...(options.backend ? { backend: options.backend } : {}),
    rest,
    log,
  });
  const server: ServerType = await new Promise((resolve) => {
    const instance = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () =>
      resolve(instance),
    );
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES });

  function refuse(socket: Duplex, status: number, reason: string): void {
    metrics.rejected();
    log('upgrade_refused', { status, reason });
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable'}\r\n` +
        'Connection: close\r\nContent-Length: 0\r\n\r\n',
    );
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (path !== '/twilio/media' && path !== '/twilio/relay') return refuse(socket, 404, 'unknown path');
    if ((request.url ?? '').includes('?')) return refuse(socket, 403, 'query strings are not signed');
    if (!options.twilio || !publicBase || !options.backend)
      return refuse(socket, 503, 'voice not configured');
    const signedUrl = `${publicBase.protocol === 'http:' ? 'ws:' : 'wss:'}//${publicBase.host}${path}`;
    const signature = request.headers[TWILIO_SIGNATURE_HEADER.toLowerCase()];
    const valid = validateTwilioSignature({
      authToken: options.twilio.authToken,
      signature: Array.isArray(signature) ? signature[0] : signature,
      url: signedUrl,
    });
    if (!valid) return refuse(socket, 403, 'invalid signature');
    if (draining) return refuse(socket, 503, 'draining');
    if (options.maxCalls !== undefined && calls.size >= options.maxCalls)
      return refuse(socket, 503, 'at capacity');
    const backend = options.backend;
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const call: LiveCall =
        path === '/twilio/media'
          ? new MediaStreamCall(ws, {
              backend,
              providers:
                options.providers ??
                (() => {
                  throw new Error('no speech providers configured');
                }),
              control,
              metrics,
              fallbackAudio: options.fallbackAudio ?? (async () => null),
              ...(options.realtime ? { realtime: options.realtime } : {}),
              log,
            })
          : new RelayCall(ws, { backend, metrics, log });
      calls.add(call);
      void call.ended.then(() => calls.delete(call));
    });
  });

  const address = server.address();
  async function drain(deadlineMs = options.drainTimeoutMs ?? 30_000): Promise<void> {
    draining = true;
    await Promise.all([...calls].map((call) => call.drain(deadlineMs)));
  }
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    metrics,
    activeCalls: () => calls.size,
    drain,
    close: async () => {
      await drain(Math.min(options.drainTimeoutMs ?? 30_000, 5000));
      for (const client of sockets.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
