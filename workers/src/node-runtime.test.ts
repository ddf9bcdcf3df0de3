import { createPasswordHasher } from '@lumay/shared';
import { describe, expect, it } from 'vitest';
import { createNodePasswordHasher } from './node-runtime.ts';

/** Node (native scrypt) and the edge (portable scrypt) must read each other's stored hashes. */
describe('password hashers across runtimes', () => {
  const node = createNodePasswordHasher();
  const portable = createPasswordHasher();

  it('portable scrypt verifies a hash made by Node scrypt', async () => {
    const stored = await node.hash('shared secret ✓');
    expect(stored).toMatch(/^scrypt\$15\$8\$3\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await portable.verify('shared secret ✓', stored)).toBe(true);
    expect(await portable.verify('shared secret', stored)).toBe(false);
  });

  it('Node scrypt verifies a hash made by portable scrypt', async () => {
    const stored = await portable.hash('another secret');
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '15', '8', '3']);
    expect(await node.verify('another secret', stored)).toBe(true);
    expect(await node.verify('another secreT', stored)).toBe(false);
  });

  it('neither accepts a truncated stored hash (empty key part) for any password', async () => {
    const truncated = (await node.hash('real password')).replace(/\$[A-Za-z0-9_-]{43}$/, '$');
    expect(truncated.endsWith('$')).toBe(true);
    expect(await node.verify('anything', truncated)).toBe(false);
    expect(await portable.verify('anything', truncated)).toBe(false);
  });
});
