import { z } from 'zod';

/**
 * Typed platform events. Names are noun.verb; payloads are validated with zod on publish and on
 * consume, so a malformed message is dead-lettered rather than half-processed.
 */
export const EVENT_SCHEMAS = {
  'config.changed': z.object({
    resourceType: z.enum(['agent', 'flow', 'tenant', 'api_key', 'membership']),
    resourceId: z.string(),
    version: z.number().int().optional(),
  }),
  'conversation.ended': z.object({
    conversationId: z.string(),
    agentId: z.string(),
    channel: z.string(),
    durationMs: z.number().nonnegative(),
    outcome: z.enum(['resolved', 'escalated', 'abandoned', 'failed']),
  }),
  'outbound.call.requested': z.object({
    callId: z.string(),
    agentId: z.string(),
    to: z.string(),
    from: z.string().optional(),
    campaignId: z.string().optional(),
  }),
  'document.ingest.requested': z.object({
    documentId: z.string(),
    knowledgeBaseId: z.string(),
  }),
  'approval.requested': z.object({
    approvalId: z.string(),
    conversationId: z.string(),
    action: z.string(),
  }),
} as const;

export type EventTopic = keyof typeof EVENT_SCHEMAS;
export type EventPayload<Topic extends EventTopic> = z.infer<(typeof EVENT_SCHEMAS)[Topic]>;

/** The envelope every transport carries. `id` is the idempotency key consumers dedupe on. */
export interface EventEnvelope<Topic extends EventTopic = EventTopic> {
  id: string;
  tenantId: string;
  topic: Topic;
  payload: EventPayload<Topic>;
  occurredAt: string;
}

export function isEventTopic(value: string): value is EventTopic {
  return Object.hasOwn(EVENT_SCHEMAS, value);
}

const envelopeShape = z.object({
  id: z.string().min(1),
  tenantId: z.string().min(1),
  topic: z.string().refine(isEventTopic, { message: 'unknown event topic' }),
  payload: z.unknown(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/**
 * Validates an untrusted value (a message body off the wire, an outbox row) as an event envelope,
 * including the payload against its topic's schema. Throws a `ZodError` describing what is wrong,
 * so a transport can dead-letter the message with the reason.
 */
export function parseEventEnvelope(value: unknown): EventEnvelope {
  const envelope = envelopeShape.parse(value);
  const topic = envelope.topic as EventTopic;
  const payload = EVENT_SCHEMAS[topic].parse(envelope.payload);
  return { ...envelope, topic, payload } as EventEnvelope;
}
