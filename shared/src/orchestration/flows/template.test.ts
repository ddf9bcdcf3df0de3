import { describe, expect, it } from 'vitest';
import type { ExpressionScope } from './expression.ts';
import {
  checkTemplate,
  parseTemplate,
  renderTemplate,
  TemplateError,
  templateReferences,
} from './template.ts';

const scope: ExpressionScope = {
  slots: { orderId: 'A-1', count: 3, ok: false, zero: 0 },
  vars: {
    customer: { name: 'Ann' },
    items: ['a', 'b'],
    order: { id: 1, lines: [{ sku: 'x' }] },
    nothing: null,
  },
  input: { text: 'hi' },
  result: { status: 'shipped' },
  env: { channel: 'chat' },
};

describe('renderTemplate', () => {
  it('replaces paths, with or without spaces', () => {
    expect(renderTemplate('Order {{ slots.orderId }} is {{result.status}}.', scope)).toBe(
      'Order A-1 is shipped.',
    );
    expect(renderTemplate('Hi {{vars.customer.name}} via {{ env.channel }}: {{input.text}}', scope)).toBe(
      'Hi Ann via chat: hi',
    );
  });

  it('stringifies values sensibly', () => {
    expect(renderTemplate('{{slots.count}} {{slots.ok}} {{slots.zero}}', scope)).toBe('3 false 0');
    expect(renderTemplate('{{vars.items}}', scope)).toBe('a, b');
    expect(renderTemplate('{{vars.order}}', scope)).toBe('{"id":1,"lines":[{"sku":"x"}]}');
    expect(renderTemplate('{{vars.order.lines.0.sku}}', scope)).toBe('x');
    expect(renderTemplate('[{{vars.nothing}}]', scope)).toBe('[]');
  });

  it('renders missing values as empty strings', () => {
    expect(renderTemplate('[{{slots.missing}}][{{vars.customer.age.years}}][{{result.x}}]', scope)).toBe(
      '[][][]',
    );
    expect(renderTemplate('{{result.status}}', { slots: {}, vars: {}, input: {} })).toBe('');
  });

  it('keeps plain text, single braces and escaped openings', () => {
    expect(renderTemplate('no placeholders', scope)).toBe('no placeholders');
    expect(renderTemplate('{ "json": true }', scope)).toBe('{ "json": true }');
    expect(renderTemplate('literal \\{{ here', scope)).toBe('literal {{ here');
    expect(renderTemplate('show \\{{slots.orderId}} as is', scope)).toBe('show {{slots.orderId}} as is');
    expect(renderTemplate('', scope)).toBe('');
  });

  it('does not reach the prototype chain', () => {
    expect(() => renderTemplate('{{slots.__proto__}}', scope)).toThrow(TemplateError);
    expect(() => renderTemplate('{{vars.constructor}}', scope)).toThrow(TemplateError);
    expect(renderTemplate('{{slots.toString}}', scope)).toBe('');
    expect(renderTemplate('{{vars.items.length}}', scope)).toBe('2');
  });

  it('accepts a parsed template', () => {
    const parsed = parseTemplate('Hi {{vars.customer.name}}');
    expect(renderTemplate(parsed, scope)).toBe('Hi Ann');
    expect(renderTemplate(parsed, { ...scope, vars: { customer: { name: 'Bo' } } })).toBe('Hi Bo');
  });
});

describe('parseTemplate errors', () => {
  it.each([
    ['Hello {{slots.name', /not closed/, 6],
    ['Hello slots.name}}', /without an opening/, 16],
    ['{{ {{slots.a}} }}', /not closed/, 0],
    ['{{}}', /empty placeholder/, 0],
    ['{{ slots.a + 1 }}', /not a path/, 0],
    ['{{ upper(slots.a) }}', /not a path/, 0],
    ['{{ secrets.key }}', /must start with/, 0],
    ['a {{ slots..a }}', /not a path/, 2],
    ['{{ slots["a"] }}', /not a path/, 0],
  ])('refuses %s', (template, message, position) => {
    const error = checkTemplate(template);
    expect(error).toBeInstanceOf(TemplateError);
    expect(error?.message).toMatch(message);
    expect(error?.position).toBe(position);
  });

  it('limits length and placeholder count', () => {
    expect(checkTemplate('x'.repeat(4001))?.message).toMatch(/longer than/);
    expect(checkTemplate('{{slots.a}}'.repeat(101))?.message).toMatch(/at most 100/);
    expect(checkTemplate('{{slots.a}}'.repeat(100))).toBeUndefined();
  });

  it('refuses non-string input', () => {
    expect(() => parseTemplate(null as unknown as string)).toThrow(TemplateError);
  });
});

describe('templateReferences', () => {
  it('lists distinct paths in order', () => {
    expect(templateReferences('{{slots.b}} {{ vars.a.x }} {{slots.b}} \\{{ignored}}')).toEqual([
      'slots.b',
      'vars.a.x',
    ]);
    expect(templateReferences('plain')).toEqual([]);
  });
});
