import {
  type Clock,
  createAgentService,
  createConversationEngine,
  createDemoTools,
  createFlowService,
  createInMemoryToolRegistry,
  defineTool,
  type EngineDeps,
  type InMemoryTool,
  type RequestContext,
  resolveFlowVersion,
} from '@lumay/shared';
import { z } from 'zod';
import type { AppTarget } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';

/** A tool whose calls wait until released (to stop a turn mid-way). */
export function blockingTool(name: string) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let entered: () => void = () => undefined;
  const called = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const tool = defineTool({
    name,
    description: 'waits until the test releases it',
    input: z.object({}),
    run: async () => {
      entered();
      await released;
      return { by: 'blocked' };
    },
  });
  return { tool, called, release: () => release() };
}

/** A tool that answers at once with `{ by }`. */
export const answeringTool = (name: string, by: string, delayMs = 0): InMemoryTool =>
  defineTool({
    name,
    description: 'answers at once',
    input: z.object({}).passthrough(),
    run: async () => {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return { by };
    },
  });

/** A clock the test moves. */
export function movableClock(): Clock & { offsetMs: number } {
  return {
    offsetMs: 0,
    now() {
      return new Date(Date.now() + this.offsetMs);
    },
  };
}

/** A fresh tenant with real services, and builders for agents with published flows and for engines. */
export async function engineTenant(target: AppTarget, label: string) {
  const api: Client = client(target);
  const tenant = await createTenant(api, await loginAdmin(api), label);
  const context: RequestContext = {
    tenantId: tenant.tenantId,
    actor: { type: 'user', id: tenant.ownerId },
    role: 'owner',
    requestId: `test-${label}`,
    ip: null,
  };
  const agents = createAgentService(target.db);
  const testToolNames = ['test.slow', 'test.fast', 'test.fail'];
  const known = {
    has: (name: string) =>
      testToolNames.includes(name) || createInMemoryToolRegistry(createDemoTools()).has(name),
  };
  const flows = createFlowService(target.db, { tools: known });

  return {
    api,
    token: tenant.token,
    context,
    agents,
    /** Creates an agent running `definition` (published as v1). */
    async agentWithFlow(name: string, definition: unknown | ((agentId: string) => unknown)) {
      const agent = await agents.create(context, { name, status: 'active' });
      const flow = await flows.create(context, {
        name,
        agentId: agent.id,
        definition: typeof definition === 'function' ? definition(agent.id) : definition,
      });
      await flows.publish(context, flow.id);
      return agents.update(context, agent.id, { config: { flow: { flowId: flow.id } } });
    },
    /** Sets an agent's flow later (flows that delegate to each other need both agents first). */
    async setFlow(agentId: string, definition: unknown) {
      const flow = await flows.create(context, {
        name: `flow of ${agentId} ${Math.random().toString(36).slice(2, 8)}`,
        agentId,
        definition,
      });
      await flows.publish(context, flow.id);
      return agents.update(context, agentId, { config: { flow: { flowId: flow.id } } });
    },
    engine(tools: InMemoryTool[], extra: Partial<EngineDeps> = {}) {
      return createConversationEngine({
        db: target.db,
        agents,
        tools: createInMemoryToolRegistry([...createDemoTools(), ...tools]),
        resolveFlow: (ctx, agent, channel) => resolveFlowVersion(target.db, ctx, agent, channel),
        ...extra,
      });
    },
  };
}
