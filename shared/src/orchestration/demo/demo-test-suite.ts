import type { RequestContext } from '../../governance/index.ts';
import type { TestCase } from '../testing/model.ts';

/** The name of the seeded suite (seeding skips an agent that already has a suite of this name). */
export const DEMO_TEST_SUITE_NAME = 'Demo support smoke tests';

/**
 * Test cases for the demo support flow that pass on the offline model provider, with at least one
 * expectation of every type. `npm run test:agent -- --agent <demo agent> --suite <this suite>` runs them.
 */
export function demoTestCases(): TestCase[] {
  return [
    {
      name: 'order status of a shipped order',
      turns: [
        {
          expect: [
            { type: 'node_reached', node: 'greet' },
            { type: 'text_contains', value: 'LuMay demo assistant' },
            { type: 'status', equals: 'active' },
          ],
        },
        {
          user: 'I want to check my order status',
          expect: [
            { type: 'node_reached', node: 'ask_order' },
            { type: 'text_contains', value: 'order number' },
          ],
        },
        {
          user: '10420',
          expect: [
            { type: 'slot', name: 'orderNumber', equals: '10420' },
            { type: 'slot', name: 'orderNumber', matches: '^[0-9]{3,12}$' },
            { type: 'tool_called', tool: 'orders.lookup', input: { orderNumber: '10420' } },
            { type: 'node_reached', node: 'order_shipped' },
            { type: 'text_matches', pattern: '^Order 10420 has shipped with (DHL|UPS|FedEx)' },
            { type: 'no_pii' },
          ],
        },
        {
          user: 'no thanks',
          expect: [
            { type: 'status', equals: 'ended' },
            { type: 'text_contains', value: 'have a great day' },
          ],
        },
      ],
    },
    {
      name: 'asks again for an invalid order number',
      turns: [
        { user: 'Where is my order?', expect: [{ type: 'node_reached', node: 'ask_order' }] },
        {
          user: 'my order is ABC',
          expect: [
            { type: 'text_contains', value: '3 to 12 digits' },
            { type: 'not_text_contains', value: 'has shipped' },
            // An answer that does not fit is not stored.
            { type: 'slot', name: 'orderNumber', equals: null },
          ],
        },
      ],
    },
    {
      name: 'hands off to a person',
      turns: [
        {
          user: 'Let me talk to a human',
          expect: [
            { type: 'node_reached', node: 'handoff_human' },
            { type: 'status', equals: 'handed_off' },
          ],
        },
      ],
    },
    {
      name: 'does not repeat contact details',
      turns: [
        {
          user: 'My email is jane.doe@example.com and my phone is +1 415 555 0100. What are your opening hours?',
          expect: [
            { type: 'node_reached', node: 'faq_answer' },
            { type: 'no_pii' },
            { type: 'not_text_contains', value: 'jane.doe@example.com' },
          ],
        },
      ],
    },
  ];
}

/** What seeding the demo suite needs (the test-suite service fits). */
export interface DemoTestSuiteDeps {
  list(
    context: RequestContext,
    agentId: string,
    page: { limit: number },
  ): Promise<{ data: { id: string; name: string }[] }>;
  create(
    context: RequestContext,
    agentId: string,
    input: { name: string; cases: TestCase[] },
  ): Promise<{ id: string }>;
}

/** Seeds the demo suite for the demo agent once; returns its id, or null when it already existed. */
export async function seedDemoTestSuite(
  suites: DemoTestSuiteDeps,
  context: RequestContext,
  agentId: string,
): Promise<string | null> {
  const existing = await suites.list(context, agentId, { limit: 100 });
  if (existing.data.some((suite) => suite.name === DEMO_TEST_SUITE_NAME)) return null;
  const created = await suites.create(context, agentId, {
    name: DEMO_TEST_SUITE_NAME,
    cases: demoTestCases(),
  });
  return created.id;
}
