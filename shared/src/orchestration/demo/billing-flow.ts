import type { FlowDefinitionInput } from '../flows/definition.ts';

/**
 * The billing specialist's flow: it reads the question it was handed (`vars.input.question`), asks
 * what the question is about, and ends with a summary that goes back to the delegating conversation.
 */
export function billingSpecialistFlow(): FlowDefinitionInput {
  return {
    start: 'b_welcome',
    variables: { summary: '' },
    nodes: [
      {
        id: 'b_welcome',
        type: 'message',
        text: 'Hi, this is the billing specialist. You asked: "{{vars.input.question}}".',
        next: 'b_topic',
      },
      {
        id: 'b_topic',
        type: 'collect',
        slot: 'topic',
        valueType: 'enum',
        options: ['invoice', 'payment', 'plan'],
        prompt: 'Is your question about an invoice, a payment, or your plan?',
        retryPrompt: 'Please answer invoice, payment or plan.',
        maxAttempts: 2,
        next: 'b_route',
        onFail: 'b_unsure',
      },
      {
        id: 'b_route',
        type: 'condition',
        branches: [
          { when: 'slots.topic == "invoice"', next: 'b_invoice' },
          { when: 'slots.topic == "payment"', next: 'b_payment' },
        ],
        else: 'b_plan',
      },
      {
        id: 'b_invoice',
        type: 'set',
        assign: {
          summary: '"Invoices are emailed on the 1st of each month; copies are under Account > Billing."',
        },
        next: 'b_done',
      },
      {
        id: 'b_payment',
        type: 'set',
        assign: {
          summary:
            '"Payments take up to 3 business days to show; a double charge is refunded automatically within 5 days."',
        },
        next: 'b_done',
      },
      {
        id: 'b_plan',
        type: 'set',
        assign: {
          summary: '"Plans can be changed any time under Account > Plan, from the next billing period."',
        },
        next: 'b_done',
      },
      {
        id: 'b_unsure',
        type: 'set',
        assign: { summary: '"The billing team will follow up by email."' },
        next: 'b_done',
      },
      {
        id: 'b_done',
        type: 'end',
        message: 'Thanks, I have handed the answer back.',
        outcome: 'resolved',
        result: 'vars.summary',
      },
    ],
  };
}
