import { type CoreServices, createVoiceCallStore, type Database, type EventBus } from '@lumay/shared';
import type { AgentVoiceSettings } from './call/settings.ts';
import type { VoiceConfig } from './config.ts';
import { createOutboundDialer, registerOutboundDialer } from './outbound.ts';
import { createOutboundCallStore, createPlatformVoiceBackend } from './platform-backend.ts';
import { connectRealtime } from './providers/openai-realtime.ts';
import type { TextToSpeech } from './providers/ports.ts';
import { createVoiceProviderRegistry } from './providers/registry.ts';
import { startVoiceServer, type VoiceServer } from './server.ts';
import { createTwilioRestClient } from './twilio/rest-client.ts';

/** Collects a whole synthesized line (short lines only: the fallback, re-prompts). */
async function synthesizeAll(tts: TextToSpeech, text: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of tts.synthesize(text, { signal: AbortSignal.timeout(10_000) })) {
    chunks.push(chunk);
    length += chunk.length;
  }
  const audio = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    audio.set(chunk, offset);
    offset += chunk.length;
  }
  return audio;
}

/**
 * Starts the voice node over the shared services: the platform backend (call store + engine), the
 * speech providers from the configured credentials, the fallback line synthesized offline once per
 * text, and — when a bus and Twilio are configured — the outbound dialer.
 */
export async function startVoiceRuntime(options: {
  config: VoiceConfig;
  core: CoreServices;
  db: Database;
  bus?: EventBus;
  host?: string;
  log?: (event: string, data: Record<string, unknown>) => void;
}): Promise<VoiceServer> {
  const { config } = options;
  const store = createVoiceCallStore({ db: options.db });
  const registry = createVoiceProviderRegistry({
    ...(config.OPENAI_API_KEY
      ? {
          openai: {
            apiKey: config.OPENAI_API_KEY,
            ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
            ...(config.OPENAI_REALTIME_URL ? { realtimeURL: config.OPENAI_REALTIME_URL } : {}),
          },
        }
      : {}),
    ...(config.DEEPGRAM_API_KEY
      ? {
          deepgram: {
            apiKey: config.DEEPGRAM_API_KEY,
            ...(config.DEEPGRAM_BASE_URL ? { baseURL: config.DEEPGRAM_BASE_URL } : {}),
          },
        }
      : {}),
    ...(config.ELEVENLABS_API_KEY
      ? {
          elevenlabs: {
            apiKey: config.ELEVENLABS_API_KEY,
            ...(config.ELEVENLABS_BASE_URL ? { baseURL: config.ELEVENLABS_BASE_URL } : {}),
          },
        }
      : {}),
  });
  const offline = registry.resolve({ stt: { provider: 'local' }, tts: { provider: 'local' } }).tts;
  const fallbackCache = new Map<string, Promise<Uint8Array | null>>();
  const fallbackAudio = (text: string) => {
    let cached = fallbackCache.get(text);
    if (!cached) {
      cached = synthesizeAll(offline, text).catch(() => null);
      if (fallbackCache.size > 50) fallbackCache.clear();
      fallbackCache.set(text, cached);
    }
    return cached;
  };
  const twilio =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN
      ? {
          accountSid: config.TWILIO_ACCOUNT_SID,
          authToken: config.TWILIO_AUTH_TOKEN,
          apiBaseUrl: config.TWILIO_API_BASE_URL,
        }
      : undefined;
  const server = await startVoiceServer({
    port: config.VOICE_PORT,
    host: options.host ?? config.VOICE_HOST,
    ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}),
    twilio,
    backend: createPlatformVoiceBackend(options.core, store),
    providers: (settings: AgentVoiceSettings) => registry.resolve({ stt: settings.stt, tts: settings.tts }),
    fallbackAudio,
    ...(config.OPENAI_API_KEY
      ? {
          realtime: (settings: AgentVoiceSettings) =>
            connectRealtime({
              apiKey: config.OPENAI_API_KEY ?? '',
              ...(config.OPENAI_REALTIME_URL ? { baseURL: config.OPENAI_REALTIME_URL } : {}),
              model: settings.realtime.model,
              voice: settings.realtime.voice,
              instructions:
                settings.realtime.instructions ??
                'You are a helpful, concise phone agent. Keep answers short; the caller is listening, not reading.',
            }),
        }
      : {}),
    drainTimeoutMs: config.VOICE_DRAIN_TIMEOUT_MS,
    ...(config.VOICE_MAX_CALLS ? { maxCalls: config.VOICE_MAX_CALLS } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  if (options.bus && twilio && config.PUBLIC_BASE_URL) {
    const rest = createTwilioRestClient({
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      baseUrl: twilio.apiBaseUrl,
    });
    await registerOutboundDialer(
      options.bus,
      createOutboundDialer({
        store: createOutboundCallStore(store),
        rest,
        publicBaseUrl: config.PUBLIC_BASE_URL,
        defaultFrom: config.TWILIO_DEFAULT_FROM,
        ...(options.log ? { log: options.log } : {}),
      }),
    );
  }
  return server;
}
