import { and, asc, desc, eq, lt, ne } from 'drizzle-orm';
import { AppError } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
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

/** The channel of test-run conversations (agent test suites); lists leave it out unless asked for. */
export const TEST_CHANNEL = 'test';

/** Filters of the conversation list. */
export interface ConversationFilters {
  limit: number;
  cursor?: string | undefined;
  agentId?: string | undefined;
  status?: ConversationStatus | undefined;
  /** Only this channel; without it, every channel but `test` (test runs are not customer traffic). */
  channel?: string | undefined;
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

    /**
     * A voice caller barged in: the assistant message is cut to what the caller heard, so the next
     * LLM turn's history holds only that. The full text stays in the message metadata (`spokenText`).
     * Idempotent; only assistant messages of the conversation can be cut, and only shortened.
     */
    async recordInterruption(
      context: RequestContext,
      conversationId: string,
      messageId: string,
      heardText: string,
    ): Promise<MessageView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const [row] = await tx
          .select()
          .from(tables.messages)
          .where(and(eq(tables.messages.id, messageId), eq(tables.messages.conversationId, conversationId)));
        if (row?.role !== 'assistant') throw new AppError('not_found', 'Assistant message not found');
        const spokenText =
          typeof row.metadata.spokenText === 'string' ? row.metadata.spokenText : row.content;
        const heard = heardText.trim();
        if (!spokenText.startsWith(heard)) {
          throw new AppError('validation_failed', 'The heard text must be a prefix of the spoken text');
        }
        const [updated] = await tx
          .update(tables.messages)
          .set({ content: heard, metadata: { ...row.metadata, interrupted: true, spokenText } })
          .where(eq(tables.messages.id, messageId))
          .returning();
        if (!updated) throw new Error('update returned no row');
        await appendAudit(tx, context, {
          action: 'message.interrupt',
          resourceType: 'message',
          resourceId: messageId,
          after: { conversationId, heardChars: heard.length, spokenChars: spokenText.length },
        });
        return toMessageView(updated);
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
              filters.channel
                ? eq(tables.conversations.channel, filters.channel)
                : ne(tables.conversations.channel, TEST_CHANNEL),
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
