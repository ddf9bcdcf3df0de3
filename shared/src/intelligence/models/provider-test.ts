import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { generateText, isModelCallError, type ModelCallListener } from '../llm/index.ts';
import { checkModelEndpoint } from './endpoint-policy.ts';
import {
  loadProvider,
  missingModelError,
  modelFor,
  scrubSecret,
  toRegistryConfig,
} from './provider-config.ts';
import type { ModelProviderDeps } from './provider-service.ts';

/** The outcome of a connection test: reached and answered, or why not. */
export interface ModelProviderTestResult {
  ok: boolean;
  providerId: string;
  /** The provider as reported by the model (an OpenAI-compatible endpoint's configured name). */
  provider: string;
  model: string;
  latencyMs: number;
  /** The start of the model's reply, when it answered. */
  reply?: string;
  error?: { kind: string; message: string; upstreamStatus?: number };
}

const TEST_TIMEOUT_MS = 15_000;
const REPLY_PREVIEW_CHARS = 200;

/**
 * Makes one minimal real call through a stored provider (its endpoint, its decrypted key, the
 * given or default model) and reports whether it answered. Vendor failures are results, not
 * errors; a refused endpoint or an unusable configuration is a 400. The key is scrubbed from any
 * message the vendor sent back.
 */
export async function testModelProvider(
  deps: ModelProviderDeps,
  context: RequestContext,
  id: string,
  options: { model?: string | undefined; onModelCall?: ModelCallListener } = {},
): Promise<ModelProviderTestResult> {
  const scope = {
    tenantId: context.tenantId,
    userId: context.actor.type === 'user' ? context.actor.id : null,
  };
  // The key is decrypted in a short transaction; the slow vendor call runs after it has ended.
  const loaded = await deps.db.withTenant(scope, (tx) => loadProvider(tx, deps.secrets, context, id));
  if (!loaded) throw new AppError('not_found', 'Model provider not found');
  const model = modelFor(loaded.row, options.model);
  if (model === undefined) throw missingModelError(id);
  if (loaded.row.baseUrl) await checkModelEndpoint(loaded.row.baseUrl, deps.endpointPolicy);
  const languageModel = deps.registry.languageModel(toRegistryConfig(loaded.row, model, loaded.apiKey));
  const startedAt = Date.now();
  try {
    const response = await generateText({
      model: languageModel,
      messages: [{ role: 'user', content: 'This is a connection test. Reply with the single word OK.' }],
      maxOutputTokens: 16,
      retry: { maxAttempts: 1 },
      timeoutMs: TEST_TIMEOUT_MS,
      metadata: { tenantId: context.tenantId },
      ...(options.onModelCall ? { onModelCall: options.onModelCall } : {}),
    });
    return {
      ok: true,
      providerId: id,
      provider: response.provider,
      model: response.modelId,
      latencyMs: Date.now() - startedAt,
      reply: scrubSecret(response.text, loaded.apiKey).slice(0, REPLY_PREVIEW_CHARS),
    };
  } catch (error) {
    if (!isModelCallError(error)) throw error;
    return {
      ok: false,
      providerId: id,
      provider: languageModel.provider,
      model,
      latencyMs: Date.now() - startedAt,
      error: {
        kind: error.kind,
        message: scrubSecret(error.message, loaded.apiKey),
        ...(error.upstreamStatus !== undefined ? { upstreamStatus: error.upstreamStatus } : {}),
      },
    };
  }
}
