import { describe, expect, it } from 'vitest';
import { FlowNode } from '../flows/definition.ts';
import { parseSlotValue } from './slot-values.ts';

const now = new Date('2026-03-10T12:00:00Z');
const collect = (valueType: string, extra: Record<string, unknown> = {}) => {
  const node = FlowNode.parse({
    id: 'c',
    type: 'collect',
    slot: 's',
    prompt: 'p',
    valueType,
    next: 'n',
    onFail: 'f',
    ...extra,
  });
  if (node.type !== 'collect') throw new Error('not a collect node');
  return (text: string) => parseSlotValue(node, text, now);
};

describe('parseSlotValue', () => {
  it('types numbers and whole numbers', () => {
    expect(collect('number')(' 1,234.5 ')).toEqual({ ok: true, value: 1234.5 });
    expect(collect('number')('twelve').ok).toBe(false);
    expect(collect('integer')('42')).toEqual({ ok: true, value: 42 });
    expect(collect('integer')('4.2').ok).toBe(false);
    expect(collect('integer')('99999999999999999999').ok).toBe(false);
  });

  it('reads yes and no, in words or DTMF (1 yes, 2 no)', () => {
    const yesNo = collect('boolean');
    expect(yesNo('Yes please')).toEqual({ ok: true, value: true });
    expect(yesNo('nope, that is all')).toEqual({ ok: true, value: false });
    expect(yesNo('1')).toEqual({ ok: true, value: true });
    expect(yesNo('2')).toEqual({ ok: true, value: false });
    expect(yesNo('maybe').ok).toBe(false);
  });

  it('normalizes emails, phone numbers and dates', () => {
    expect(collect('email')('Ann@Example.COM')).toEqual({ ok: true, value: 'ann@example.com' });
    expect(collect('email')('ann at example').ok).toBe(false);
    expect(collect('phone')('+49 (30) 1234-5678')).toEqual({ ok: true, value: '+493012345678' });
    expect(collect('phone')('12').ok).toBe(false);
    const date = collect('date');
    expect(date('2026-07-04')).toEqual({ ok: true, value: '2026-07-04' });
    expect(date('04.07.2026')).toEqual({ ok: true, value: '2026-07-04' });
    expect(date('4 July 2026')).toEqual({ ok: true, value: '2026-07-04' });
    expect(date('July 4th, 2026')).toEqual({ ok: true, value: '2026-07-04' });
    expect(date('tomorrow')).toEqual({ ok: true, value: '2026-03-11' });
    expect(date('2026-02-30').ok).toBe(false);
    expect(date('soon').ok).toBe(false);
  });

  it('matches enum options by name, by mention or by position, and regexes safely', () => {
    const topic = collect('enum', { options: ['invoice', 'payment', 'plan'] });
    expect(topic('Payment')).toEqual({ ok: true, value: 'payment' });
    expect(topic('it is about my invoice')).toEqual({ ok: true, value: 'invoice' });
    expect(topic('3')).toEqual({ ok: true, value: 'plan' });
    expect(topic('invoice or payment').ok).toBe(false);
    const order = collect('regex', { pattern: '^[0-9]{3,12}$' });
    expect(order('10420')).toEqual({ ok: true, value: '10420' });
    expect(order('order 10420').ok).toBe(false);
    expect(collect('regex', { pattern: '(a+)+$' })('aaa')).toEqual({
      ok: false,
      reason: 'the node pattern is refused',
    });
  });

  it('refuses empty answers and keeps text as it is', () => {
    expect(collect('string')('  ')).toEqual({ ok: false, reason: 'the answer is empty' });
    expect(collect('string')(' It broke ')).toEqual({ ok: true, value: 'It broke' });
  });
});
