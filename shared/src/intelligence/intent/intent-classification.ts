import { z } from 'zod';
import { createModelCallRecorder } from '../../analytics/index.ts';
import type { RequestContext, SecretService } from '../../governance/index.ts';
import type { Database } from '../../platform/index.ts';
import {
  generateObject,
  isModelCallError,
  type LanguageModel,
  type ModelCallHooks,
  type ModelCallListener,
  type ModelRegistry,
  StructuredOutputError,
} from '../llm/index.ts';
import { type AgentModelSource, type ModelEndpointPolicy, resolveAgentModels } from '../models/index.ts';
import type { IntentService } from './intent-service.ts';
import {
  createLocalIntentClassifier,
  DEFAULT_INTENT_THRESHOLD,
  type IntentDefinition,
  NO_INTENT,
} from './local-classifier.ts';

/** A classification: the intent (or `none`), how sure, and who decided. */
export interface IntentClassification {
  intent: string;
  /** Calibrated probability for local answers; the model's own estimate (or null) for LLM answers. */
  confidence: number | null;
  source: 'local' | 'llm';
  /** The local classifier's view, always computed first. */
  local: { intent: string; confidence: number };
  /** Set when the LLM was needed but failed: the local answer is returned instead. */
  llmError?: string;
}

/** Dependencies of the classification service. */
export interface IntentClassificationDeps {
  readonly db: Database;
  readonly secrets: SecretService;
  readonly registry: ModelRegistry;
  readonly endpointPolicy: ModelEndpointPolicy;
  readonly intents: IntentService;
  readonly hooks?: ModelCallHooks;
}

/** The agent's configured threshold (`config.intents.threshold`), else the default. */
export function intentThresholdOf(agent: AgentModelSource): number {
  const settings = agent.config.intents;
  const value =
    typeof settings === 'object' && settings !== null
      ? (settings as { threshold?: unknown }).threshold
      : undefined;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : DEFAULT_INTENT_THRESHOLD;
}

function classifierPrompt(definitions: readonly IntentDefinition[]): string {
  const lines = definitions.map((definition) => {
    const examples = definition.examples
      .slice(0, 5)
      .map((example) => JSON.stringify(example))
      .join(', ');
    return `- ${definition.name}${definition.description ? `: ${definition.description}` : ''}${examples ? ` (e.g. ${examples})` : ''}`;
  });
  return (
    'Classify the customer\'s message into exactly one of these intents, or "none" when none fits:\n' +
    `${lines.join('\n')}\n` +
    'Answer with the intent name and your confidence between 0 and 1.'
  );
}

/** Asks the agent's models to pick an intent from the enum of names plus `none`. */
async function classifyWithModels(
  models: readonly LanguageModel[],
  definitions: readonly IntentDefinition[],
  text: string,
  settings: { onModelCall: ModelCallListener; hooks?: ModelCallHooks; metadata: Record<string, string> },
): Promise<{ intent: string; confidence: number | null }> {
  const [first = NO_INTENT, ...rest] = [...definitions.map((definition) => definition.name), NO_INTENT];
  const schema = z.object({
    intent: z.enum([first, ...rest]).describe('The intent of the message'),
    confidence: z.number().min(0).max(1).optional().describe('How sure you are, 0–1'),
  });
  const { object } = await generateObject({
    models,
    schema,
    schemaName: 'intent',
    system: classifierPrompt(definitions),
    messages: [{ role: 'user', content: text }],
    temperature: 0,
    metadata: settings.metadata,
    onModelCall: settings.onModelCall,
    ...(settings.hooks ? { hooks: settings.hooks } : {}),
  });
  return { intent: object.intent, confidence: object.confidence ?? null };
}

/**
 * Intent classification for an agent: the local TF-IDF classifier answers when its calibrated
 * confidence reaches the threshold; otherwise the agent's configured models choose (structured
 * output with an enum of the intent names plus `none`), their calls priced like any other.
 */
export function createIntentClassificationService(deps: IntentClassificationDeps) {
  return {
    async classify(
      context: RequestContext,
      agent: AgentModelSource,
      text: string,
      options: { threshold?: number | undefined } = {},
    ): Promise<IntentClassification> {
      const definitions = await deps.intents.definitions(context, agent.id);
      if (definitions.length === 0) {
        // Nothing to choose from: no model call can do better than "none".
        return {
          intent: NO_INTENT,
          confidence: 1,
          source: 'local',
          local: { intent: NO_INTENT, confidence: 1 },
        };
      }
      const local = createLocalIntentClassifier(definitions).classify(text);
      const threshold = options.threshold ?? intentThresholdOf(agent);
      const localView = { intent: local.intent, confidence: local.confidence };
      if (local.confidence >= threshold) {
        return { intent: local.intent, confidence: local.confidence, source: 'local', local: localView };
      }
      const { models } = await resolveAgentModels(deps.db, deps.secrets, deps.registry, context, agent, {
        endpointPolicy: deps.endpointPolicy,
      });
      const recorder = createModelCallRecorder(deps.db, context, { attribution: { agentId: agent.id } });
      try {
        const answer = await classifyWithModels(models, definitions, text, {
          onModelCall: recorder.listener,
          ...(deps.hooks ? { hooks: deps.hooks } : {}),
          metadata: { tenantId: context.tenantId, agentId: agent.id },
        });
        return { ...answer, source: 'llm', local: localView };
      } catch (error) {
        if (!isModelCallError(error) && !(error instanceof StructuredOutputError)) throw error;
        return {
          intent: local.intent,
          confidence: local.confidence,
          source: 'local',
          local: localView,
          // Vendor messages are not echoed (they can quote request details); the kind says enough.
          llmError: isModelCallError(error)
            ? `the model call failed (${error.kind})`
            : 'the model reply did not match the intent schema',
        };
      } finally {
        await recorder.flush();
      }
    },
  };
}

export type IntentClassificationService = ReturnType<typeof createIntentClassificationService>;
