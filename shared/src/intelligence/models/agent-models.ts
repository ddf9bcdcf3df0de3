import { z } from 'zod';
import { AppError } from '../../core/index.ts';
import type { RequestContext, SecretService } from '../../governance/index.ts';
import type { Database } from '../../platform/index.ts';
import { type LanguageModel, MODEL_PROVIDERS, type ModelRegistry } from '../llm/index.ts';
import { checkModelEndpoint, type ModelEndpointPolicy } from './endpoint-policy.ts';
import { loadProvider, modelFor, scrubSecret, toRegistryConfig } from './provider-config.ts';

/*
 * How an agent names its models, in `config.llm`:
 *   { providerId: 'mpr_…', model?: 'gpt-4o-mini', fallbacks?: [{ providerId, model? }, { provider: 'offline' }] }
 * A stored provider (by id) carries the endpoint and the encrypted key; an inline entry names a
 * provider kind and model only (no endpoint, no key: those belong in a stored provider). Switching
 * an agent between OpenAI, Anthropic, an OpenAI-compatible endpoint and the offline model is a
 * change of this object alone. Without `config.llm` an agent uses the offline model.
 */

const modelName = z.string().trim().min(1).max(200);
const providerId = z.string().regex(/^mpr_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a model provider id (mpr_…)');

const entrySchema = z.union([
  z.strictObject({ providerId, model: modelName.optional() }),
  z.strictObject({ provider: z.enum(MODEL_PROVIDERS), model: modelName.optional() }),
]);

/** The `config.llm` object of an agent. */
export const agentLlmConfigSchema = z
  .union([
    z.strictObject({
      providerId,
      model: modelName.optional(),
      fallbacks: z.array(entrySchema).max(4).optional(),
    }),
    z.strictObject({
      provider: z.enum(MODEL_PROVIDERS),
      model: modelName.optional(),
      fallbacks: z.array(entrySchema).max(4).optional(),
    }),
  ])
  .describe('The agent model configuration (config.llm)');
export type AgentLlmConfig = z.infer<typeof agentLlmConfigSchema>;

/** One model of an agent's chain, as resolved. */
export interface ResolvedModelEntry {
  /** The stored provider it came from; null for an inline entry. */
  readonly providerId: string | null;
  readonly provider: string;
  readonly model: string;
}

/** An agent's primary model and fallbacks, in order, ready for the core. */
export interface ResolvedAgentModels {
  readonly models: readonly LanguageModel[];
  readonly entries: readonly ResolvedModelEntry[];
  /** Removes the chain's decrypted keys from a text (vendor error messages can quote them). */
  readonly redact: (text: string) => string;
}

/** An agent's model configuration cannot be used as it stands (the request itself was fine). */
export class AgentModelConfigError extends AppError {
  constructor(message: string, details: Record<string, unknown>) {
    super('conflict', message, { details });
    this.name = 'AgentModelConfigError';
  }
}

/** The minimum of an agent this needs (the orchestration layer's AgentView fits). */
export interface AgentModelSource {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Reads and validates `config.llm`; an agent without one gets the offline model. */
export function agentLlmConfig(agent: AgentModelSource): AgentLlmConfig {
  const raw = agent.config.llm;
  if (raw === undefined || raw === null) return { provider: 'offline' };
  const parsed = agentLlmConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AgentModelConfigError(`The agent's config.llm is invalid: ${z.prettifyError(parsed.error)}`, {
      agentId: agent.id,
      reason: 'invalid_llm_config',
    });
  }
  return parsed.data;
}

/**
 * Builds the agent's model chain from `config.llm`: stored providers are loaded and their keys
 * decrypted now (at call time, in one short tenant transaction), then handed to the registry. An
 * unknown or deleted provider, a provider without a model, or a refused endpoint is an
 * {@link AgentModelConfigError} (409) naming the entry.
 *
 * @example
 * const { models, entries } = await resolveAgentModels(db, secrets, registry, context, agent);
 * const reply = await generateText({ models, messages });
 */
export async function resolveAgentModels(
  db: Database,
  secrets: SecretService,
  registry: ModelRegistry,
  context: RequestContext,
  agent: AgentModelSource,
  options: { endpointPolicy?: ModelEndpointPolicy } = {},
): Promise<ResolvedAgentModels> {
  const config = agentLlmConfig(agent);
  const { fallbacks = [], ...primary } = config;
  const chain = [primary, ...fallbacks];
  const scope = {
    tenantId: context.tenantId,
    userId: context.actor.type === 'user' ? context.actor.id : null,
  };
  const configs = await db.withTenant(scope, async (tx) => {
    const out: { config: unknown; entry: ResolvedModelEntry }[] = [];
    for (const [position, item] of chain.entries()) {
      if ('providerId' in item) {
        const loaded = await loadProvider(tx, secrets, context, item.providerId);
        if (!loaded) {
          throw new AgentModelConfigError(
            `The agent's model provider ${item.providerId} does not exist (deleted?); update config.llm`,
            { agentId: agent.id, providerId: item.providerId, position, reason: 'provider_not_found' },
          );
        }
        const model = modelFor(loaded.row, item.model);
        if (model === undefined) {
          throw new AgentModelConfigError(
            `Model provider ${item.providerId} has no default model and config.llm names none`,
            { agentId: agent.id, providerId: item.providerId, position, reason: 'model_missing' },
          );
        }
        out.push({
          config: toRegistryConfig(loaded.row, model, loaded.apiKey),
          entry: { providerId: loaded.row.id, provider: loaded.row.provider, model },
        });
      } else {
        const model = item.model ?? (item.provider === 'offline' ? 'offline' : undefined);
        if (model === undefined) {
          throw new AgentModelConfigError(`config.llm names the ${item.provider} provider without a model`, {
            agentId: agent.id,
            position,
            reason: 'model_missing',
          });
        }
        out.push({
          config: { provider: item.provider, model },
          entry: { providerId: null, provider: item.provider, model },
        });
      }
    }
    return out;
  });
  const models: LanguageModel[] = [];
  for (const [position, { config: modelConfig, entry }] of configs.entries()) {
    const baseUrl = (modelConfig as { baseUrl?: unknown }).baseUrl;
    if (options.endpointPolicy && typeof baseUrl === 'string') {
      await checkModelEndpoint(baseUrl, options.endpointPolicy);
    }
    try {
      models.push(registry.languageModel(modelConfig));
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      throw new AgentModelConfigError(`Model ${position + 1} of the agent cannot be used: ${error.message}`, {
        agentId: agent.id,
        providerId: entry.providerId,
        position,
        reason: 'model_config_invalid',
      });
    }
  }
  const keys = configs.flatMap(({ config: modelConfig }) => {
    const apiKey = (modelConfig as { apiKey?: unknown }).apiKey;
    return typeof apiKey === 'string' ? [apiKey] : [];
  });
  return {
    models,
    entries: configs.map((item) => item.entry),
    redact: (text) => keys.reduce((scrubbed, key) => scrubSecret(scrubbed, key), text),
  };
}
