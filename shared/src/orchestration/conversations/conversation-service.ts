import { and, asc, desc, eq, lt } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import {
  type ConversationEngine,
  type ConversationStatus,
  type ConversationView,
  checkAcceptsMessage,
  type InboundMessage,
  type MessageView,
  type TurnOptions,
  type TurnResult,
  toConversationView,
  toMessageView,
} from '../engine/index.ts';

/** Filters of the conversation list. */
export interface ConversationFilters {
  limit: number;
  cursor?: string | undefined;
  agentId?: string | undefined;
  status?: ConversationStatus | undefined;
}

/** A conversation with its transcript. */
export interface ConversationDetails extends ConversationView {
  messages: MessageView[];
}

/** Longest transcript returned with a conversation. */
export const TRANSCRIPT_LIMIT = 1000;

const scopeOf = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

/**
 * Conversations: starting them (pinned to the agent's flow version), messages through the engine,
 * transcripts, listing and ending. Everything runs under the caller's tenant (RLS); another tenant's
 * conversation is a 404.
 */
export function createConversationService(db: Database, engine: ConversationEngine) {
  return {
    engine,

    start(
      context: RequestContext,
      input: { agentId: string; channel: string; metadata?: Record<string, string> | undefined },
      options: TurnOptions = {},
    ): Promise<TurnResult> {
      return engine.start(context, input, options);
    },

    send(
      context: RequestContext,
      conversationId: string,
      message: InboundMessage,
      options: TurnOptions = {},
    ): Promise<TurnResult> {
      return engine.send(context, conversationId, message, options);
    },

    end(
      context: RequestContext,
      conversationId: string,
      outcome: 'resolved' | 'abandoned' | 'escalated',
    ): Promise<ConversationView> {
      return engine.end(context, conversationId, outcome, 'api');
    },

    async get(context: RequestContext, conversationId: string): Promise<ConversationDetails> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .select()
          .from(tables.conversations)
          .where(eq(tables.conversations.id, conversationId));
        if (!row) throw new AppError('not_found', 'Conversation not found');
        const messages = await tx
          .select()
          .from(tables.messages)
          .where(eq(tables.messages.conversationId, conversationId))
          .orderBy(asc(tables.messages.seq))
          .limit(TRANSCRIPT_LIMIT);
        return { ...toConversationView(row), messages: messages.map(toMessageView) };
      });
    },

    /** Checks that a message would be accepted (404 / 409 otherwise) before a stream opens. */
    async checkAcceptsMessage(context: RequestContext, conversationId: string, clientMessageId?: string) {
      await db.withTenant(scopeOf(context), (tx) => checkAcceptsMessage(tx, conversationId, clientMessageId));
    },

    async list(context: RequestContext, filters: ConversationFilters) {
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.conversations)
          .where(
            and(
              eq(tables.conversations.tenantId, context.tenantId),
              filters.cursor ? lt(tables.conversations.id, filters.cursor) : undefined,
              filters.agentId ? eq(tables.conversations.agentId, filters.agentId) : undefined,
              filters.status ? eq(tables.conversations.status, filters.status) : undefined,
            ),
          )
          .orderBy(desc(tables.conversations.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toConversationView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
