import {
  createDemoTools,
  createFlowService,
  createInMemoryToolRegistry,
  type RequestContext,
} from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import { chat, contents } from './chat-helpers.ts';

function versionedFlow(label: string) {
  return {
    start: 'hello',
    nodes: [
      { id: 'hello', type: 'message', text: `Version ${label}.`, next: 'ask' },
      {
        id: 'ask',
        type: 'collect',
        slot: 'name',
        valueType: 'string',
        prompt: 'Name?',
        next: 'thanks',
        onFail: 'bye',
      },
      { id: 'thanks', type: 'message', text: `${label} thanks {{slots.name}}`, next: 'bye' },
      { id: 'bye', type: 'end' },
    ],
  };
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('flow version pinning on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let token: string;
  let context: RequestContext;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    const tenant = await createTenant(api, await loginAdmin(api), 'versions');
    token = tenant.token;
    context = {
      tenantId: tenant.tenantId,
      actor: { type: 'user', id: tenant.ownerId },
      role: 'owner',
      requestId: 'test',
      ip: null,
    };
  });
  afterAll(() => target?.close());

  it('keeps a conversation on the version it started on through publish and rollback; pins per channel', async () => {
    const flows = createFlowService(target.db, { tools: createInMemoryToolRegistry(createDemoTools()) });
    const agent = await api.post('/v1/agents', { name: 'Versioned', status: 'active' }, { token });
    const flow = await flows.create(context, {
      name: 'Versioned',
      agentId: agent.body.id,
      definition: versionedFlow('one'),
    });
    await flows.publish(context, flow.id);
    const patched = await api.patch(
      `/v1/agents/${agent.body.id}`,
      { config: { flow: { flowId: flow.id } } },
      { token },
    );
    expect(patched.status, patched.text).toBe(200);
    const c = chat(api, token);

    const a = await c.start(agent.body.id);
    expect(a.response.body.conversation.flowVersion).toBe(1);
    expect(contents(a.response)).toEqual(['Version one.', 'Name?']);

    const draft = await flows.get(context, flow.id);
    await flows.update(context, flow.id, { definition: versionedFlow('two') }, draft.draftRevision);
    await flows.publish(context, flow.id);
    const b = await c.start(agent.body.id);
    expect(b.response.body.conversation.flowVersion).toBe(2);
    expect(contents(b.response)).toEqual(['Version two.', 'Name?']);
    // A keeps version 1 after version 2 is published.
    expect(contents(await c.say(a.id, 'Ann'))).toEqual(['one thanks Ann']);

    await flows.rollback(context, flow.id, 1);
    const d = await c.start(agent.body.id);
    expect(d.response.body.conversation.flowVersion).toBe(1);
    // B keeps version 2 after the rollback.
    expect(contents(await c.say(b.id, 'Bo'))).toEqual(['two thanks Bo']);

    await api.patch(
      `/v1/agents/${agent.body.id}`,
      { config: { flow: { flowId: flow.id, pins: { voice: 2 } } } },
      { token },
    );
    const voice = await api.post(
      '/v1/conversations',
      { agentId: agent.body.id, channel: 'voice' },
      { token },
    );
    expect(voice.body.conversation).toMatchObject({ channel: 'voice', flowVersion: 2 });
    const chatAgain = await c.start(agent.body.id);
    expect(chatAgain.response.body.conversation.flowVersion).toBe(1);
  });
});
