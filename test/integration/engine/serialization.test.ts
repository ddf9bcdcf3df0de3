import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../workers/src/app.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { engineTenant } from './engine-harness.ts';

const echoFlow = {
  start: 'ask',
  nodes: [
    {
      id: 'ask',
      type: 'collect',
      slot: 'q',
      valueType: 'string',
      prompt: 'Say?',
      next: 'echo',
      onFail: 'bye',
    },
    { id: 'echo', type: 'message', text: 'You said: {{slots.q}}', next: 'ask' },
    { id: 'bye', type: 'end' },
  ],
};

describe.each<DatabaseKind>(['postgres', 'pglite'])('turn serialization and idempotency on %s', (kind) => {
  let target: AppTarget;
  let t: Awaited<ReturnType<typeof engineTenant>>;
  let agentId: string;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    t = await engineTenant(target, 'serial');
    agentId = (await t.agentWithFlow('Echo', echoFlow)).id;
  });
  afterAll(() => target?.close());

  const start = async () => {
    const response = await t.api.post('/v1/conversations', { agentId }, { token: t.token });
    expect(response.status, response.text).toBe(201);
    return response.body.conversation.id as string;
  };
  const post = (id: string, body: Record<string, unknown>) =>
    t.api.post(`/v1/conversations/${id}/messages`, body, { token: t.token });
  const transcript = async (id: string) =>
    (await t.api.get(`/v1/conversations/${id}`, { token: t.token })).body as {
      turnCount: number;
      messages: { seq: number; role: string; content: string; metadata: { turnId: string } }[];
    };

  it('runs 10 concurrent messages one after the other: no lost update, consistent turns and seqs', async () => {
    const id = await start();
    const texts = Array.from({ length: 10 }, (_, index) => `message ${index}`);
    const responses = await Promise.all(texts.map((text) => post(id, { text })));
    for (const response of responses) {
      expect(response.status, response.text).toBe(200);
      expect(response.body.messages.map((m: { content: string }) => m.content)).toEqual([
        expect.stringMatching(/^You said: message \d$/),
        'Say?',
      ]);
    }
    const seen = responses.map((response) => response.body.messages[0].content.replace('You said: ', ''));
    expect([...seen].sort()).toEqual([...texts].sort());
    const turnCounts = responses.map((response) => response.body.conversation.turnCount as number);
    expect(new Set(turnCounts).size).toBe(10);

    const stored = await transcript(id);
    expect(stored.turnCount).toBe(10);
    expect(stored.messages.map((m) => m.seq)).toEqual(Array.from({ length: 31 }, (_, index) => index + 1));
    const users = stored.messages.filter((m) => m.role === 'user');
    expect(users.map((m) => m.content).sort()).toEqual([...texts].sort());
    // Each turn's reply directly follows its own user message: turns never interleaved.
    for (const user of users) {
      const [echo, prompt] = stored.messages.filter((m) => m.seq === user.seq + 1 || m.seq === user.seq + 2);
      expect(echo?.content).toBe(`You said: ${user.content}`);
      expect(prompt?.content).toBe('Say?');
      expect(echo?.metadata.turnId).toBe(user.metadata.turnId);
    }
    const [row] = await target.owner<{ state_revision: number; turn: unknown }>(
      "select state_revision, state->'turn' as turn from conversations where id = $1",
      [id],
    );
    expect(row?.turn).toBeNull();
    const [events] = await target.owner<{ count: string }>(
      "select count(*) from conversation_events where conversation_id = $1 and type = 'turn-start'",
      [id],
    );
    expect(Number(events?.count)).toBe(11);
  });

  it('serializes turns across two app instances over one database (row lock and lease)', async () => {
    const id = await start();
    const second = buildApp(target.deps);
    const viaSecond = (text: string) =>
      second.request(`/v1/conversations/${id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
    const texts = Array.from({ length: 10 }, (_, index) => `parallel ${index}`);
    const results = await Promise.all(
      texts.map(async (text, index) => {
        if (index % 2 === 0) return (await post(id, { text })).status;
        return (await viaSecond(text)).status;
      }),
    );
    expect(results).toEqual(texts.map(() => 200));
    const stored = await transcript(id);
    expect(stored.turnCount).toBe(10);
    expect(stored.messages.map((m) => m.seq)).toEqual(Array.from({ length: 31 }, (_, index) => index + 1));
    for (const user of stored.messages.filter((m) => m.role === 'user')) {
      expect(stored.messages.find((m) => m.seq === user.seq + 1)?.content).toBe(`You said: ${user.content}`);
    }
  });

  it('answers a repeated clientMessageId with the original reply, without running again', async () => {
    const id = await start();
    const first = await post(id, { text: 'hello', clientMessageId: 'client-1' });
    const again = await post(id, { text: 'hello (resent)', clientMessageId: 'client-1' });
    expect(again.status).toBe(200);
    expect(again.body.turn).toMatchObject({ id: first.body.turn.id, duplicate: true, status: 'success' });
    expect(again.body.messages).toEqual(first.body.messages);
    const stored = await transcript(id);
    expect(stored.turnCount).toBe(1);
    expect(stored.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['hello']);

    // The same id sent concurrently still runs once.
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => post(id, { text: 'burst', clientMessageId: 'client-2' })),
    );
    expect(burst.every((response) => response.status === 200)).toBe(true);
    expect(new Set(burst.map((response) => response.body.turn.id)).size).toBe(1);
    expect(burst.filter((response) => !response.body.turn.duplicate)).toHaveLength(1);
    const after = await transcript(id);
    expect(after.turnCount).toBe(2);
    expect(after.messages.filter((m) => m.content === 'burst')).toHaveLength(1);
  });
});
