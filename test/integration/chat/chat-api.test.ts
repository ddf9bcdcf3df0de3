import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import {
  type Client,
  client,
  createTenant,
  loginAdmin,
  loginDemoOwner,
  memberToken,
} from '../../support/client.ts';
import { expectError, fakeId } from '../security/error-shape.ts';
import { chat, contents } from './chat-helpers.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])(
  'conversations, approvals and handoffs API on %s',
  (kind) => {
    let target: AppTarget;
    let api: Client;
    let token: string;
    let agentId: string;
    let c: ReturnType<typeof chat>;

    beforeAll(async () => {
      target = await createAppTarget(kind);
      api = client(target);
      token = await loginDemoOwner(api);
      c = chat(api, token);
      agentId = await c.demoAgentId();
    });
    afterAll(() => target?.close());

    it('answers bad input with 400 and unknown ids with 404, never 500', async () => {
      const bodies: unknown[] = [
        {},
        { agentId: 'nope' },
        { agentId, channel: 'Chat!' },
        { agentId, extra: 1 },
        { agentId, metadata: { k: 1 } },
      ];
      for (const body of bodies)
        expectError(await api.post('/v1/conversations', body, { token }), 400, 'validation_failed');
      expectError(
        await api.post('/v1/conversations', { agentId: fakeId('agt') }, { token }),
        404,
        'not_found',
      );

      const { id } = await c.start(agentId);
      for (const body of [
        {},
        { text: '' },
        { text: '   ' },
        { digits: '12a' },
        { text: 'x', unknown: true },
        { text: 5 },
      ]) {
        expectError(
          await api.post(`/v1/conversations/${id}/messages`, body, { token }),
          400,
          'validation_failed',
        );
      }
      expectError(
        await api.post(`/v1/conversations/${id}/messages`, { text: 'x'.repeat(4001) }, { token }),
        400,
      );
      expectError(
        await api.post(`/v1/conversations/${fakeId('cnv')}/messages`, { text: 'hi' }, { token }),
        404,
      );
      expectError(await api.post('/v1/conversations/not-an-id/messages', { text: 'hi' }, { token }), 400);
      expectError(await api.get(`/v1/conversations/${fakeId('cnv')}`, { token }), 404);
      expectError(await api.get('/v1/conversations?status=sleeping', { token }), 400);
      expectError(await api.post(`/v1/conversations/${id}/end`, { outcome: 'won' }, { token }), 400);
      expectError(await api.post(`/v1/approvals/${fakeId('apr')}/approve`, { data: 'x' }, { token }), 400);
      expectError(await api.post(`/v1/approvals/${fakeId('apr')}/approve`, { data: [1] }, { token }), 400);
      expectError(await api.post(`/v1/approvals/${fakeId('apr')}/approve`, {}, { token }), 404);
      expectError(await api.post(`/v1/approvals/${fakeId('apr')}/reject`, { data: {} }, { token }), 400);
      expectError(await api.get(`/v1/handoffs/${fakeId('hnd')}`, { token }), 404);
      expectError(await api.get('/v1/approvals?status=maybe', { token }), 400);
    });

    it("keeps every conversation, approval and handoff from another tenant's eyes (404)", async () => {
      const { id, approval } = await c.toRefundApproval(agentId);
      const handed = await c.start(agentId);
      await c.say(handed.id, 'I need a human');
      const handoff = (await api.get('/v1/handoffs?status=open', { token })).body.data[0];
      const other = await createTenant(api, await loginAdmin(api), 'chat-iso');
      const attempts: [string, string, unknown?][] = [
        ['GET', `/v1/conversations/${id}`],
        ['POST', `/v1/conversations/${id}/messages`, { text: 'hi' }],
        ['POST', `/v1/conversations/${id}/end`, {}],
        ['GET', `/v1/approvals/${approval.id}`],
        ['POST', `/v1/approvals/${approval.id}/approve`, {}],
        ['POST', `/v1/approvals/${approval.id}/reject`, {}],
        ['GET', `/v1/handoffs/${handoff.id}`],
        ['POST', `/v1/handoffs/${handoff.id}/accept`, {}],
        ['POST', `/v1/handoffs/${handoff.id}/close`, {}],
        ['POST', '/v1/conversations', { agentId }],
      ];
      for (const [method, path, body] of attempts) {
        expectError(await api.call(method, path, { token: other.token, body }), 404, 'not_found');
      }
      for (const path of ['/v1/conversations', '/v1/approvals', '/v1/handoffs']) {
        const listed = await api.get(path, { token: other.token });
        expect(listed.status).toBe(200);
        expect(listed.body.data).toEqual([]);
      }
      expect((await api.get(`/v1/approvals/${approval.id}`, { token })).body.status).toBe('pending');
    });

    it('checks permissions: viewers read, operators decide, viewers cannot decide or talk', async () => {
      const { approval } = await c.toRefundApproval(agentId);
      const viewer = (await memberToken(api, token, 'viewer')).token;
      const builder = (await memberToken(api, token, 'builder')).token;
      expect((await api.get(`/v1/approvals/${approval.id}`, { token: viewer })).status).toBe(200);
      expectError(
        await api.post(`/v1/approvals/${approval.id}/approve`, {}, { token: viewer }),
        403,
        'forbidden',
      );
      expectError(
        await api.post(`/v1/approvals/${approval.id}/reject`, {}, { token: builder }),
        403,
        'forbidden',
      );
      expectError(await api.post('/v1/conversations', { agentId }, { token: viewer }), 403, 'forbidden');
    });

    it('ends a conversation once, expiring its pending approval; then refuses messages', async () => {
      const { id, approval } = await c.toRefundApproval(agentId);
      const ended = await api.post(`/v1/conversations/${id}/end`, {}, { token });
      expect(ended.status, ended.text).toBe(200);
      expect(ended.body).toMatchObject({ status: 'ended', outcome: 'abandoned' });
      expect((await api.get(`/v1/approvals/${approval.id}`, { token })).body).toMatchObject({
        status: 'expired',
        decisionNote: 'conversation ended',
      });
      expectError(await api.post(`/v1/conversations/${id}/end`, {}, { token }), 409, 'conflict');
      expectError(await c.send(id, 'hello'), 409, 'conflict');
      const events = await target.owner(
        "select 1 from outbox where topic = 'conversation.ended' and payload->>'conversationId' = $1",
        [id],
      );
      expect(events).toHaveLength(1);
    });

    it('lists conversations by agent and status with a cursor', async () => {
      const first = await c.start(agentId);
      const second = await c.start(agentId);
      const page1 = await api.get(`/v1/conversations?agentId=${agentId}&status=active&limit=1`, { token });
      expect(page1.body.data.map((row: { id: string }) => row.id)).toEqual([second.id]);
      const page2 = await api.get(
        `/v1/conversations?agentId=${agentId}&status=active&limit=1&cursor=${page1.body.nextCursor}`,
        { token },
      );
      expect(page2.body.data.map((row: { id: string }) => row.id)).toEqual([first.id]);
    });

    it('runs a plain LLM chat for an agent without a flow', async () => {
      const agent = await api.post(
        '/v1/agents',
        {
          name: 'Flowless',
          status: 'active',
          config: { greeting: 'Hello from {{vars.x}}!', instructions: 'Be brief.' },
        },
        { token },
      );
      const started = await c.start(agent.body.id);
      expect(started.response.body.conversation).toMatchObject({ flowId: null, flowVersion: null });
      expect(contents(started.response)).toEqual(['Hello from {{vars.x}}!']);
      const reply = await c.say(started.id, 'How long does shipping take?');
      expect(reply.body.messages).toHaveLength(1);
      expect(reply.body.messages[0].metadata.model.provider).toBe('offline');
      const again = await c.say(started.id, 'Thanks');
      expect(again.body.conversation.turnCount).toBe(2);

      const archived = await api.post('/v1/agents', { name: 'Old', status: 'archived' }, { token });
      expectError(
        await api.post('/v1/conversations', { agentId: archived.body.id }, { token }),
        409,
        'conflict',
      );
    });
  },
);
