import { describe, expect, it } from 'vitest';
import { draftFromTemplates } from './builder-templates.ts';
import type { FlowDefinition, FlowNode } from './definition.ts';
import { validateFlow } from './validate.ts';

const context = {
  knownTools: new Set(['orders.lookup', 'refund.issue', 'crm.create_lead']),
  knownAgentIds: new Set<string>(),
};

const node = (definition: FlowDefinition, id: string): FlowNode | undefined =>
  definition.nodes.find((item) => item.id === id);
const types = (definition: FlowDefinition) => new Set(definition.nodes.map((item) => item.type));

function build(description: string) {
  const draft = draftFromTemplates(description);
  const validation = validateFlow(draft.definition, context);
  return { ...draft, validation };
}

describe('draftFromTemplates', () => {
  it('builds an order status lookup: collect order number → orders.lookup → message', () => {
    const { definition, templates, validation } = build('Let customers check their order status');
    expect(templates).toEqual(['order_status']);
    expect(validation).toEqual({ valid: true, findings: [] });
    expect(node(definition, 'ask_orderNumber')).toMatchObject({
      type: 'collect',
      valueType: 'regex',
      next: 'lookup_order',
    });
    expect(node(definition, 'lookup_order')).toMatchObject({
      type: 'tool',
      tool: 'orders.lookup',
      next: 'order_status',
    });
    expect(node(definition, 'order_status')).toMatchObject({ type: 'message', next: 'done' });
    expect(definition.start).toBe('greet');
  });

  it('builds appointment booking with approval', () => {
    const { definition, templates, validation } = build(
      'Book appointments: ask for date, time and name, then confirm',
    );
    expect(templates).toContain('booking');
    expect(validation.valid).toBe(true);
    const collects = definition.nodes.filter((item) => item.type === 'collect').map((item) => item.slot);
    expect(collects).toEqual(expect.arrayContaining(['name', 'date', 'time']));
    expect(node(definition, 'confirm_booking')).toMatchObject({
      type: 'approval',
      action: 'appointment.book',
    });
  });

  it('builds a refund with approval before the refund tool', () => {
    const { definition, validation } = build('Handle refund requests; a manager must approve every refund');
    expect(validation).toEqual({ valid: true, findings: [] });
    expect(node(definition, 'approve_refund')).toMatchObject({
      type: 'approval',
      next: 'issue_refund',
      onExpire: 'human',
    });
    expect(node(definition, 'issue_refund')).toMatchObject({ type: 'tool', tool: 'refund.issue' });
  });

  it('builds lead capture: name, email, phone → crm.create_lead', () => {
    const { definition, templates, validation } = build('Capture leads from the website chat');
    expect(templates).toEqual(['lead_capture']);
    expect(validation).toEqual({ valid: true, findings: [] });
    expect(definition.nodes.filter((item) => item.type === 'collect').map((item) => item.valueType)).toEqual([
      'string',
      'email',
      'phone',
    ]);
    expect(node(definition, 'create_lead')).toMatchObject({ tool: 'crm.create_lead' });
  });

  it('builds an FAQ answerer with an LLM node', () => {
    const { definition, validation } = build('Answer FAQ from our help center');
    expect(validation).toEqual({ valid: true, findings: [] });
    expect([...types(definition)].sort()).toEqual(['end', 'llm', 'message']);
  });

  it('builds an escalation to a human', () => {
    const { definition, validation } = build('Escalate to a human agent');
    expect(validation.valid).toBe(true);
    expect(node(definition, 'human')).toMatchObject({ type: 'handoff' });
    expect(node(definition, 'ask_issue')).toMatchObject({ type: 'collect' });
  });

  it('combines: greet, collect email, look up the order, hand off if angry', () => {
    const { definition, templates, validation } = build(
      'greet, collect email, look up the order, hand off if angry',
    );
    expect(templates).toEqual(['mood_check', 'collect_fields', 'order_status']);
    expect(validation).toEqual({ valid: true, findings: [] });
    const path = [
      'greet',
      'check_mood',
      'ask_email',
      'ask_orderNumber',
      'lookup_order',
      'order_status',
      'done',
    ];
    for (const [index, id] of path.slice(0, -1).entries()) {
      const current = node(definition, id);
      const following = path[index + 1];
      expect(current && JSON.stringify(current)).toContain(`"${following}"`);
    }
    expect(node(definition, 'check_mood')).toMatchObject({
      type: 'condition',
      branches: [{ next: 'human' }],
    });
    expect(node(definition, 'human')).toMatchObject({
      type: 'handoff',
      summary: expect.stringContaining('slots.email'),
    });
  });

  it('routes several tasks through an intent router, each branch collecting under its own ids', () => {
    const { definition, validation } = build('Support bot for order status, refunds and FAQ questions');
    expect(validation.valid).toBe(true);
    expect(validation.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
    const router = node(definition, 'route_request');
    expect(router).toMatchObject({
      type: 'intent_router',
      routes: [
        { intent: 'order_status', next: 'order_status_ask_orderNumber' },
        { intent: 'refund', next: 'refund_ask_orderNumber' },
      ],
      fallback: 'answer_question',
    });
    expect(node(definition, 'refund_ask_orderNumber')).toMatchObject({ next: 'refund_ask_amount' });
  });

  it('falls back to greet → llm → end with a warning for unknown patterns', () => {
    const { definition, templates, findings, validation } = build('Tell jokes about penguins');
    expect(templates).toEqual(['assistant']);
    expect(validation).toEqual({ valid: true, findings: [] });
    expect(definition.nodes.map((item) => item.type)).toEqual(['message', 'llm', 'end']);
    expect(findings).toEqual([
      expect.objectContaining({ code: 'template_fallback', severity: 'warning', nodeId: 'assist' }),
    ]);
  });

  it('is deterministic', () => {
    const description = 'greet, collect email, look up the order, hand off if angry';
    expect(draftFromTemplates(description)).toEqual(draftFromTemplates(description));
  });
});
