import { newId } from '../core/index.ts';
import type { RequestContext } from '../governance/index.ts';
import { type Database, type Tx, tables } from '../platform/index.ts';
import { type ModelCost, priceModelCall } from './prices.ts';

/*
 * Cost capture: one `model_calls` row per model-call attempt (failed attempts and fallbacks
 * included, with their tokens, usually 0), priced from the versioned table. The shape accepted here
 * is structural, so this layer does not depend on the intelligence layer: the core's
 * `ModelCallRecord` fits it as is.
 */

/** What a model call reports (the intelligence core's `ModelCallRecord` satisfies this). */
export interface ModelCallUsage {
  readonly operation: string;
  readonly provider: string;
  readonly modelId: string;
  readonly outcome: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly latencyMs: number;
  readonly metadata?: { readonly agentId?: string | undefined; readonly conversationId?: string | undefined };
}

/** Where a call is attributed; defaults to the record's metadata (never its tenant: that is the context's). */
export interface ModelCallAttribution {
  readonly agentId?: string | null;
  readonly conversationId?: string | null;
}

/** A stored cost record. */
export interface RecordedModelCall extends ModelCost {
  readonly id: string;
}

function scopeOf(context: RequestContext) {
  return { tenantId: context.tenantId, userId: context.actor.type === 'user' ? context.actor.id : null };
}

const clampInt = (value: number) =>
  Number.isFinite(value) ? Math.max(0, Math.min(2_147_483_647, Math.round(value))) : 0;

/** Inserts one priced cost record in the caller's transaction (append-only: the app role may not update it). */
export async function insertModelCall(
  tx: Tx,
  context: RequestContext,
  usage: ModelCallUsage,
  attribution: ModelCallAttribution = {},
): Promise<RecordedModelCall> {
  const cost = priceModelCall(usage.provider, usage.modelId, usage.inputTokens, usage.outputTokens);
  const id = newId('modelCall');
  await tx.insert(tables.modelCalls).values({
    id,
    tenantId: context.tenantId,
    agentId: attribution.agentId ?? usage.metadata?.agentId ?? null,
    conversationId: attribution.conversationId ?? usage.metadata?.conversationId ?? null,
    provider: usage.provider,
    model: usage.modelId,
    operation: usage.operation,
    inputTokens: clampInt(usage.inputTokens),
    outputTokens: clampInt(usage.outputTokens),
    latencyMs: clampInt(usage.latencyMs),
    costUsd: cost.costUsd.toFixed(8),
    priceVersion: cost.priceVersion,
    outcome: usage.outcome,
  });
  return { id, ...cost };
}

/**
 * Records one model call: in the caller's transaction when given one, else in its own.
 *
 * @example
 * await recordModelCall(db, context, record, { agentId });
 */
export function recordModelCall(
  target: Database | Tx,
  context: RequestContext,
  usage: ModelCallUsage,
  attribution: ModelCallAttribution = {},
): Promise<RecordedModelCall> {
  if ('withTenant' in target) {
    return target.withTenant(scopeOf(context), (tx) => insertModelCall(tx, context, usage, attribution));
  }
  return insertModelCall(target, context, usage, attribution);
}

/** A usage listener bound to one request, and a way to wait until what it received is stored. */
export interface ModelCallRecorder {
  /** Pass as `onModelCall`; never throws (a failed write is reported through `onError`). */
  readonly listener: (usage: ModelCallUsage) => Promise<void>;
  /** Resolves when every record received so far is written (or has failed). */
  flush(): Promise<void>;
  /** Cost records written so far, in arrival order. */
  readonly recorded: readonly RecordedModelCall[];
}

/**
 * The `onModelCall` factory the complete endpoint and the orchestration layer share: each record
 * is priced and written in its own short transaction (never inside the caller's, which may be
 * rolled back while the tokens were still spent). Call `flush()` before answering, so the costs of
 * a reply are visible once the reply is.
 */
export function createModelCallRecorder(
  db: Database,
  context: RequestContext,
  options: { attribution?: ModelCallAttribution; onError?: (error: unknown) => void } = {},
): ModelCallRecorder {
  const pending = new Set<Promise<void>>();
  const recorded: RecordedModelCall[] = [];
  const onError =
    options.onError ??
    ((error: unknown) =>
      console.error(
        JSON.stringify({
          level: 'error',
          message: 'model call cost record failed',
          requestId: context.requestId,
          error: error instanceof Error ? error.message : String(error),
        }),
      ));
  return {
    recorded,
    listener(usage) {
      const write = recordModelCall(db, context, usage, options.attribution).then(
        (row) => {
          recorded.push(row);
        },
        (error: unknown) => onError(error),
      );
      pending.add(write);
      void write.finally(() => pending.delete(write));
      return write;
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
