import type { RequestContext } from '@lumay/shared';

/** greet → ask the order number → orders.lookup → answer → end; failures hand off. */
export function orderFlow(text = 'Order {{slots.orderNumber}} is {{vars.order.status}}.') {
  return {
    start: 'greet',
    nodes: [
      { id: 'greet', type: 'message', text: 'Hello!', next: 'ask_order' },
      {
        id: 'ask_order',
        type: 'collect',
        slot: 'orderNumber',
        prompt: 'Your order number?',
        valueType: 'regex',
        pattern: '^\\d{3,12}$',
        next: 'lookup',
        onFail: 'human',
      },
      {
        id: 'lookup',
        type: 'tool',
        tool: 'orders.lookup',
        input: { orderNumber: 'slots.orderNumber' },
        saveAs: 'order',
        next: 'answer',
        onError: 'human',
      },
      { id: 'answer', type: 'message', text, next: 'done' },
      { id: 'done', type: 'end' },
      { id: 'human', type: 'handoff', reason: 'lookup failed' },
    ],
  };
}

/** A request context for calling services directly, as the tenant's owner. */
export function ownerContext(tenantId: string, userId: string): RequestContext {
  return {
    tenantId,
    actor: { type: 'user', id: userId },
    role: 'owner',
    requestId: 'req_flows_test',
    ip: null,
  };
}
