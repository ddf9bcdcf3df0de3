import type { RequestContext } from '../../governance/index.ts';
import type { AgentService, AgentView } from '../agents.ts';
import { billingSpecialistFlow } from './billing-flow.ts';
import { demoSupportFlow } from './demo-flow.ts';
import { DEMO_INTENTS } from './demo-intents.ts';

/** What seeding the demo flows needs (the flow, agent and intent services fit). */
export interface DemoSeedDeps {
  readonly agents: Pick<AgentService, 'create' | 'update'>;
  readonly flows: {
    create(
      context: RequestContext,
      input: { name: string; description?: string | null; agentId?: string | null; definition: unknown },
    ): Promise<{ id: string }>;
    publish(context: RequestContext, id: string, input?: { note?: string | null }): Promise<unknown>;
  };
  readonly intents?: {
    create(
      context: RequestContext,
      agentId: string,
      input: { name: string; description?: string | null; examples: string[] },
    ): Promise<unknown>;
  };
  /** Knowledge bases the FAQ node answers from (the demo tenant's, when it has any). */
  readonly knowledgeBaseIds?: readonly string[];
}

/** What was seeded. */
export interface DemoSeedReport {
  flowId: string;
  billingAgentId: string;
  billingFlowId: string;
}

/**
 * The demo agent's phone settings (`config.voice`): the offline speech pair, the phrases the demo flow
 * expects (the offline recognizer is restricted to them), and where handoffs are transferred.
 */
export const DEMO_VOICE_SETTINGS = {
  stt: { provider: 'local' },
  tts: { provider: 'local' },
  hints: [
    'check my order status',
    'order status',
    'where is my order',
    'talk to a human',
    'human please',
    'I want a refund',
    'billing',
    'no',
    'no thanks',
    'yes',
    'goodbye',
  ],
  transfer: { default: '+15550100999', queues: { support: '+15550100999' } },
};

/**
 * Seeds the demo flows once: a "Billing specialist" agent with its flow, the demo support flow for the
 * demo agent (published as v1 and selected in `config.flow`), and the router's intents. Skipped when
 * the demo agent already has a flow. Everything goes through the normal services, so it is audited.
 */
export async function seedDemoFlows(
  deps: DemoSeedDeps,
  context: RequestContext,
  demoAgent: AgentView,
): Promise<DemoSeedReport | null> {
  if (demoAgent.config.flow) return null;
  const billing = await deps.agents.create(context, {
    name: 'Billing specialist',
    description: 'Answers billing questions delegated by the demo support agent',
    status: 'active',
    config: { llm: { provider: 'offline' } },
  });
  const billingFlow = await deps.flows.create(context, {
    name: 'Billing specialist',
    description: 'Delegated billing questions; hands a summary back',
    agentId: billing.id,
    definition: billingSpecialistFlow(),
  });
  await deps.flows.publish(context, billingFlow.id, { note: 'seeded' });
  await deps.agents.update(context, billing.id, {
    config: { ...billing.config, flow: { flowId: billingFlow.id } },
  });

  for (const intent of DEMO_INTENTS) {
    await deps.intents?.create(context, demoAgent.id, {
      name: intent.name,
      description: intent.description,
      examples: [...intent.examples],
    });
  }
  const flow = await deps.flows.create(context, {
    name: 'Demo support',
    description: 'Order status, returns with approval, FAQ, billing delegation and handoff',
    agentId: demoAgent.id,
    definition: demoSupportFlow({
      billingAgentId: billing.id,
      ...(deps.knowledgeBaseIds ? { knowledgeBaseIds: deps.knowledgeBaseIds } : {}),
    }),
  });
  await deps.flows.publish(context, flow.id, { note: 'seeded' });
  await deps.agents.update(context, demoAgent.id, {
    config: { ...demoAgent.config, flow: { flowId: flow.id }, voice: DEMO_VOICE_SETTINGS },
  });
  return { flowId: flow.id, billingAgentId: billing.id, billingFlowId: billingFlow.id };
}
