import { describe, expect, it } from 'vitest';
import { createToolNameCodec, toolNamesOf } from './tool-names.ts';

describe('tool name codec', () => {
  it('encodes dotted names for the wire and decodes them back', () => {
    const codec = createToolNameCodec(['orders.lookup', 'crm.find_contact']);
    expect(codec.toWire('orders.lookup')).toBe('orders_lookup');
    expect(codec.toWire('crm.find_contact')).toBe('crm_find_contact');
    expect(codec.fromWire('orders_lookup')).toBe('orders.lookup');
  });

  it('keeps wire names unique when two names sanitize alike', () => {
    const codec = createToolNameCodec(['a.b', 'a_b', 'a-b']);
    expect(['a.b', 'a_b', 'a-b'].map(codec.toWire)).toEqual(['a_b', 'a_b_2', 'a-b']);
    expect(codec.fromWire('a_b_2')).toBe('a_b');
  });

  it('caps names at 64 characters and leaves unknown wire names alone', () => {
    const long = `x.${'y'.repeat(80)}`;
    const codec = createToolNameCodec([long]);
    expect(codec.toWire(long)).toHaveLength(64);
    expect(codec.fromWire(codec.toWire(long))).toBe(long);
    expect(codec.fromWire('made_up')).toBe('made_up');
  });

  it('collects the names a request mentions', () => {
    expect(
      toolNamesOf({
        tools: [{ name: 'a.b' }],
        messages: [
          { role: 'assistant', toolCalls: [{ name: 'c.d' }] },
          { role: 'tool', toolName: 'e.f' },
        ],
      }),
    ).toEqual(['a.b', 'c.d', 'e.f']);
  });
});
