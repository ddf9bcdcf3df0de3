import { demoOrder } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner, memberToken } from '../../support/client.ts';
import { chat, contents } from './chat-helpers.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('the demo flow over the chat API on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let token: string;
  let operator: string;
  let agentId: string;
  let c: ReturnType<typeof chat>;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    token = await loginDemoOwner(api);
    operator = (await memberToken(api, token, 'operator')).token;
    c = chat(api, token);
    agentId = await c.demoAgentId();
  });
  afterAll(() => target?.close());

  it('runs a whole chat: order status, then a refund that a person approves, then goodbye', async () => {
    const { id, response: started } = await c.start(agentId);
    expect(started.body.conversation).toMatchObject({ status: 'active', flowVersion: 1, channel: 'chat' });
    expect(contents(started)[0]).toContain('LuMay demo assistant');

    expect(contents(await c.say(id, 'I want to check my order status'))).toEqual([
      'Sure. What is your order number? Please type just the digits.',
    ]);
    const retry = await c.say(id, 'my order is ABC');
    expect(contents(retry)).toEqual(['Order numbers are 3 to 12 digits, for example 10420. What is yours?']);
    const order = demoOrder('10420');
    const status = await c.say(id, '10420');
    expect(contents(status)).toEqual([
      `Order 10420 has shipped with ${order?.carrier} and should arrive on ${order?.estimatedDelivery}.`,
      'Is there anything else I can help you with?',
    ]);

    expect(contents(await c.say(id, 'yes please'))).toEqual(['Sure. What else can I do for you?']);
    await c.say(id, 'I want a refund');
    await c.say(id, '10423');
    const asked = await c.say(id, 'It arrived damaged');
    const total = demoOrder('10423')?.total;
    expect(contents(asked)).toEqual([
      `I've asked a colleague to approve a refund of ${total} USD for order 10423. I'll let you know here as soon as it's decided.`,
    ]);
    expect(asked.body.turn).toMatchObject({ status: 'suspended', reason: 'awaiting_approval' });
    expect(asked.body.conversation.status).toBe('waiting_approval');

    const pending = await api.get('/v1/approvals?status=pending', { token });
    const approval = pending.body.data.find((row: { conversationId: string }) => row.conversationId === id);
    expect(approval).toMatchObject({
      action: 'refund.issue',
      nodeId: 'refund_approval',
      status: 'pending',
      data: { orderNumber: '10423', amount: total, reason: 'It arrived damaged' },
    });
    const [outbox] = await target.owner<{ payload: { approvalId: string } }>(
      "select payload from outbox where topic = 'approval.requested' and payload->>'conversationId' = $1",
      [id],
    );
    expect(outbox?.payload.approvalId).toBe(approval.id);
    // Nobody can talk over a pending approval.
    const blocked = await c.send(id, 'hello?');
    expect(blocked.status).toBe(409);

    const approved = await api.post(
      `/v1/approvals/${approval.id}/approve`,
      { note: 'ok' },
      { token: operator },
    );
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.approval).toMatchObject({ status: 'approved', decisionNote: 'ok' });
    expect(approved.body.conversation.status).toBe('active');
    expect(contents(approved)[0]).toMatch(
      new RegExp(
        `^Good news: your refund of ${total} USD for order 10423 was approved and issued \\(reference demo_rf_`,
      ),
    );
    const transcript = await c.transcript(id);
    expect(transcript.body.messages.map((m: { content: string }) => m.content)).toContain(
      contents(approved)[0],
    );

    const goodbye = await c.say(id, 'no thanks');
    expect(contents(goodbye)).toEqual(['Thanks for contacting us. Have a great day!']);
    expect(goodbye.body.conversation).toMatchObject({ status: 'ended', outcome: 'resolved' });
    expect(goodbye.body.turn).toMatchObject({ status: 'success', reason: 'ended' });

    const final = await c.transcript(id);
    const seqs = final.body.messages.map((m: { seq: number }) => m.seq);
    expect(seqs).toEqual(seqs.map((_: number, index: number) => index + 1));
    expect(final.body.turnCount).toBe(
      final.body.messages.filter((m: { role: string }) => m.role === 'user').length,
    );
    const audits = await target.owner<{ action: string }>(
      "select action from audit_log where resource_id = $1 and action like 'approval.%'",
      [approval.id],
    );
    expect(audits.map((row) => row.action)).toEqual(['approval.approve']);
    const ended = await target.owner(
      "select 1 from outbox where topic = 'conversation.ended' and payload->>'conversationId' = $1",
      [id],
    );
    expect(ended).toHaveLength(1);
    const steps = await target.owner<{ count: string }>(
      "select count(*) from conversation_events where conversation_id = $1 and type = 'step-end'",
      [id],
    );
    expect(Number(steps[0]?.count)).toBeGreaterThan(20);
  });

  it('takes the rejected branch with the note, and refuses a second decision', async () => {
    const { id, approval } = await c.toRefundApproval(agentId);
    const rejected = await api.post(
      `/v1/approvals/${approval.id}/reject`,
      { note: 'Outside the return window.' },
      { token: operator },
    );
    expect(rejected.status, rejected.text).toBe(200);
    expect(contents(rejected)[0]).toBe(
      "I'm sorry, the refund for order 10423 was not approved. Outside the return window.",
    );
    const again = await api.post(`/v1/approvals/${approval.id}/approve`, {}, { token: operator });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
    const transcript = await c.transcript(id);
    expect(transcript.body.status).toBe('active');
  });

  it('issues the refund with the data the approver edited', async () => {
    const { approval } = await c.toRefundApproval(agentId, '10424', 'Wrong size');
    const approved = await api.post(
      `/v1/approvals/${approval.id}/approve`,
      { data: { amount: 5 } },
      { token: operator },
    );
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body.approval.data).toEqual({ orderNumber: '10424', amount: 5, reason: 'Wrong size' });
    expect(contents(approved)[0]).toContain('your refund of 5 USD for order 10424 was approved and issued');
  });

  it('answers a question through the llm node and records its cost against agent and conversation', async () => {
    const { id } = await c.start(agentId);
    const answer = await c.say(id, 'What are your opening hours?');
    const [reply, prompt] = answer.body.messages;
    expect(reply.nodeId).toBe('faq_answer');
    expect(reply.metadata.model).toEqual({ provider: 'offline', modelId: 'offline' });
    expect(prompt.content).toBe('Is there anything else I can help you with?');
    const calls = await target.owner<{ agent_id: string; provider: string }>(
      'select agent_id, provider from model_calls where conversation_id = $1',
      [id],
    );
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((call) => call.agent_id === agentId)).toBe(true);
    expect(answer.body.conversation.usage.modelCalls).toBeGreaterThan(0);
  });

  it('hands off to a person with a summary; closing the handoff ends the conversation', async () => {
    const { id } = await c.start(agentId);
    const handed = await c.say(id, 'Let me talk to a human');
    expect(contents(handed)).toEqual([
      "I'm connecting you with a colleague now. They'll see our conversation so far.",
    ]);
    expect(handed.body.conversation.status).toBe('handed_off');
    const list = await api.get('/v1/handoffs?status=open', { token });
    const handoff = list.body.data.find((row: { conversationId: string }) => row.conversationId === id);
    expect(handoff).toMatchObject({
      queue: 'support',
      reason: 'The customer needs a person',
      status: 'open',
    });
    expect(handoff.summary).toContain('Last message: "Let me talk to a human"');
    expect((await c.send(id, 'anyone?')).status).toBe(409);

    const accepted = await api.post(`/v1/handoffs/${handoff.id}/accept`, {}, { token: operator });
    expect(accepted.body).toMatchObject({ status: 'accepted', assignedTo: expect.stringMatching(/^usr_/) });
    expect((await api.post(`/v1/handoffs/${handoff.id}/accept`, {}, { token: operator })).status).toBe(409);
    const closed = await api.post(
      `/v1/handoffs/${handoff.id}/close`,
      { note: 'solved by phone' },
      { token: operator },
    );
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.conversation).toMatchObject({ status: 'ended', outcome: 'escalated' });
    expect((await api.get(`/v1/handoffs/${handoff.id}`, { token })).body.status).toBe('closed');
  });

  it('delegates a billing question to the billing specialist and resumes with its summary', async () => {
    const { id } = await c.start(agentId);
    const delegated = await c.say(id, 'I have a billing question about a payment');
    expect(contents(delegated)).toEqual([
      'Hi, this is the billing specialist. You asked: "I have a billing question about a payment".',
      'Is your question about an invoice, a payment, or your plan?',
    ]);
    expect(delegated.body.conversation.status).toBe('delegated');
    expect(delegated.body.turn).toMatchObject({ status: 'suspended', reason: 'awaiting_delegate' });
    const childId = delegated.body.conversation.waitingFor.id;
    const billingAgent = delegated.body.messages[0].metadata.agentId;
    expect(billingAgent).not.toBe(agentId);

    const back = await c.say(id, 'payment');
    expect(contents(back)).toEqual([
      'Thanks, I have handed the answer back.',
      'Back with me. Summary from billing: Payments take up to 3 business days to show; a double charge is refunded automatically within 5 days.',
      'Is there anything else I can help you with?',
    ]);
    expect(back.body.conversation.status).toBe('active');
    const child = await c.transcript(childId);
    expect(child.body).toMatchObject({ parentConversationId: id, agentId: billingAgent, status: 'ended' });
    expect(child.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'assistant',
      'assistant',
      'user',
      'assistant',
    ]);
    // Child messages to the parent directly are refused: the parent routes them.
    const events = await target.owner<{ type: string; agent_id: string; data: Record<string, string> }>(
      "select type, agent_id, data from conversation_events where conversation_id = $1 and type like 'delegation-%' order by id",
      [id],
    );
    expect(events.map((event) => event.type)).toEqual(['delegation-start', 'delegation-end']);
    expect(events[1]?.data).toMatchObject({
      parentAgentId: agentId,
      childAgentId: billingAgent,
      status: 'ended',
    });
    const childSteps = await target.owner<{ agent_id: string; data: { parentAgentId?: string } }>(
      "select agent_id, data from conversation_events where conversation_id = $1 and type = 'step-end'",
      [childId],
    );
    expect(childSteps.length).toBeGreaterThan(0);
    expect(
      childSteps.every((event) => event.agent_id === billingAgent && event.data.parentAgentId === agentId),
    ).toBe(true);
  });
});
