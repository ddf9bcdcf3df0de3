import { AppError, type ErrorCode } from '../../core/index.ts';

/** What went wrong with a model call, independent of the vendor. */
export type ModelCallErrorKind =
  | 'rate-limit'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'network'
  | 'aborted'
  | 'authentication'
  | 'permission'
  | 'not-found'
  | 'invalid-request'
  | 'invalid-response'
  | 'content-filter'
  | 'unknown';

const RETRYABLE_KINDS: ReadonlySet<ModelCallErrorKind> = new Set([
  'rate-limit',
  'overloaded',
  'server',
  'timeout',
  'network',
]);

/** Whether failures of this kind are worth retrying on the same model. */
export function isRetryableKind(kind: ModelCallErrorKind): boolean {
  return RETRYABLE_KINDS.has(kind);
}

function codeFor(kind: ModelCallErrorKind): ErrorCode {
  // Upstream trouble is our 503; a request the vendor refuses is our bug or misconfiguration.
  if (RETRYABLE_KINDS.has(kind) || kind === 'authentication' || kind === 'permission') {
    return 'service_unavailable';
  }
  if (kind === 'content-filter') return 'bad_request';
  return 'internal_error';
}

/** Which model something belongs to. */
export interface ModelIdentity {
  readonly provider: string;
  readonly modelId: string;
}

/** Construction parameters of a {@link ModelCallError}. */
export interface ModelCallErrorInit {
  readonly kind: ModelCallErrorKind;
  readonly message: string;
  readonly provider: string;
  readonly modelId: string;
  /** HTTP status from the vendor, when there was a response. */
  readonly status?: number;
  /** Defaults from the kind (429, 5xx, network and timeout are retryable). */
  readonly retryable?: boolean;
  /** How long the vendor asked us to wait (retry-after / retry-after-ms headers). */
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  readonly cause?: unknown;
}

/**
 * Every failure of a model call, from any adapter. The core retries it when `retryable`, waiting at
 * least `retryAfterMs`, and moves down the fallback chain otherwise.
 */
export class ModelCallError extends AppError {
  readonly kind: ModelCallErrorKind;
  readonly provider: string;
  readonly modelId: string;
  readonly upstreamStatus: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;

  constructor(init: ModelCallErrorInit) {
    super(codeFor(init.kind), init.message, {
      cause: init.cause,
      details: { provider: init.provider, modelId: init.modelId, kind: init.kind },
    });
    this.name = 'ModelCallError';
    this.kind = init.kind;
    this.provider = init.provider;
    this.modelId = init.modelId;
    this.upstreamStatus = init.status;
    this.retryable = init.retryable ?? isRetryableKind(init.kind);
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
  }
}

/** Narrowing helper for catch blocks. */
export function isModelCallError(error: unknown): error is ModelCallError {
  return error instanceof ModelCallError;
}

/** One validation problem of a structured reply (a zod issue, reduced to what callers need). */
export interface StructuredOutputIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The model's structured reply did not match the schema, even after the one repair attempt.
 * `text` is the last reply; it is kept off `details` so API errors never echo model output.
 */
export class StructuredOutputError extends AppError {
  readonly issues: readonly StructuredOutputIssue[];
  readonly text: string;
  readonly provider: string;
  readonly modelId: string;

  constructor(init: {
    issues: readonly StructuredOutputIssue[];
    text: string;
    provider: string;
    modelId: string;
  }) {
    super(
      'internal_error',
      `The model's structured reply did not match the schema after one repair attempt`,
      {
        details: { issues: init.issues, provider: init.provider, modelId: init.modelId },
      },
    );
    this.name = 'StructuredOutputError';
    this.issues = init.issues;
    this.text = init.text;
    this.provider = init.provider;
    this.modelId = init.modelId;
  }
}

/** A model configuration that cannot be used (unknown provider, missing key, bad field). */
export class ModelConfigError extends AppError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', message, { details });
    this.name = 'ModelConfigError';
  }
}
