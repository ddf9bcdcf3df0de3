import type { FlowDefinitionInput } from './definition.ts';

/*
 * The building blocks of the offline flow builder. A step is a short chain of nodes; `NEXT` marks where
 * the chain continues (the composer links it to the next step) and `HUMAN` the shared handoff node that
 * every failure path ends in. Node ids are fixed per block so a described flow is the same every time.
 */

export type NodeInput = FlowDefinitionInput['nodes'][number];

/** Placeholder for "the next step" (not a valid node id, so it can never clash with one). */
export const NEXT = '__next__';
/** The shared handoff node's id. */
export const HUMAN = 'human';

/** A field the builder knows how to collect. */
export type FieldName =
  | 'name'
  | 'email'
  | 'phone'
  | 'orderNumber'
  | 'date'
  | 'time'
  | 'amount'
  | 'reason'
  | 'issue';

const FIELDS: Record<FieldName, { prompt: string; node: Partial<NodeInput> }> = {
  name: { prompt: 'May I have your name?', node: { valueType: 'string' } },
  email: { prompt: 'What is your email address?', node: { valueType: 'email' } },
  phone: { prompt: 'What phone number can we reach you on?', node: { valueType: 'phone' } },
  orderNumber: {
    prompt: 'What is your order number?',
    node: {
      valueType: 'regex',
      pattern: '^\\d{3,12}$',
      retryPrompt: 'An order number has 3 to 12 digits. Please try again.',
    },
  },
  date: { prompt: 'Which date would suit you?', node: { valueType: 'date' } },
  time: {
    prompt: 'At what time? (for example 14:30)',
    node: {
      valueType: 'regex',
      pattern: '^([01]?\\d|2[0-3]):[0-5]\\d$',
      retryPrompt: 'Please give a time like 09:15 or 14:30.',
    },
  },
  amount: { prompt: 'How much should be refunded?', node: { valueType: 'number' } },
  reason: { prompt: 'What is the reason?', node: { valueType: 'string' } },
  issue: { prompt: 'Briefly, what do you need help with?', node: { valueType: 'string' } },
};

/**
 * Collects fields not collected yet (tracked in `collected`), each failing over to the human handoff.
 * `prefix` keeps ids apart when parallel branches of a router collect the same field.
 */
export function collectStep(fields: readonly FieldName[], collected: Set<string>, prefix = ''): NodeInput[] {
  const nodes: NodeInput[] = [];
  const wanted = fields.filter((field) => !collected.has(field));
  const idOf = (field: FieldName) => `${prefix}ask_${field}`;
  wanted.forEach((field, index) => {
    collected.add(field);
    const spec = FIELDS[field];
    const following = wanted[index + 1];
    nodes.push({
      id: idOf(field),
      type: 'collect',
      slot: field,
      prompt: spec.prompt,
      ...spec.node,
      next: following ? idOf(following) : NEXT,
      onFail: HUMAN,
    } as NodeInput);
  });
  return nodes;
}

/** Replaces every `NEXT` placeholder in a node with `target`. */
export function link(node: NodeInput, target: string): NodeInput {
  const replace = (value: unknown): unknown => {
    if (value === NEXT) return target;
    if (Array.isArray(value)) return value.map(replace);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replace(item)]));
    }
    return value;
  };
  return replace(node) as NodeInput;
}

/** Collected fields first, continuing into `rest` (whose own `NEXT` placeholders are left for the composer). */
function collectThen(collect: NodeInput[], rest: [NodeInput, ...NodeInput[]]): NodeInput[] {
  return [...collect.map((node) => link(node, rest[0].id)), ...rest];
}

export function greetStep(text: string): NodeInput[] {
  return [{ id: 'greet', type: 'message', text, next: NEXT }];
}

/** Sends upset customers straight to a human, judged on what they wrote. */
export function moodCheckStep(): NodeInput[] {
  return [
    {
      id: 'check_mood',
      type: 'condition',
      branches: [
        {
          when: 'matches(lower(input.text), "angry|furious|upset|frustrated|annoyed|unacceptable|ridiculous|complain")',
          next: HUMAN,
        },
      ],
      else: NEXT,
    },
  ];
}

export function orderStatusStep(collected: Set<string>, prefix = ''): NodeInput[] {
  return collectThen(collectStep(['orderNumber'], collected, prefix), [
    {
      id: 'lookup_order',
      type: 'tool',
      tool: 'orders.lookup',
      input: { orderNumber: 'slots.orderNumber' },
      saveAs: 'order',
      next: 'order_status',
      onError: 'order_not_found',
    },
    {
      id: 'order_status',
      type: 'message',
      text: 'Order {{slots.orderNumber}} is {{vars.order.status}}.',
      next: NEXT,
    },
    {
      id: 'order_not_found',
      type: 'message',
      text: 'I could not find order {{slots.orderNumber}}.',
      next: HUMAN,
    },
  ]);
}

export function faqStep(): NodeInput[] {
  return [
    {
      id: 'answer_question',
      type: 'llm',
      instructions:
        'Answer the customer’s question from the knowledge base and cite it. If the answer is not there, say so plainly.',
      next: NEXT,
    },
  ];
}

export function bookingStep(collected: Set<string>, prefix = ''): NodeInput[] {
  return collectThen(collectStep(['name', 'date', 'time'], collected, prefix), [
    {
      id: 'confirm_booking',
      type: 'approval',
      action: 'appointment.book',
      data: { name: 'slots.name', date: 'slots.date', time: 'slots.time' },
      saveAs: 'booking',
      message: 'Thanks {{slots.name}}, I am checking {{slots.date}} at {{slots.time}} with the team.',
      next: 'booking_confirmed',
      onReject: 'booking_declined',
      onExpire: HUMAN,
    },
    {
      id: 'booking_confirmed',
      type: 'message',
      text: 'You are booked for {{vars.booking.date}} at {{vars.booking.time}}.',
      next: NEXT,
    },
    { id: 'booking_declined', type: 'message', text: 'Sorry, that slot is not available.', next: NEXT },
  ]);
}

export function refundStep(collected: Set<string>, prefix = ''): NodeInput[] {
  return collectThen(collectStep(['orderNumber', 'amount', 'reason'], collected, prefix), [
    {
      id: 'approve_refund',
      type: 'approval',
      action: 'refund.issue',
      data: { orderNumber: 'slots.orderNumber', amount: 'slots.amount', reason: 'slots.reason' },
      saveAs: 'refund',
      message: 'I have asked for approval of your refund; this can take a moment.',
      next: 'issue_refund',
      onReject: 'refund_declined',
      onExpire: HUMAN,
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
      onError: HUMAN,
    },
    {
      id: 'refund_done',
      type: 'message',
      text: 'Your refund of {{vars.refund.amount}} is on its way.',
      next: NEXT,
    },
    { id: 'refund_declined', type: 'message', text: 'Sorry, the refund was not approved.', next: NEXT },
  ]);
}

export function leadStep(collected: Set<string>, prefix = ''): NodeInput[] {
  return collectThen(collectStep(['name', 'email', 'phone'], collected, prefix), [
    {
      id: 'create_lead',
      type: 'tool',
      tool: 'crm.create_lead',
      input: { name: 'slots.name', email: 'slots.email', phone: 'slots.phone' },
      saveAs: 'lead',
      next: 'lead_thanks',
      onError: HUMAN,
    },
    {
      id: 'lead_thanks',
      type: 'message',
      text: 'Thanks {{slots.name}}, our team will be in touch.',
      next: NEXT,
    },
  ]);
}

/** Asks what the matter is, then hands over with it as the summary. */
export function escalationStep(collected: Set<string>, prefix = ''): NodeInput[] {
  return collectThen(collectStep(['issue'], collected, prefix), [
    { id: 'escalate', type: 'message', text: 'Let me get a colleague for you.', next: HUMAN },
  ]);
}

export function fallbackAssistantStep(): NodeInput[] {
  return [
    {
      id: 'assist',
      type: 'llm',
      instructions: 'Help the customer with their request. Be brief and friendly.',
      next: NEXT,
    },
  ];
}

/** The shared handoff every failure path ends in; its summary lists what was collected. */
export function handoffNode(collected: ReadonlySet<string>): NodeInput {
  const parts = [...collected].map((field) => `${field}: {{slots.${field}}}`);
  return {
    id: HUMAN,
    type: 'handoff',
    reason: 'The customer needs a person',
    summary: parts.length > 0 ? parts.join('; ') : 'Handed over by the flow',
    message: 'I am handing you over to a colleague now.',
  };
}
