import { describe, expect, it } from 'vitest';
import { parseContextFromSystem, renderSystemPrompt, stripContextFromSystem } from './prompt-context.ts';

describe('prompt context', () => {
  const context = [
    {
      id: 'kb-1',
      text: 'Orders ship within two business days.\nExpress ships the same day.',
      source: 'Shipping (FAQ)',
    },
    { id: 'kb-2', text: 'Refunds take five days.' },
  ];

  it('renders passages one per line after the system text', () => {
    const system = renderSystemPrompt({ system: 'Be brief.', context });
    expect(system?.startsWith('Be brief.\n\nContext')).toBe(true);
    expect(system).toContain(
      '[kb-1] (Shipping FAQ) Orders ship within two business days. Express ships the same day.',
    );
    expect(system).toContain('[kb-2] Refunds take five days.');
    expect(renderSystemPrompt({})).toBeUndefined();
  });

  it('reads rendered passages back', () => {
    const system = renderSystemPrompt({ system: 'Be brief.', context });
    expect(parseContextFromSystem(system)).toEqual([
      {
        id: 'kb-1',
        source: 'Shipping FAQ',
        text: 'Orders ship within two business days. Express ships the same day.',
      },
      { id: 'kb-2', text: 'Refunds take five days.' },
    ]);
    expect(stripContextFromSystem(system)).toBe('Be brief.');
    expect(parseContextFromSystem('no context here')).toEqual([]);
  });
});
