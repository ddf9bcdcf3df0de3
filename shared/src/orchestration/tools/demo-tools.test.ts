import { describe, expect, it } from 'vitest';
import { createDemoTools, demoOrder } from './demo-tools.ts';
import { createInMemoryToolRegistry } from './in-memory-registry.ts';

const context = {
  tenantId: 'ten_1',
  agentId: 'agt_1',
  conversationId: 'cnv_1',
  nodeId: 'n',
  idempotencyKey: 'cnv_1:n:3',
};

describe('DEMO tools in the in-memory registry', () => {
  const tools = createInMemoryToolRegistry(createDemoTools());

  it('describes the tools it has, in the order asked, for models', () => {
    expect(tools.has('orders.lookup')).toBe(true);
    expect(tools.has('crm.find_contact')).toBe(false);
    const definitions = tools.definitions(['refund.issue', 'nope.nothing', 'orders.lookup']);
    expect(definitions.map((definition) => definition.name)).toEqual(['refund.issue', 'orders.lookup']);
    expect(definitions[1]?.inputSchema).toMatchObject({ type: 'object', required: ['orderNumber'] });
  });

  it('looks orders up deterministically by their last digit', async () => {
    expect(await tools.call('orders.lookup', { orderNumber: '10420' }, context)).toEqual({
      ok: true,
      output: demoOrder('10420'),
    });
    expect(demoOrder('10420')?.status).toBe('shipped');
    expect(demoOrder('10423')?.status).toBe('delivered');
    expect(demoOrder('10426')?.status).toBe('processing');
    expect(demoOrder('10428')?.status).toBe('cancelled');
    expect(await tools.call('orders.lookup', { orderNumber: 10429 }, context)).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No order 10429' },
    });
  });

  it('refuses invalid input and unknown tools as values', async () => {
    const invalid = await tools.call('orders.lookup', { orderNumber: 'abc' }, context);
    expect(invalid).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await tools.call('nope.nothing', {}, context)).toMatchObject({
      ok: false,
      error: { code: 'unknown_tool' },
    });
  });

  it('issues the same refund for the same idempotency key, and refuses more than the order total', async () => {
    const first = await tools.call('refund.issue', { orderNumber: '10423', amount: 5 }, context);
    const again = await tools.call('refund.issue', { orderNumber: '10423', amount: 5 }, context);
    expect(first).toEqual(again);
    expect(first).toMatchObject({
      ok: true,
      output: { status: 'issued', refundId: expect.stringMatching(/^demo_rf_/) },
    });
    const tooMuch = await tools.call('refund.issue', { orderNumber: '10423', amount: 99_999 }, context);
    expect(tooMuch).toMatchObject({ ok: false, error: { code: 'amount_too_high' } });
    const lead = await tools.call('crm.create_lead', { name: 'Ann', email: 'ann@example.com' }, context);
    expect(lead).toMatchObject({ ok: true, output: { status: 'new' } });
  });

  it('rejects when the call is aborted (the turn timed out)', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(
      tools.call('orders.lookup', { orderNumber: '10420' }, { ...context, signal: controller.signal }),
    ).rejects.toThrow('timed out');
  });
});
