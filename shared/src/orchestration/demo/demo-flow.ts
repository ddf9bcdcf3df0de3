import type { FlowDefinitionInput } from '../flows/definition.ts';

/**
 * The demo support flow of the seeded demo agent (31 nodes): greeting → intent router → order status
 * (collect → `orders.lookup` → condition → message), returns and refunds (collect order and reason →
 * approval of `refund.issue` → approved / rejected / expired branches → the `refund.issue` tool), FAQ
 * through an llm node (over the demo knowledge base when there is one), billing questions delegated to
 * the billing specialist agent, and a handoff to a person. The tools it names are the DEMO tools.
 */
export function demoSupportFlow(options: {
  billingAgentId: string;
  knowledgeBaseIds?: readonly string[];
}): FlowDefinitionInput {
  const anythingElse = 'anything_else';
  return {
    start: 'greet',
    variables: { refundAmount: 0 },
    settings: { maxStepsPerTurn: 40, turnTimeoutMs: 30_000 },
    nodes: [
      {
        id: 'greet',
        type: 'message',
        text: "Hi, I'm the LuMay demo assistant. I can check an order's status, help with a return or refund, answer questions, put you through to billing, or connect you with a person. What can I do for you?",
        next: 'route',
      },
      {
        id: 'route',
        type: 'intent_router',
        threshold: 0.5,
        routes: [
          { intent: 'order_status', next: 'ask_order' },
          { intent: 'refund', next: 'refund_order' },
          { intent: 'billing', next: 'billing_delegate' },
          { intent: 'human', next: 'handoff_human' },
          { intent: 'faq', next: 'faq_answer' },
        ],
        fallback: 'faq_answer',
      },

      // Order status.
      {
        id: 'ask_order',
        type: 'collect',
        slot: 'orderNumber',
        valueType: 'regex',
        pattern: '^[0-9]{3,12}$',
        prompt: 'Sure. What is your order number? Please type just the digits.',
        retryPrompt: 'Order numbers are 3 to 12 digits, for example 10420. What is yours?',
        maxAttempts: 3,
        next: 'lookup_order',
        onFail: 'handoff_human',
      },
      {
        id: 'lookup_order',
        type: 'tool',
        tool: 'orders.lookup',
        input: { orderNumber: 'slots.orderNumber' },
        saveAs: 'order',
        next: 'order_status_check',
        onError: 'order_not_found',
      },
      {
        id: 'order_status_check',
        type: 'condition',
        branches: [
          { when: 'vars.order.status == "shipped"', next: 'order_shipped' },
          { when: 'vars.order.status == "delivered"', next: 'order_delivered' },
          { when: 'vars.order.status == "processing"', next: 'order_processing' },
        ],
        else: 'order_other',
      },
      {
        id: 'order_shipped',
        type: 'message',
        text: 'Order {{slots.orderNumber}} has shipped with {{vars.order.carrier}} and should arrive on {{vars.order.estimatedDelivery}}.',
        next: anythingElse,
      },
      {
        id: 'order_delivered',
        type: 'message',
        text: 'Order {{slots.orderNumber}} was delivered on {{vars.order.deliveredOn}}.',
        next: anythingElse,
      },
      {
        id: 'order_processing',
        type: 'message',
        text: "Order {{slots.orderNumber}} is still being prepared; you'll get an email as soon as it ships.",
        next: anythingElse,
      },
      {
        id: 'order_other',
        type: 'message',
        text: 'Order {{slots.orderNumber}} is {{vars.order.status}}.',
        next: anythingElse,
      },
      {
        id: 'order_not_found',
        type: 'message',
        text: "I couldn't find order {{slots.orderNumber}}. Please double-check the number on your confirmation email.",
        next: anythingElse,
      },

      // Returns and refunds, with a human approval.
      {
        id: 'refund_order',
        type: 'collect',
        slot: 'orderNumber',
        valueType: 'regex',
        pattern: '^[0-9]{3,12}$',
        prompt: 'I can help with a return. What is the order number? Please type just the digits.',
        retryPrompt: 'Order numbers are 3 to 12 digits, for example 10423. What is yours?',
        maxAttempts: 3,
        next: 'refund_reason',
        onFail: 'handoff_human',
      },
      {
        id: 'refund_reason',
        type: 'collect',
        slot: 'reason',
        valueType: 'string',
        prompt: 'What is the reason for the return?',
        maxAttempts: 2,
        next: 'refund_lookup',
        onFail: 'handoff_human',
      },
      {
        id: 'refund_lookup',
        type: 'tool',
        tool: 'orders.lookup',
        input: { orderNumber: 'slots.orderNumber' },
        saveAs: 'order',
        next: 'refund_check',
        onError: 'order_not_found',
      },
      {
        id: 'refund_check',
        type: 'condition',
        branches: [
          {
            when: 'vars.order.status == "delivered" || vars.order.status == "shipped"',
            next: 'refund_prepare',
          },
        ],
        else: 'refund_not_eligible',
      },
      {
        id: 'refund_prepare',
        type: 'set',
        assign: { refundAmount: 'vars.order.total' },
        next: 'refund_approval',
      },
      {
        id: 'refund_approval',
        type: 'approval',
        action: 'refund.issue',
        data: { orderNumber: 'slots.orderNumber', amount: 'vars.refundAmount', reason: 'slots.reason' },
        saveAs: 'refund',
        message:
          "I've asked a colleague to approve a refund of {{vars.refundAmount}} USD for order {{slots.orderNumber}}. I'll let you know here as soon as it's decided.",
        expiresInSeconds: 86_400,
        next: 'issue_refund',
        onReject: 'refund_rejected',
        onExpire: 'refund_expired',
      },
      {
        id: 'issue_refund',
        type: 'tool',
        tool: 'refund.issue',
        input: {
          orderNumber: 'vars.refund.orderNumber',
          amount: 'vars.refund.amount',
          reason: 'vars.refund.reason',
        },
        saveAs: 'refundResult',
        next: 'refund_done',
        onError: 'refund_failed',
      },
      {
        id: 'refund_done',
        type: 'message',
        text: 'Good news: your refund of {{vars.refundResult.amount}} {{vars.refundResult.currency}} for order {{vars.refundResult.orderNumber}} was approved and issued (reference {{vars.refundResult.refundId}}).',
        next: anythingElse,
      },
      {
        id: 'refund_rejected',
        type: 'message',
        text: "I'm sorry, the refund for order {{slots.orderNumber}} was not approved. {{result.note}}",
        next: anythingElse,
      },
      {
        id: 'refund_expired',
        type: 'message',
        text: "I'm sorry, nobody could review the refund for order {{slots.orderNumber}} in time. Please contact us again and we'll pick it up.",
        next: anythingElse,
      },
      {
        id: 'refund_not_eligible',
        type: 'message',
        text: "Order {{slots.orderNumber}} is {{vars.order.status}}, so it can't be refunded as a return yet.",
        next: anythingElse,
      },
      {
        id: 'refund_failed',
        type: 'message',
        text: "The refund was approved but couldn't be issued automatically. I'll pass you to a colleague.",
        next: 'handoff_human',
      },

      // FAQ over the knowledge base.
      {
        id: 'faq_answer',
        type: 'llm',
        instructions:
          "Answer the customer's question briefly and politely. Use only the retrieved passages, cite them, and say so when they do not cover the question.",
        ...(options.knowledgeBaseIds?.length ? { knowledgeBaseIds: [...options.knowledgeBaseIds] } : {}),
        next: anythingElse,
      },

      // Billing questions: the billing specialist agent answers and hands a summary back.
      {
        id: 'billing_delegate',
        type: 'delegate',
        agentId: options.billingAgentId,
        input: { question: 'input.text' },
        saveAs: 'billing',
        next: 'billing_result',
        onError: 'billing_unavailable',
      },
      {
        id: 'billing_result',
        type: 'message',
        text: 'Back with me. Summary from billing: {{vars.billing}}',
        next: anythingElse,
      },
      {
        id: 'billing_unavailable',
        type: 'message',
        text: "Billing isn't available right now.",
        next: 'handoff_human',
      },

      // A person takes over.
      {
        id: 'handoff_human',
        type: 'handoff',
        reason: 'The customer needs a person',
        summary:
          'Demo support conversation on {{env.channel}}. Last message: "{{input.text}}". Order: {{slots.orderNumber}}. Return reason: {{slots.reason}}.',
        queue: 'support',
        message: "I'm connecting you with a colleague now. They'll see our conversation so far.",
      },

      // Wrap-up.
      {
        id: anythingElse,
        type: 'collect',
        slot: 'anythingElse',
        valueType: 'boolean',
        prompt: 'Is there anything else I can help you with?',
        retryPrompt: 'Sorry, was that a yes or a no?',
        maxAttempts: 2,
        next: 'more_check',
        onFail: 'goodbye',
      },
      {
        id: 'more_check',
        type: 'condition',
        branches: [{ when: 'slots.anythingElse == true', next: 'what_else' }],
        else: 'goodbye',
      },
      { id: 'what_else', type: 'message', text: 'Sure. What else can I do for you?', next: 'route' },
      {
        id: 'goodbye',
        type: 'end',
        message: 'Thanks for contacting us. Have a great day!',
        outcome: 'resolved',
      },
    ],
  };
}
