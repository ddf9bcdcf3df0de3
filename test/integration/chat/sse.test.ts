import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner } from '../../support/client.ts';
import { expectError } from '../security/error-shape.ts';
import { chat } from './chat-helpers.ts';

interface SseEvent {
  event: string;
  data: any;
}

/** Parses a server-sent event stream strictly: `event:`/`data:` fields, events separated by a blank line. */
function parseSse(text: string): SseEvent[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((block) => block.length > 0)
    .map((block) => {
      const fields = block.split('\n').map((line) => {
        const colon = line.indexOf(':');
        expect(colon, `malformed line ${JSON.stringify(line)}`).toBeGreaterThan(0);
        return [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')] as const;
      });
      const event = fields.find(([name]) => name === 'event')?.[1] ?? 'message';
      const data = fields
        .filter(([name]) => name === 'data')
        .map(([, value]) => value)
        .join('\n');
      expect(fields.every(([name]) => name === 'event' || name === 'data')).toBe(true);
      return { event, data: JSON.parse(data) };
    });
}

describe.each<DatabaseKind>(['postgres', 'pglite'])('server-sent events on %s', (kind) => {
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

  const stream = (id: string, body: Record<string, unknown>) =>
    api.post(`/v1/conversations/${id}/messages`, body, { token, headers: { accept: 'text/event-stream' } });

  it('streams deltas that add up to the stored message, then messages, status and done, in order', async () => {
    const { id } = await c.start(agentId);
    const response = await stream(id, { text: 'How long does shipping take?', clientMessageId: 'sse-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(response.text);
    const kinds = events.map((event) => event.event);
    expect(kinds.at(-1)).toBe('done');
    expect(kinds.at(-2)).toBe('status');
    const firstMessage = kinds.indexOf('message');
    const deltas = events.filter((event) => event.event === 'message.delta');
    expect(deltas.length).toBeGreaterThan(1);
    // Every delta precedes the message it builds.
    expect(kinds.lastIndexOf('message.delta')).toBeLessThan(firstMessage);
    const llmMessage = events[firstMessage]?.data;
    expect(llmMessage.nodeId).toBe('faq_answer');
    expect(
      deltas.every((delta) => delta.data.messageId === llmMessage.id && delta.data.nodeId === 'faq_answer'),
    ).toBe(true);
    expect(deltas.map((delta) => delta.data.delta).join('')).toBe(llmMessage.content);
    const messages = events.filter((event) => event.event === 'message').map((event) => event.data);
    expect(messages.map((message) => message.nodeId)).toEqual(['faq_answer', 'anything_else']);
    expect(events.at(-2)?.data).toEqual({ status: 'active' });
    expect(events.at(-1)?.data.turn).toMatchObject({
      status: 'success',
      reason: 'awaiting_input',
      duplicate: false,
    });

    const stored = (await c.transcript(id)).body.messages.find(
      (message: { id: string }) => message.id === llmMessage.id,
    );
    expect(stored.content).toBe(deltas.map((delta) => delta.data.delta).join(''));

    // The same client message id replays the stored reply, without deltas and without running again.
    const replay = parseSse(
      (await stream(id, { text: 'How long does shipping take?', clientMessageId: 'sse-1' })).text,
    );
    expect(replay.map((event) => event.event)).toEqual(['message', 'message', 'status', 'done']);
    expect(replay[0]?.data.id).toBe(llmMessage.id);
    expect(replay.at(-1)?.data.turn.duplicate).toBe(true);
    expect((await c.transcript(id)).body.turnCount).toBe(1);
  });

  it('answers with JSON errors, not a stream, when the message cannot be taken', async () => {
    const missing = await stream('cnv_00000000000000000000000000', { text: 'hi' });
    expectError(missing, 404, 'not_found');
    const { id } = await c.start(agentId);
    await api.post(`/v1/conversations/${id}/end`, {}, { token });
    expectError(await stream(id, { text: 'hi' }), 409, 'conflict');
    expectError(await stream(id, { text: '' }), 400, 'validation_failed');
  });
});
