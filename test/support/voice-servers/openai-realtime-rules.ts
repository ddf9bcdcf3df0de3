/**
 * The rules of the OpenAI Realtime GA protocol that the local Realtime server enforces, kept apart
 * from its event loop: the default session, which `session.update` payloads the GA API refuses (beta
 * field names, a missing `session.type`, unknown formats or voices, changing the voice once the
 * assistant has spoken) and which conversation items it accepts, each with the API's own error text.
 */

export type Json = Record<string, unknown>;

/** An `error` event's payload. */
export interface ProtocolProblem {
  message: string;
  code: string;
  param: string | null;
}

export const VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
];
/** Beta session fields, renamed or moved in GA (e.g. `input_audio_format` → `audio.input.format`). */
const BETA_FIELDS = [
  'modalities',
  'voice',
  'input_audio_format',
  'output_audio_format',
  'input_audio_transcription',
  'turn_detection',
  'input_audio_noise_reduction',
];
const FORMATS = ['audio/pcm', 'audio/pcmu', 'audio/pcma'];

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

let counter = 0;
export const newId = (prefix: string) =>
  `${prefix}_${(++counter).toString(36).padStart(8, '0')}${Math.random().toString(36).slice(2, 10)}`;

const listed = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/** Deep merge, as `session.update` applies a partial session. */
export function merge(target: Json, patch: Json): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isObject(value) && isObject(current) ? merge(current, value) : value;
  }
  return out;
}

/** G.711 μ-law decoding table. */
export const MULAW_DECODE = Int16Array.from({ length: 256 }, (_, code) => {
  const value = ~code & 0xff;
  const exponent = (value >> 4) & 7;
  const magnitude = ((((value & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return value & 0x80 ? -magnitude : magnitude;
});

/** The session a connection starts with (`session.created`). */
export function defaultSession(model: string): Json {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: newId('sess'),
    model,
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: 24_000 },
        transcription: null,
        noise_reduction: null,
        turn_detection: {
          type: 'server_vad',
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 500,
          create_response: true,
          interrupt_response: true,
        },
      },
      output: { format: { type: 'audio/pcm', rate: 24_000 }, voice: 'alloy', speed: 1 },
    },
  };
}

/** Why the GA API would refuse this `session.update` payload, if it would. */
export function sessionUpdateProblem(
  session: unknown,
  assistantAudioSent: boolean,
): ProtocolProblem | undefined {
  if (!isObject(session)) {
    return {
      message: "Missing required parameter: 'session'.",
      code: 'missing_required_parameter',
      param: 'session',
    };
  }
  const beta = BETA_FIELDS.find((field) => field in session);
  if (beta) {
    return {
      message: `Unknown parameter: 'session.${beta}'.`,
      code: 'unknown_parameter',
      param: `session.${beta}`,
    };
  }
  if (session.type !== 'realtime') {
    return {
      message: "Missing required parameter: 'session.type'.",
      code: 'missing_required_parameter',
      param: 'session.type',
    };
  }
  const audio = isObject(session.audio) ? session.audio : {};
  for (const direction of ['input', 'output'] as const) {
    const settings = audio[direction];
    const format = isObject(settings) ? settings.format : undefined;
    if (format !== undefined && (!isObject(format) || !FORMATS.includes(String(format.type)))) {
      return {
        message: `Invalid value: '${isObject(format) ? String(format.type) : String(format)}'. Supported values are: ${listed(FORMATS)}.`,
        code: 'invalid_value',
        param: `session.audio.${direction}.format.type`,
      };
    }
  }
  const voice = isObject(audio.output) ? audio.output.voice : undefined;
  if (voice === undefined) return undefined;
  if (typeof voice !== 'string' || !VOICES.includes(voice)) {
    return {
      message: `Invalid value: '${String(voice)}'. Supported values are: ${listed(VOICES)}.`,
      code: 'invalid_value',
      param: 'session.audio.output.voice',
    };
  }
  if (assistantAudioSent) {
    return {
      message: "Cannot update a conversation's voice if assistant audio is present.",
      code: 'cannot_update_voice',
      param: 'session.audio.output.voice',
    };
  }
  return undefined;
}

/** Why the GA API would refuse this `conversation.item.create` item, if it would (messages only here). */
export function itemProblem(item: unknown): ProtocolProblem | undefined {
  const role = isObject(item) ? item.role : undefined;
  if (!isObject(item) || item.type !== 'message' || !['user', 'assistant', 'system'].includes(String(role))) {
    return {
      message: "Invalid 'item': expected a message with role 'user', 'assistant' or 'system'.",
      code: 'invalid_value',
      param: 'item',
    };
  }
  const content = Array.isArray(item.content) ? item.content : [];
  // GA renamed the assistant's `text` part to `output_text`; the beta name is refused.
  const allowed =
    role === 'assistant' ? ['output_text', 'output_audio'] : ['input_text', 'input_audio', 'input_image'];
  const bad =
    content.length === 0
      ? 0
      : content.findIndex((part) => !isObject(part) || !allowed.includes(String(part.type)));
  if (bad < 0) return undefined;
  return {
    message: `Invalid value for 'item.content[${bad}].type'. Supported values are: ${listed(allowed)}.`,
    code: 'invalid_value',
    param: `item.content[${bad}].type`,
  };
}
