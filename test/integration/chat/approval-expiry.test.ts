import { type Clock, createApprovalSweeper } from '@lumay/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../../workers/src/services.ts';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, loginDemoOwner, memberToken } from '../../support/client.ts';
import { chat, contents } from './chat-helpers.ts';

const DAY_MS = 86_400_000;
const EXPIRED_TEXT =
  "I'm sorry, nobody could review the refund for order 10423 in time. Please contact us again and we'll pick it up.";

describe.each<DatabaseKind>(['postgres', 'pglite'])('approval expiry on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let token: string;
  let agentId: string;
  let c: ReturnType<typeof chat>;
  const clock: Clock & { offsetMs: number } = {
    offsetMs: 0,
    now() {
      return new Date(Date.now() + this.offsetMs);
    },
  };

  beforeAll(async () => {
    target = await createAppTarget(kind, { clock });
    api = client(target);
    token = await loginDemoOwner(api);
    c = chat(api, token);
    agentId = await c.demoAgentId();
  });
  afterAll(() => target?.close());

  it('expires a due approval when approvals are read, resuming the conversation on onExpire', async () => {
    const { id, approval } = await c.toRefundApproval(agentId);
    expect(new Date(approval.expiresAt).getTime()).toBeGreaterThan(clock.now().getTime() + DAY_MS - 60_000);
    // Not yet due: reading changes nothing.
    expect((await api.get(`/v1/approvals/${approval.id}`, { token })).body.status).toBe('pending');

    clock.offsetMs += 2 * DAY_MS;
    const read = await api.get(`/v1/approvals/${approval.id}`, { token });
    expect(read.body).toMatchObject({ status: 'expired', decidedBy: null });
    const transcript = await c.transcript(id);
    expect(transcript.body.status).toBe('active');
    const texts = transcript.body.messages.map((m: { content: string }) => m.content);
    expect(texts.slice(-2)).toEqual([EXPIRED_TEXT, 'Is there anything else I can help you with?']);

    const operator = (await memberToken(api, token, 'operator')).token;
    const late = await api.post(`/v1/approvals/${approval.id}/approve`, {}, { token: operator });
    expect(late.status).toBe(409);
    const audit = await target.owner<{ action: string; actor_type: string }>(
      'select action, actor_type from audit_log where resource_id = $1',
      [approval.id],
    );
    expect(audit).toEqual([{ action: 'approval.expire', actor_type: 'system' }]);
  });

  it('expires approvals on the sweeper timer, without any read', async () => {
    const { id, approval } = await c.toRefundApproval(agentId);
    const services = createServices(target.deps);
    const sweeper = createApprovalSweeper({
      approvals: services.approvals,
      tenantIds: async () =>
        (await target.owner<{ id: string }>('select id from tenants')).map((row) => row.id),
      intervalMs: 60_000,
    });
    await sweeper.tick();
    expect(
      (await target.owner<{ status: string }>('select status from approvals where id = $1', [approval.id]))[0]
        ?.status,
    ).toBe('pending');
    clock.offsetMs += 2 * DAY_MS;
    await sweeper.tick();
    await sweeper.stop();
    const [row] = await target.owner<{ status: string }>('select status from approvals where id = $1', [
      approval.id,
    ]);
    expect(row?.status).toBe('expired');
    const transcript = await c.transcript(id);
    expect(transcript.body.messages.map((m: { content: string }) => m.content)).toContain(EXPIRED_TEXT);
    const next = await c.say(id, 'no');
    expect(contents(next)).toEqual(['Thanks for contacting us. Have a great day!']);
  });

  it('resumes a conversation whose approval was decided but which never resumed (a crash in between)', async () => {
    const { id, approval } = await c.toRefundApproval(agentId, '10425', 'Late');
    // The decision committed, then the process died before resuming the conversation.
    await target.owner("update approvals set status = 'rejected', decision_note = 'No.' where id = $1", [
      approval.id,
    ]);
    expect((await c.transcript(id)).body.status).toBe('waiting_approval');
    const services = createServices(target.deps);
    const report = await services.approvals.sweep([target.demoTenantId]);
    expect(report.recovered).toBe(1);
    const transcript = await c.transcript(id);
    expect(transcript.body.status).toBe('active');
    expect(transcript.body.messages.map((m: { content: string }) => m.content)).toContain(
      "I'm sorry, the refund for order 10425 was not approved. No.",
    );
  });
});
