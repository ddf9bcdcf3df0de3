import { z } from 'zod';

const optionalUrl = (what: string) => z.string().url(`must be a URL (${what})`).optional();

/**
 * The voice node's settings (both the voice container and the embedded default read them). Public
 * URLs come from PUBLIC_BASE_URL only: signatures are checked over it and TwiML points at it.
 */
export const voiceConfigSchema = z.object({
  VOICE_PORT: z.coerce.number().int().min(1).max(65535).default(8001),
  VOICE_HOST: z.string().default('0.0.0.0'),
  /** `https://voice.example.com` — what Twilio reaches (a tunnel in development). */
  PUBLIC_BASE_URL: z
    .string()
    .url('must be the public https:// origin Twilio reaches, e.g. https://voice.example.com')
    .refine((value) => /^https?:\/\//.test(value), 'must start with https://')
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  TWILIO_ACCOUNT_SID: z
    .string()
    .regex(/^AC[0-9a-zA-Z]{32}$/, 'must be AC followed by 32 characters')
    .optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be the account auth token').optional(),
  /** Twilio's REST API (a regional host, or a local server speaking it in tests). */
  TWILIO_API_BASE_URL: z.string().url('must be a URL').default('https://api.twilio.com'),
  /** Caller id of outbound calls that do not name one (E.164). */
  TWILIO_DEFAULT_FROM: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number')
    .optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: optionalUrl('OpenAI API base, e.g. https://api.openai.com/v1'),
  OPENAI_REALTIME_URL: optionalUrl('Realtime WebSocket base, e.g. wss://api.openai.com'),
  DEEPGRAM_API_KEY: z.string().min(1).optional(),
  DEEPGRAM_BASE_URL: optionalUrl('Deepgram base, e.g. wss://api.deepgram.com'),
  ELEVENLABS_API_KEY: z.string().min(1).optional(),
  ELEVENLABS_BASE_URL: optionalUrl('ElevenLabs base, e.g. https://api.elevenlabs.io'),
  /** SIGTERM: how long active calls may run before they are ended. */
  VOICE_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** Calls this node takes at most (refused with 503 beyond). */
  VOICE_MAX_CALLS: z.coerce.number().int().min(1).max(100_000).optional(),
});
export type VoiceConfig = z.output<typeof voiceConfigSchema>;
