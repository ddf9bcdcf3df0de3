import { describe, expect, it } from 'vitest';
import { parseEventEnvelope } from './events.ts';
import {
  ATTEMPTS_HEADER,
  assertConsumerName,
  bindingKeys,
  deliveryAttempt,
  ERROR_HEADER,
  exponentialDelay,
  forwardHeaders,
  rabbitMqTopology,
  reconnectDelay,
} from './rabbitmq-topology.ts';

describe('RabbitMQ topology helpers', () => {
  it('derives every broker name from the exchange', () => {
    const topology = rabbitMqTopology('lumay.events');
    expect(topology.deadLetterExchange).toBe('lumay.events.dlx');
    expect(topology.queue('analytics')).toBe('lumay.events.analytics');
    expect(topology.retryQueue('analytics')).toBe('lumay.events.analytics.retry');
    expect(topology.deadLetterQueue('analytics')).toBe('lumay.events.analytics.dlq');
  });

  it('maps "*" to the AMQP wildcard and de-duplicates topics', () => {
    expect(bindingKeys(['*', 'config.changed'])).toEqual(['#']);
    expect(bindingKeys(['config.changed', 'config.changed', 'conversation.ended'])).toEqual([
      'config.changed',
      'conversation.ended',
    ]);
    expect(() => bindingKeys([])).toThrow(/at least one topic/);
  });

  it('refuses consumer names that would break queue naming', () => {
    expect(() => assertConsumerName('cache-invalidation')).not.toThrow();
    for (const bad of ['', 'a.b', 'with space', '#', 'x'.repeat(101)]) {
      expect(() => assertConsumerName(bad)).toThrow(/invalid consumer name/);
    }
  });

  it('numbers deliveries from the failure count stamped on retries', () => {
    expect(deliveryAttempt(undefined)).toBe(1);
    expect(deliveryAttempt({})).toBe(1);
    expect(deliveryAttempt({ [ATTEMPTS_HEADER]: 2 })).toBe(3);
    expect(deliveryAttempt({ [ATTEMPTS_HEADER]: 'garbage' })).toBe(1);
    expect(deliveryAttempt({ [ATTEMPTS_HEADER]: -4 })).toBe(1);
  });

  it('drops the broker dead-letter bookkeeping when forwarding, keeps the rest', () => {
    const headers = forwardHeaders(
      { 'x-death': [{}], 'x-first-death-queue': 'q', 'x-last-death-reason': 'expired', 'x-trace': 't' },
      2,
      'boom'.repeat(500),
    );
    expect(Object.keys(headers).sort()).toEqual([ATTEMPTS_HEADER, ERROR_HEADER, 'x-trace'].sort());
    expect(headers[ATTEMPTS_HEADER]).toBe(2);
    expect(String(headers[ERROR_HEADER])).toHaveLength(1000);
  });

  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => exponentialDelay(attempt, 100, 1000))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    for (let attempt = 1; attempt < 30; attempt++) {
      const delay = reconnectDelay(attempt, 100, 5000);
      expect(delay).toBeGreaterThanOrEqual(Math.min(5000, 100 * 2 ** (attempt - 1)) * 0.8 - 1);
      expect(delay).toBeLessThanOrEqual(5000);
    }
  });
});

describe('parseEventEnvelope', () => {
  const valid = {
    id: 'evt_1',
    tenantId: 'ten_1',
    topic: 'config.changed',
    payload: { resourceType: 'agent', resourceId: 'agt_1' },
    occurredAt: '2026-01-01T00:00:00.000Z',
  };

  it('accepts a well-formed envelope', () => {
    expect(parseEventEnvelope(valid)).toEqual(valid);
  });

  it('rejects unknown topics, payloads that do not match the topic, and missing fields', () => {
    expect(() => parseEventEnvelope({ ...valid, topic: 'nope' })).toThrow(/unknown event topic/);
    expect(() => parseEventEnvelope({ ...valid, payload: { resourceType: 'planet' } })).toThrow();
    expect(() => parseEventEnvelope({ ...valid, tenantId: '' })).toThrow();
    expect(() => parseEventEnvelope({ ...valid, occurredAt: 'yesterday' })).toThrow();
    expect(() => parseEventEnvelope('{"id":1}')).toThrow();
  });
});
