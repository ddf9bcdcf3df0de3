import { AppError } from '../../core/index.ts';
import { ModelCallError, type ModelCallErrorKind } from './errors.ts';
import { type ModelCallContext, type ModelCallHooks, type ModelOperation, runBeforeSteps } from './hooks.ts';
import type {
  FinishReason,
  LanguageModel,
  LanguageModelRequest,
  ModelCallMetadata,
} from './language-model.ts';
import { DEFAULT_RETRY_POLICY, defaultSleep, type RetryPolicy, retryDelayMs, type Sleep } from './retry.ts';

/** One attempt of one model call, for cost capture and monitoring. */
export interface ModelCallRecord {
  readonly operation: ModelOperation;
  readonly provider: string;
  readonly modelId: string;
  /** The model's position in the fallback chain (0 = the primary). */
  readonly modelIndex: number;
  /** 1-based attempt on this model. */
  readonly attempt: number;
  readonly outcome: 'success' | 'error' | 'aborted';
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly latencyMs: number;
  readonly finishReason?: FinishReason;
  readonly errorKind?: ModelCallErrorKind;
  readonly metadata: ModelCallMetadata;
}

/** Receives a record per attempt; errors it throws (or rejects with) are ignored, so handle them inside. */
export type ModelCallListener = (record: ModelCallRecord) => void | Promise<void>;

/** How the core makes calls: hooks, usage capture, retries, timeout, abort. */
export interface ModelCallSettings {
  readonly hooks?: ModelCallHooks;
  readonly onModelCall?: ModelCallListener;
  readonly retry?: Partial<RetryPolicy>;
  /** Per attempt; for streams, the longest wait for the next part. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Injectable for tests. */
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

/** One model, or a fallback chain tried in order. */
export type ModelSelection =
  | { readonly model: LanguageModel; readonly models?: undefined }
  | { readonly models: readonly LanguageModel[]; readonly model?: undefined };

/** Resolves the selection to a non-empty chain. */
export function modelsOf(selection: ModelSelection): readonly LanguageModel[] {
  const models = selection.model ? [selection.model] : (selection.models ?? []);
  if (models.length === 0)
    throw new AppError('bad_request', 'A model call needs a model or a non-empty models chain');
  return models;
}

/** The request fields of a core options object (which also holds models and settings). */
export function toModelRequest(options: LanguageModelRequest): LanguageModelRequest {
  return {
    messages: options.messages,
    ...(options.system !== undefined ? { system: options.system } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
    ...(options.tools !== undefined ? { tools: options.tools } : {}),
    ...(options.toolChoice !== undefined ? { toolChoice: options.toolChoice } : {}),
    ...(options.responseFormat !== undefined ? { responseFormat: options.responseFormat } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.maxOutputTokens !== undefined ? { maxOutputTokens: options.maxOutputTokens } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
  };
}

/** Calls the listener without letting it fail or slow the model call. */
export function emitRecord(listener: ModelCallListener | undefined, record: ModelCallRecord): void {
  if (!listener) return;
  try {
    const result = listener(record);
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // A broken usage sink must never break the conversation.
  }
}

/**
 * The signal of one attempt: aborts when the caller's signal does, or when no progress was seen
 * for `timeoutMs` (the timer restarts on `touch()`, so a stream may run long while it moves).
 */
export class AttemptSignal {
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #timeoutMs: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;
  readonly #onParentAbort = () => this.#controller.abort(this.#parent?.reason);

  constructor(parent: AbortSignal | undefined, timeoutMs: number | undefined) {
    this.#parent = parent;
    this.#timeoutMs = timeoutMs;
    if (parent?.aborted) this.#controller.abort(parent.reason);
    else parent?.addEventListener('abort', this.#onParentAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Restarts the timeout. */
  touch(): void {
    if (this.#timeoutMs === undefined || this.#controller.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(new DOMException('The model call timed out', 'TimeoutError'));
    }, this.#timeoutMs);
  }

  /** Aborts the attempt (e.g. when the consumer stops reading a stream). */
  abort(): void {
    this.#controller.abort(new DOMException('The model call was cancelled', 'AbortError'));
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }
}

/** Turns whatever an attempt threw into the error the chain reasons about. */
export function normalizeAttemptError(
  error: unknown,
  model: LanguageModel,
  attemptSignal: AttemptSignal,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): ModelCallError {
  const base = { provider: model.provider, modelId: model.modelId, cause: error };
  if (callerSignal?.aborted) {
    return new ModelCallError({
      ...base,
      kind: 'aborted',
      message: `${model.provider}: the call was aborted`,
    });
  }
  if (attemptSignal.timedOut) {
    return new ModelCallError({
      ...base,
      kind: 'timeout',
      message: `${model.provider}: no answer within ${timeoutMs ?? 0} ms`,
    });
  }
  if (error instanceof ModelCallError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ModelCallError({ ...base, kind: 'unknown', message: `${model.provider}: ${message}` });
}

/** Everything an attempt needs. */
export interface Attempt {
  readonly model: LanguageModel;
  readonly modelIndex: number;
  readonly attempt: number;
  readonly request: LanguageModelRequest;
  readonly signal: AttemptSignal;
  readonly startedAt: number;
  readonly context: ModelCallContext;
}

/** The successful attempt and its value; the caller owns (and disposes) `attempt.signal`. */
export interface ChainSuccess<T> {
  readonly value: T;
  readonly attempt: Attempt;
}

/**
 * Runs `run` down the fallback chain: before-steps once per model, retries with backoff on
 * retryable failures, the next model on anything else. A caller abort stops everything; a hook
 * error propagates untouched. Failed attempts are recorded here, successful ones by the caller
 * (which knows the usage). Throws the last model's last error when the chain is exhausted.
 */
export async function runModelChain<T>(options: {
  readonly models: readonly LanguageModel[];
  readonly operation: ModelOperation;
  readonly request: LanguageModelRequest;
  readonly settings: ModelCallSettings;
  readonly records: ModelCallRecord[];
  /** Chain position of `models[0]` (when a call resumes further down a chain). */
  readonly firstModelIndex?: number;
  readonly run: (attempt: Attempt) => Promise<T>;
}): Promise<ChainSuccess<T>> {
  const { settings } = options;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...settings.retry };
  const sleep = settings.sleep ?? defaultSleep;
  const metadata = options.request.metadata ?? {};
  let lastError: ModelCallError | undefined;

  for (const [position, model] of options.models.entries()) {
    const modelIndex = position + (options.firstModelIndex ?? 0);
    const context: ModelCallContext = {
      operation: options.operation,
      provider: model.provider,
      modelId: model.modelId,
      modelIndex,
      metadata,
    };
    const request = await runBeforeSteps(settings.hooks, options.request, context);
    for (let attempt = 1; ; attempt += 1) {
      if (settings.signal?.aborted) {
        throw new ModelCallError({
          kind: 'aborted',
          message: `${model.provider}: the call was aborted`,
          provider: model.provider,
          modelId: model.modelId,
          cause: settings.signal.reason,
        });
      }
      const signal = new AttemptSignal(settings.signal, settings.timeoutMs);
      const startedAt = Date.now();
      try {
        const value = await options.run({ model, modelIndex, attempt, request, signal, startedAt, context });
        return { value, attempt: { model, modelIndex, attempt, request, signal, startedAt, context } };
      } catch (raw) {
        signal.dispose();
        const error = normalizeAttemptError(raw, model, signal, settings.signal, settings.timeoutMs);
        const record: ModelCallRecord = {
          operation: options.operation,
          provider: model.provider,
          modelId: model.modelId,
          modelIndex,
          attempt,
          outcome: error.kind === 'aborted' ? 'aborted' : 'error',
          inputTokens: 0,
          outputTokens: 0,
          latencyMs: Date.now() - startedAt,
          errorKind: error.kind,
          metadata,
        };
        options.records.push(record);
        emitRecord(settings.onModelCall, record);
        if (settings.signal?.aborted) throw error;
        lastError = error;
        const delay = retryDelayMs(attempt, error, policy, settings.random);
        if (delay === undefined) break;
        try {
          await sleep(delay, settings.signal);
        } catch (sleepError) {
          throw normalizeAttemptError(sleepError, model, signal, settings.signal, settings.timeoutMs);
        }
      }
    }
  }
  throw lastError ?? new AppError('internal_error', 'The model chain ended without an attempt');
}
