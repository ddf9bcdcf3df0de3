import { eq } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import type { RequestContext, SecretService } from '../../governance/index.ts';
import { type Tx, tables } from '../../platform/index.ts';
import type { ModelProviderConfig, ModelProviderName } from '../llm/index.ts';

/*
 * A stored provider (a `model_providers` row plus its encrypted API key) turned into the registry's
 * configuration object, with the key decrypted at call time and never kept.
 */

/** A stored `model_providers` row. */
export type ModelProviderRow = typeof tables.modelProviders.$inferSelect;

/** Provider-specific options stored in `settings`. */
export interface ModelProviderSettings {
  /** OpenAI-compatible: the name reported on replies and cost records (`ollama`, `vllm`, …). */
  providerName?: string;
  /** OpenAI-compatible: whether the server honours `response_format: json_schema`. */
  supportsStructuredOutputs?: boolean;
  /** Per-request timeout for this provider, in ms. */
  timeoutMs?: number;
}

/** Reads the known settings keys, ignoring anything else a row may hold. */
export function settingsOf(row: Pick<ModelProviderRow, 'settings'>): ModelProviderSettings {
  const raw = row.settings ?? {};
  return {
    ...(typeof raw.providerName === 'string' ? { providerName: raw.providerName } : {}),
    ...(typeof raw.supportsStructuredOutputs === 'boolean'
      ? { supportsStructuredOutputs: raw.supportsStructuredOutputs }
      : {}),
    ...(typeof raw.timeoutMs === 'number' ? { timeoutMs: raw.timeoutMs } : {}),
  };
}

/** The model a provider call uses: the explicit one, else the provider's default. */
export function modelFor(row: ModelProviderRow, model: string | undefined): string | undefined {
  return model ?? row.defaultModel ?? (row.provider === 'offline' ? 'offline' : undefined);
}

/** The registry configuration of a stored provider and model. */
export function toRegistryConfig(
  row: ModelProviderRow,
  model: string,
  apiKey: string | undefined,
): ModelProviderConfig {
  const settings = settingsOf(row);
  const hosted = {
    model,
    ...(row.baseUrl ? { baseUrl: row.baseUrl } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
  };
  const provider: ModelProviderName = row.provider;
  switch (provider) {
    case 'openai':
      return { provider: 'openai', ...hosted };
    case 'anthropic':
      return { provider: 'anthropic', ...hosted };
    case 'openai-compatible':
      return {
        provider: 'openai-compatible',
        ...hosted,
        baseUrl: row.baseUrl ?? '',
        ...(settings.providerName !== undefined ? { name: settings.providerName } : {}),
        ...(settings.supportsStructuredOutputs !== undefined
          ? { supportsStructuredOutputs: settings.supportsStructuredOutputs }
          : {}),
      };
    case 'offline':
      return { provider: 'offline', model };
  }
}

/** A provider row with its API key decrypted (inside the caller's tenant transaction). */
export interface LoadedProvider {
  readonly row: ModelProviderRow;
  readonly apiKey: string | undefined;
}

/** Loads a provider and decrypts its key; undefined when the tenant has no such provider. */
export async function loadProvider(
  tx: Tx,
  secrets: SecretService,
  context: RequestContext,
  id: string,
): Promise<LoadedProvider | undefined> {
  const [row] = await tx.select().from(tables.modelProviders).where(eq(tables.modelProviders.id, id));
  if (!row) return undefined;
  const apiKey = row.secretId ? await secrets.revealIn(tx, context, row.secretId) : undefined;
  return { row, apiKey };
}

/** Removes every occurrence of a secret from a text that may be shown (vendor error messages). */
export function scrubSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

/** The error when a provider needs a model and none is configured. */
export function missingModelError(providerId: string): AppError {
  return new AppError('validation_failed', 'No model given and the provider has no default model', {
    details: { providerId, reason: 'model_missing' },
  });
}
