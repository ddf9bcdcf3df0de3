import { expect } from 'vitest';
import type { ApiResponse, Client } from '../../support/client.ts';

/** Test helpers for conversations over the HTTP API. */
export function chat(api: Client, token: string) {
  const send = (id: string, text: string, extra: Record<string, unknown> = {}) =>
    api.post(`/v1/conversations/${id}/messages`, { text, ...extra }, { token });
  return {
    async demoAgentId(): Promise<string> {
      const agents = await api.get('/v1/agents?q=Demo%20support', { token });
      expect(agents.status, agents.text).toBe(200);
      return agents.body.data[0].id as string;
    },
    async start(agentId: string): Promise<{ id: string; response: ApiResponse }> {
      const response = await api.post('/v1/conversations', { agentId }, { token });
      expect(response.status, response.text).toBe(201);
      return { id: response.body.conversation.id as string, response };
    },
    send,
    /** Sends and expects a 200. */
    async say(id: string, text: string, extra: Record<string, unknown> = {}): Promise<ApiResponse> {
      const response = await send(id, text, extra);
      expect(response.status, response.text).toBe(200);
      return response;
    },
    transcript: (id: string) => api.get(`/v1/conversations/${id}`, { token }),
    /** Drives the demo flow to its pending refund approval; returns the approval. */
    async toRefundApproval(agentId: string, orderNumber = '10423', reason = 'It arrived damaged') {
      const { id } = await this.start(agentId);
      await this.say(id, 'I would like a refund please');
      await this.say(id, orderNumber);
      const asked = await this.say(id, reason);
      expect(asked.body.conversation.status).toBe('waiting_approval');
      const pending = await api.get('/v1/approvals?status=pending&limit=100', { token });
      const approval = pending.body.data.find(
        (candidate: { conversationId: string }) => candidate.conversationId === id,
      );
      expect(approval, pending.text).toBeDefined();
      return { id, approval, asked };
    },
  };
}

export const contents = (response: ApiResponse) =>
  (response.body.messages as { content: string }[]).map((message) => message.content);
