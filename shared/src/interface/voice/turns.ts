import { z } from 'zod';
import type { CallTurn, CallTurnInput } from './views.ts';

/** Longest stored text of one turn; a longer one is cut (a turn is a sentence or three, not a novel). */
export const TURN_TEXT_LIMIT = 8000;
/** Most turns stored per call; later appends are dropped (and reported) rather than growing the row. */
export const MAX_TURNS_PER_CALL = 2000;

const text = z
  .string()
  .nullish()
  // Postgres text and jsonb refuse NUL; a transcript never needs one.
  .transform((value) => (value == null ? null : value.replaceAll('\u0000', '').slice(0, TURN_TEXT_LIMIT)));
const millis = z
  .number()
  .finite()
  .nonnegative()
  .max(3_600_000)
  .nullish()
  .transform((value) => value ?? null);

const turnInput = z.object({
  callerText: text,
  assistantText: text,
  heardText: text,
  interrupted: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
  latencyMs: z
    .object({
      speechEndToSttFinal: millis,
      sttFinalToLlmFirstToken: millis,
      llmFirstTokenToTtsFirstByte: millis,
      ttsFirstByteToFirstFrame: millis,
      totalResponse: millis,
      serverAddedMs: z
        .number()
        .finite()
        .min(-3_600_000)
        .max(3_600_000)
        .nullish()
        .transform((value) => value ?? null),
    })
    .partial()
    .nullish(),
  bargeInReactionMs: millis,
});

/**
 * The stored form of a turn without its index (assigned by the append). Throws a `ZodError` on values
 * that are not numbers or strings where they should be; the store maps it to a 400.
 */
export function normaliseTurn(input: CallTurnInput, at: Date): Omit<CallTurn, 'index'> {
  const parsed = turnInput.parse(input);
  const latency = parsed.latencyMs ?? {};
  return {
    callerText: parsed.callerText,
    assistantText: parsed.assistantText,
    heardText: parsed.heardText,
    interrupted: parsed.interrupted,
    latencyMs: {
      speechEndToSttFinal: latency.speechEndToSttFinal ?? null,
      sttFinalToLlmFirstToken: latency.sttFinalToLlmFirstToken ?? null,
      llmFirstTokenToTtsFirstByte: latency.llmFirstTokenToTtsFirstByte ?? null,
      ttsFirstByteToFirstFrame: latency.ttsFirstByteToFirstFrame ?? null,
      totalResponse: latency.totalResponse ?? null,
      serverAddedMs: latency.serverAddedMs ?? null,
    },
    bargeInReactionMs: parsed.bargeInReactionMs,
    at: at.toISOString(),
  };
}
