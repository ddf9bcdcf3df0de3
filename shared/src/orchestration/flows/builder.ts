import { createModelCallRecorder } from '../../analytics/index.ts';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import {
  generateObject,
  type LanguageModel,
  type ModelCallHooks,
  type ModelProviderDeps,
  resolveAgentModels,
} from '../../intelligence/index.ts';
import type { AgentService } from '../agents.ts';
import { draftFromTemplates, type FlowTemplateName } from './builder-templates.ts';
import { FlowDefinition } from './definition.ts';
import type { FlowService, FlowWithFindings } from './service.ts';
import type { FlowFinding } from './validation-types.ts';

/** What the natural-language builder needs. */
export interface FlowBuilderDeps {
  readonly flows: FlowService;
  readonly agents: Pick<AgentService, 'get'>;
  /** Model access (stored providers, secrets, registry, endpoint policy) for agents with hosted models. */
  readonly models: ModelProviderDeps;
  readonly hooks?: ModelCallHooks;
  /** Tool names to offer the model (it may use only these). */
  readonly toolNames?: readonly string[];
}

export interface GenerateFlowInput {
  description: string;
  agentId?: string | undefined;
  name?: string | undefined;
  /** Also store the draft as a new flow (name must be unique in the tenant). */
  save?: boolean | undefined;
}

/** A generated draft, its validation, how it was made and (when saved) the stored flow. */
export interface GeneratedFlow {
  name: string;
  agentId: string | null;
  source: 'model' | 'templates';
  /** The templates the offline builder used (empty for model drafts). */
  templates: FlowTemplateName[];
  /** The model that wrote the draft, for model drafts. */
  model: { provider: string; modelId: string } | null;
  draft: FlowDefinition;
  valid: boolean;
  findings: FlowFinding[];
  flow: FlowWithFindings | null;
}

const NODE_GUIDE = `You design conversation flows for a customer-service agent as JSON.
A flow has "start" (a node id) and "nodes". Every node has an "id" (letters, digits, _ or -, starting with a letter) and a "type":
- message {text, next}: say text.
- collect {slot, prompt, valueType: string|number|integer|boolean|email|phone|date|enum|regex, options (enum), pattern (regex), next, onFail}: ask and store slots.<slot>.
- llm {instructions, tools?, saveAs?, next}: let the model answer.
- intent_router {routes: [{intent, next}], fallback}: branch on what the user wants.
- condition {branches: [{when, next}], else}: branch on an expression.
- tool {tool, input: {field: expression}, saveAs?, next, onError?}: call a tool; the result lands in vars.<saveAs>.
- approval {action, data: {field: expression}, saveAs?, message?, next, onReject, onExpire}: wait for a person to approve.
- handoff {reason, summary?, message?}: hand over to a human (ends the flow).
- set {assign: {name: expression}, next}; end {message?}: finish.
Text fields are templates with {{slots.x}} or {{vars.x.y}} placeholders (paths only). Expressions use slots.x, vars.x, input.text, literals, == != < > && || ! and the functions contains, startsWith, endsWith, lower, upper, len, number, matches.
Every next/onFail/onError/onReject/onExpire/fallback/else must name a defined node. Include an end or handoff node; route failures to a handoff node.`;

function deriveName(description: string): string {
  const words = description.replace(/\s+/g, ' ').trim().split(' ').slice(0, 8).join(' ');
  const base = words.replace(/[.,;:!?]+$/, '') || 'Generated flow';
  return (base.charAt(0).toUpperCase() + base.slice(1)).slice(0, 200);
}

function modelWarning(message: string): FlowFinding {
  return { severity: 'warning', code: 'model_unavailable', nodeId: null, message };
}

/**
 * The natural-language flow builder: a plain-English description becomes a validated draft. With an
 * agent whose configured models include a hosted one, the model writes the definition through
 * `generateObject` with the FlowDefinition schema (one repair attempt on invalid output); otherwise, or
 * when the model fails, the offline template builder does (see `builder-templates.ts`).
 */
export function createFlowBuilder(deps: FlowBuilderDeps) {
  async function modelsFor(context: RequestContext, agentId: string, notes: FlowFinding[]) {
    let agent: Awaited<ReturnType<FlowBuilderDeps['agents']['get']>>;
    try {
      agent = await deps.agents.get(context, agentId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        throw new AppError('validation_failed', `agentId: agent ${agentId} does not exist`, {
          details: { issues: [{ path: 'agentId', message: 'agent not found' }] },
        });
      }
      throw error;
    }
    try {
      const { db, secrets, registry, endpointPolicy } = deps.models;
      const resolved = await resolveAgentModels(db, secrets, registry, context, agent, { endpointPolicy });
      const hosted = resolved.entries.some((entry) => entry.provider !== 'offline');
      return hosted ? resolved.models : null;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      notes.push(
        modelWarning(
          `The agent's models cannot be used (${error.message}); the offline builder wrote the draft`,
        ),
      );
      return null;
    }
  }

  async function fromModel(
    context: RequestContext,
    models: readonly LanguageModel[],
    input: GenerateFlowInput,
  ) {
    const tools = deps.toolNames?.length
      ? `\nAvailable tools: ${deps.toolNames.join(', ')}. Use no others.`
      : '';
    const recorder = createModelCallRecorder(deps.models.db, context, {
      attribution: input.agentId ? { agentId: input.agentId } : {},
    });
    try {
      const result = await generateObject({
        models,
        schema: FlowDefinition,
        schemaName: 'flow_definition',
        schemaDescription: 'A LuMay conversation flow definition',
        system: NODE_GUIDE + tools,
        messages: [{ role: 'user', content: `Design a flow for this description:\n${input.description}` }],
        temperature: 0.2,
        metadata: { tenantId: context.tenantId, ...(input.agentId ? { agentId: input.agentId } : {}) },
        onModelCall: recorder.listener,
        ...(deps.hooks ? { hooks: deps.hooks } : {}),
      });
      return {
        definition: result.object,
        model: { provider: result.response.provider, modelId: result.response.modelId },
      };
    } finally {
      await recorder.flush();
    }
  }

  return {
    async generate(context: RequestContext, input: GenerateFlowInput): Promise<GeneratedFlow> {
      const agentId = input.agentId ?? null;
      const notes: FlowFinding[] = [];
      const models = agentId ? await modelsFor(context, agentId, notes) : null;
      let built: Pick<GeneratedFlow, 'source' | 'templates' | 'model'> & { definition: FlowDefinition };
      let made: Awaited<ReturnType<typeof fromModel>> | null = null;
      if (models) {
        try {
          made = await fromModel(context, models, input);
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          notes.push(
            modelWarning(
              `The model could not write the flow (${error.message}); the offline builder wrote the draft`,
            ),
          );
        }
      }
      if (made) {
        built = { source: 'model', templates: [], model: made.model, definition: made.definition };
      } else {
        const offline = draftFromTemplates(input.description);
        notes.push(...offline.findings);
        built = {
          source: 'templates',
          templates: offline.templates,
          model: null,
          definition: offline.definition,
        };
      }
      const name = input.name ?? deriveName(input.description);
      const validation = await deps.flows.validateDefinition(context, built.definition, agentId);
      const findings = [...notes, ...validation.findings];
      const flow = input.save
        ? await deps.flows.create(context, {
            name,
            agentId,
            description: input.description.slice(0, 2000),
            definition: built.definition,
          })
        : null;
      const { definition, ...how } = built;
      return { name, agentId, ...how, draft: definition, valid: validation.valid, findings, flow };
    },
  };
}

export type FlowBuilder = ReturnType<typeof createFlowBuilder>;
