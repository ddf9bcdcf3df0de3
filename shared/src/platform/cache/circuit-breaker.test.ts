import { describe, expect, it } from 'vitest';
import { type CircuitStateChange, createCircuitBreaker } from './circuit-breaker.ts';

function setup(failureThreshold = 3, coolDownMs = 1000) {
  let clock = 0;
  const changes: CircuitStateChange[] = [];
  let calls = 0;
  const breaker = createCircuitBreaker({
    failureThreshold,
    coolDownMs,
    now: () => clock,
    onStateChange: (change) => changes.push(change),
  });
  const succeed = () =>
    breaker.run(async () => {
      calls += 1;
      return 'value';
    });
  const fail = () =>
    breaker.run(async () => {
      calls += 1;
      throw new Error('boom');
    });
  return {
    breaker,
    changes,
    succeed,
    fail,
    calls: () => calls,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('circuit breaker', () => {
  it('passes results through while closed and reports failures as values', async () => {
    const { breaker, succeed, fail } = setup();
    expect(await succeed()).toEqual({ ok: true, value: 'value' });
    const failed = await fail();
    expect(failed.ok).toBe(false);
    expect(failed).toMatchObject({ reason: 'failed', error: new Error('boom') });
    expect(breaker.state).toBe('closed');
  });

  it('opens after the threshold of consecutive failures and then refuses without calling', async () => {
    const { breaker, changes, fail, succeed, calls } = setup(3);
    await fail();
    await fail();
    expect(breaker.state).toBe('closed');
    await fail();
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ from: 'closed', to: 'open', failures: 3, error: new Error('boom') }]);

    const before = calls();
    expect(await succeed()).toEqual({ ok: false, reason: 'open' });
    expect(await fail()).toEqual({ ok: false, reason: 'open' });
    expect(calls()).toBe(before);
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    const { breaker, fail, succeed } = setup(3);
    await fail();
    await fail();
    await succeed();
    await fail();
    await fail();
    expect(breaker.state).toBe('closed');
    await fail();
    expect(breaker.state).toBe('open');
  });

  it('goes half-open after the cool-down and closes on a successful probe', async () => {
    const { breaker, changes, fail, succeed, advance } = setup(2, 1000);
    await fail();
    await fail();
    advance(999);
    expect(breaker.state).toBe('open');
    advance(1);
    expect(breaker.state).toBe('half-open');
    expect(await succeed()).toEqual({ ok: true, value: 'value' });
    expect(breaker.state).toBe('closed');
    expect(changes.map((change) => change.to)).toEqual(['open', 'half-open', 'closed']);
    expect(changes.at(-1)?.failures).toBe(0);
  });

  it('re-opens for a full cool-down when the probe fails', async () => {
    const { breaker, changes, fail, succeed, advance, calls } = setup(2, 1000);
    await fail();
    await fail();
    advance(1000);
    await fail();
    expect(breaker.state).toBe('open');
    expect(changes.map((change) => `${change.from}>${change.to}`)).toEqual([
      'closed>open',
      'open>half-open',
      'half-open>open',
    ]);
    advance(999);
    const before = calls();
    expect(await succeed()).toEqual({ ok: false, reason: 'open' });
    expect(calls()).toBe(before);
    advance(1);
    expect((await succeed()).ok).toBe(true);
  });

  it('lets exactly one probe through while half-open', async () => {
    const { breaker, fail, advance } = setup(1, 1000);
    await fail();
    advance(1000);
    let release: (value: string) => void = () => {};
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = resolve)));
    let second = 0;
    const concurrent = await breaker.run(async () => {
      second += 1;
      return 'second';
    });
    expect(concurrent).toEqual({ ok: false, reason: 'open' });
    expect(second).toBe(0);
    release('probe');
    expect(await probe).toEqual({ ok: true, value: 'probe' });
    expect(breaker.state).toBe('closed');
  });

  it('survives a throwing state listener', async () => {
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      onStateChange: () => {
        throw new Error('listener');
      },
    });
    const result = await breaker.run(async () => {
      throw new Error('boom');
    });
    expect(result).toMatchObject({ ok: false, reason: 'failed' });
    expect(breaker.state).toBe('open');
  });
});
