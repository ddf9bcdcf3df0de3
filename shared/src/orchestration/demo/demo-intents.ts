/** Intents (with examples) for the demo agent's router, so the intent classifier knows them. */
export const DEMO_INTENTS = [
  {
    name: 'order_status',
    description: 'Where an order is, whether it has shipped, when it arrives',
    examples: [
      'where is my order',
      'check my order status',
      'has my order shipped yet',
      'when will my package arrive',
      'track my order',
    ],
  },
  {
    name: 'refund',
    description: 'Returns and refunds',
    examples: [
      'I want a refund',
      'I would like to return an item',
      'can I get my money back',
      'refund my order',
      'return a product',
    ],
  },
  {
    name: 'billing',
    description: 'Invoices, payments, charges and plans',
    examples: [
      'I have a billing question',
      'question about my invoice',
      'I was charged twice',
      'payment problem',
      'change my billing plan',
    ],
  },
  {
    name: 'human',
    description: 'The customer wants a person',
    examples: [
      'talk to a human',
      'let me speak to a person',
      'connect me with an agent',
      'I want a real human',
      'human please',
    ],
  },
  {
    name: 'faq',
    description: 'General questions about shipping, opening hours and policies',
    examples: [
      'how long does shipping take',
      'what are your opening hours',
      'do you ship abroad',
      'what is your faq',
      'general question',
    ],
  },
] as const;
