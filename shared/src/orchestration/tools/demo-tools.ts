import { z } from 'zod';
import { defineTool, type InMemoryTool, ToolFailure } from './in-memory-registry.ts';

/*
 * DEMO tools: deterministic fake data for the demo tenant and tests, so the demo flow works with nothing
 * installed. They are not connectors and touch no external system; the integration layer replaces them.
 *
 * `demo.orders` rules (by the order number's last digit): 0–2 shipped, 3–5 delivered, 6–7 processing,
 * 8 cancelled, 9 not found. Totals, carriers and dates are derived from the number, so the same order
 * always looks the same.
 */

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const ORDER_STATUSES = ['shipped', 'shipped', 'shipped', 'delivered', 'delivered', 'delivered'] as const;
const CARRIERS = ['DHL', 'UPS', 'FedEx'] as const;

/** The demo order behind an order number, or undefined when the demo says it does not exist. */
export function demoOrder(orderNumber: string) {
  const lastDigit = Number(orderNumber.at(-1));
  if (lastDigit === 9) return undefined;
  const status = ORDER_STATUSES[lastDigit] ?? (lastDigit === 8 ? 'cancelled' : ('processing' as const));
  const seed = fnv1a(orderNumber);
  const day = String(1 + (seed % 28)).padStart(2, '0');
  return {
    orderNumber,
    status,
    total: 10 + (seed % 20_000) / 100,
    currency: 'USD',
    items: 1 + (seed % 4),
    carrier: status === 'processing' || status === 'cancelled' ? null : (CARRIERS[seed % 3] ?? 'DHL'),
    estimatedDelivery: status === 'shipped' ? `2026-07-${day}` : null,
    deliveredOn: status === 'delivered' ? `2026-06-${day}` : null,
  };
}

const orderNumber = z
  .union([z.string(), z.number().int().nonnegative()])
  .transform(String)
  .pipe(z.string().regex(/^\d{3,12}$/, 'an order number is 3 to 12 digits'))
  .describe('The order number, digits only');

const ordersLookup = defineTool({
  name: 'orders.lookup',
  description:
    'DEMO: look up an order by its number and return its status, total, carrier and delivery date.',
  input: z.object({ orderNumber }),
  run: ({ orderNumber: number }) => {
    const order = demoOrder(number);
    if (!order) throw new ToolFailure('not_found', `No order ${number}`);
    return order;
  },
});

const refundIssue = defineTool({
  name: 'refund.issue',
  description: 'DEMO: issue a refund of an amount for an order (after approval).',
  input: z.object({
    orderNumber,
    amount: z.number().positive().max(100_000).describe('Amount to refund'),
    reason: z.string().max(500).optional(),
  }),
  run: ({ orderNumber: number, amount }, context) => {
    const order = demoOrder(number);
    if (!order) throw new ToolFailure('not_found', `No order ${number}`);
    if (amount > order.total) {
      throw new ToolFailure('amount_too_high', `The refund exceeds the order total of ${order.total}`);
    }
    // Derived from the idempotency key: a replayed call answers with the same refund.
    const refundId = `demo_rf_${fnv1a(context.idempotencyKey).toString(36)}`;
    return { refundId, orderNumber: number, amount, currency: order.currency, status: 'issued' };
  },
});

const createLead = defineTool({
  name: 'crm.create_lead',
  description: 'DEMO: create a sales lead with a name and an email address or phone number.',
  input: z.object({
    name: z.string().min(1).max(200),
    email: z.string().email().optional(),
    phone: z.string().max(40).optional(),
    interest: z.string().max(500).optional(),
  }),
  run: (lead) => ({
    leadId: `demo_lead_${fnv1a(`${lead.name}|${lead.email ?? lead.phone ?? ''}`).toString(36)}`,
    status: 'new',
  }),
});

/** The DEMO tools (`orders.lookup`, `refund.issue`, `crm.create_lead`) over deterministic fake data. */
export function createDemoTools(): InMemoryTool[] {
  return [ordersLookup, refundIssue, createLead];
}
