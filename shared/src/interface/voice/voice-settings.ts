import { z } from 'zod';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'phone numbers are E.164, e.g. +15550100000');

/**
 * An agent's voice settings, in `config.voice` (all optional; the defaults run offline with the local
 * speech pair). Read per call, so a PATCH of the agent changes the next call and nothing else.
 */
export const AgentVoiceSettings = z.object({
  /** `cascade`: STT → flow engine → TTS. `realtime`: speech-to-speech through the OpenAI Realtime API. */
  pipeline: z.enum(['cascade', 'realtime']).default('cascade'),
  stt: z
    .object({
      provider: z.enum(['local', 'openai', 'deepgram']).default('local'),
      model: z.string().max(100).optional(),
      language: z.string().max(20).optional(),
    })
    .prefault({}),
  tts: z
    .object({
      provider: z.enum(['local', 'openai', 'elevenlabs']).default('local'),
      voice: z.string().max(100).optional(),
      model: z.string().max(100).optional(),
    })
    .prefault({}),
  language: z.string().max(20).default('en-US'),
  /** Phrases the recognizer should expect (offline recognizers are restricted to them when given). */
  hints: z.array(z.string().min(1).max(100)).max(200).default([]),
  bargeIn: z
    .object({
      enabled: z.boolean().default(true),
      /** Voiced ms the caller must speak over playback before it interrupts; shorter is a backchannel. */
      minSpeechMs: z.number().int().min(0).max(3000).default(300),
      /** Words that never interrupt, whatever their length. */
      backchannels: z
        .array(z.string().min(1).max(40))
        .max(50)
        .default(['uh-huh', 'uh huh', 'mm-hmm', 'mhm', 'ok', 'okay', 'yeah', 'right', 'sure', 'got it']),
    })
    .prefault({}),
  /** Silence after speech that ends the caller's turn. */
  endOfTurnSilenceMs: z.number().int().min(200).max(5000).default(700),
  /** After the agent finished speaking: silence this long re-prompts, `maxNoInput` times, then ends. */
  noInputTimeoutMs: z.number().int().min(1000).max(120_000).default(8000),
  maxNoInput: z.number().int().min(0).max(10).default(2),
  noInputPrompt: z.string().min(1).max(500).default('Are you still there?'),
  goodbye: z.string().min(1).max(500).default('Goodbye.'),
  /** Said when a provider fails mid-call, before transferring (or ending when no transfer is set). */
  fallbackLine: z
    .string()
    .min(1)
    .max(500)
    .default("I'm sorry, I'm having trouble right now. Let me get someone to help you."),
  transfer: z
    .object({
      /** Where handoffs go, unless their queue has a number of its own. */
      default: e164.optional(),
      queues: z.record(z.string().max(100), e164).default({}),
      callerId: e164.optional(),
      say: z.string().max(500).default('Transferring you now.'),
    })
    .prefault({}),
  realtime: z
    .object({
      model: z.string().max(100).default('gpt-realtime'),
      voice: z.string().max(50).default('alloy'),
      instructions: z.string().max(8000).optional(),
    })
    .prefault({}),
});
export type AgentVoiceSettings = z.infer<typeof AgentVoiceSettings>;

/** Parses `config.voice`; an invalid one is reported with the field that is wrong. */
export function voiceSettingsOf(
  config: Record<string, unknown>,
): { ok: true; settings: AgentVoiceSettings } | { ok: false; message: string } {
  const parsed = AgentVoiceSettings.safeParse(config.voice ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    message: `config.voice${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`,
  };
}

/** The transfer number for a handoff queue, if any. */
export function transferNumberFor(settings: AgentVoiceSettings, queue: string | null): string | undefined {
  return (queue ? settings.transfer.queues[queue] : undefined) ?? settings.transfer.default;
}

/** True when a short utterance is a backchannel ("uh-huh") that must not interrupt. */
export function isBackchannel(settings: AgentVoiceSettings, transcript: string): boolean {
  const normalized = transcript
    .toLowerCase()
    .replace(/[^a-z\s-]/g, '')
    .trim();
  if (normalized === '') return true;
  return settings.bargeIn.backchannels.some((word) => word.toLowerCase() === normalized);
}
