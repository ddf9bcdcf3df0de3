import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { type Tx, tables } from '../../platform/index.ts';
import type { ConversationEvent, RecordedConversationEvent } from './events.ts';
import type { EngineState } from './state.ts';

/** A stored conversation row. */
export type ConversationRow = typeof tables.conversations.$inferSelect;
export type ConversationStatus = ConversationRow['status'];
type MessageRow = typeof tables.messages.$inferSelect;

/** A transcript message as the API shows it. */
export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  role: MessageRow['role'];
  content: string;
  nodeId: string | null;
  clientMessageId: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

/** A stored message as the API shows it. */
export function toMessageView(row: MessageRow): MessageView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    role: row.role,
    content: row.content,
    nodeId: row.nodeId,
    clientMessageId: row.clientMessageId,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A message a step produces; ids are assigned up front so streamed deltas can name the message. */
export interface PendingMessage {
  id: string;
  role: MessageRow['role'];
  content: string;
  nodeId: string | null;
  metadata: Record<string, unknown>;
  clientMessageId?: string | null;
  /** Id of the copy in the root conversation's transcript (delegated conversations). */
  mirrorId?: string;
}

/** Where the messages of a delegated conversation are copied: the transcript the user sees. */
export interface MirrorTarget {
  readonly conversationId: string;
  readonly turnId: string;
}

/** Everything one step persists, atomically. */
export interface StepCommit {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly agentId: string;
  /** The compare-and-set guard: the step applies only if nobody wrote since this revision. */
  readonly expectedRevision: number;
  readonly state: EngineState;
  readonly status?: ConversationStatus;
  readonly outcome?: string | null;
  readonly endedAt?: Date | null;
  readonly incrementTurnCount?: boolean;
  readonly messages?: readonly PendingMessage[];
  readonly mirror?: MirrorTarget | undefined;
  readonly events?: readonly ConversationEvent[];
  /** Further writes of the step (approval and handoff rows, outbox events, child conversations). */
  readonly extra?: (tx: Tx) => Promise<void>;
}

/** Another writer (an engine that took the turn over) changed the conversation since it was read. */
export class StaleConversationError extends AppError {
  constructor(conversationId: string) {
    super('conflict', 'The conversation was changed by another worker; retry the request', {
      details: { conversationId, reason: 'stale_state' },
    });
    this.name = 'StaleConversationError';
  }
}

/** One conversation row, optionally locked (`FOR UPDATE`) for the rest of the transaction. */
export async function loadConversationRow(
  tx: Tx,
  conversationId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ConversationRow | undefined> {
  const query = tx.select().from(tables.conversations).where(eq(tables.conversations.id, conversationId));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

async function nextSeq(tx: Tx, conversationId: string): Promise<number> {
  const [row] = await tx
    .select({ max: sql<number | null>`max(${tables.messages.seq})` })
    .from(tables.messages)
    .where(eq(tables.messages.conversationId, conversationId));
  return Number(row?.max ?? 0) + 1;
}

/** Appends messages to a transcript with consecutive sequence numbers. */
export async function appendMessages(
  tx: Tx,
  tenantId: string,
  conversationId: string,
  messages: readonly (PendingMessage & { id: string })[],
): Promise<MessageView[]> {
  if (messages.length === 0) return [];
  let seq = await nextSeq(tx, conversationId);
  const rows = await tx
    .insert(tables.messages)
    .values(
      messages.map((message) => ({
        id: message.id,
        tenantId,
        conversationId,
        seq: seq++,
        role: message.role,
        content: message.content,
        clientMessageId: message.clientMessageId ?? null,
        nodeId: message.nodeId,
        metadata: message.metadata,
      })),
    )
    .returning();
  return rows.sort((left, right) => left.seq - right.seq).map(toMessageView);
}

/** Inserts events; returns them as recorded. */
export async function appendEvents(
  tx: Tx,
  scope: { tenantId: string; conversationId: string; agentId: string },
  events: readonly ConversationEvent[],
): Promise<RecordedConversationEvent[]> {
  if (events.length === 0) return [];
  const occurredAt = new Date();
  const recorded = events.map(
    (event) =>
      ({
        ...event,
        id: newId('conversationEvent'),
        tenantId: scope.tenantId,
        conversationId: scope.conversationId,
        agentId: scope.agentId,
        occurredAt: occurredAt.toISOString(),
      }) as RecordedConversationEvent,
  );
  await tx.insert(tables.conversationEvents).values(
    recorded.map((event) => ({
      id: event.id,
      tenantId: event.tenantId,
      conversationId: event.conversationId,
      type: event.type,
      nodeId: event.nodeId,
      agentId: event.agentId,
      data: event.data as unknown as Record<string, unknown>,
      createdAt: occurredAt,
    })),
  );
  return recorded;
}

/** The result of a committed step. */
export interface CommittedStep {
  readonly row: ConversationRow;
  /** The messages as the user sees them (the root transcript's copies for a delegated conversation). */
  readonly visible: MessageView[];
  readonly events: RecordedConversationEvent[];
}

/**
 * Persists one step: the state under compare-and-set on `state_revision` (throws
 * {@link StaleConversationError} when another worker wrote first), the step's messages (copied to the
 * root transcript for a delegated conversation), its events and its further writes.
 */
export async function commitStep(tx: Tx, commit: StepCommit): Promise<CommittedStep> {
  const [row] = await tx
    .update(tables.conversations)
    .set({
      state: commit.state as unknown as Record<string, unknown>,
      stateRevision: sql`${tables.conversations.stateRevision} + 1`,
      ...(commit.status !== undefined ? { status: commit.status } : {}),
      ...(commit.outcome !== undefined ? { outcome: commit.outcome } : {}),
      ...(commit.endedAt !== undefined ? { endedAt: commit.endedAt } : {}),
      ...(commit.incrementTurnCount ? { turnCount: sql`${tables.conversations.turnCount} + 1` } : {}),
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(tables.conversations.id, commit.conversationId),
        eq(tables.conversations.stateRevision, commit.expectedRevision),
      ),
    )
    .returning();
  if (!row) throw new StaleConversationError(commit.conversationId);
  const messages = commit.messages ?? [];
  const own = await appendMessages(tx, commit.tenantId, commit.conversationId, messages);
  let visible = own;
  if (commit.mirror && messages.length > 0) {
    const mirror = commit.mirror;
    visible = await appendMessages(
      tx,
      commit.tenantId,
      mirror.conversationId,
      messages.map((message) => ({
        ...message,
        id: message.mirrorId ?? newId('message'),
        clientMessageId: null,
        metadata: {
          ...message.metadata,
          turnId: mirror.turnId,
          delegatedConversationId: commit.conversationId,
        },
      })),
    );
  }
  const events = await appendEvents(tx, commit, commit.events ?? []);
  await commit.extra?.(tx);
  return { row, visible, events };
}

/** The assistant messages a turn produced, in order (for replaying a duplicate request). */
export async function turnReplies(tx: Tx, conversationId: string, turnId: string): Promise<MessageView[]> {
  const rows = await tx
    .select()
    .from(tables.messages)
    .where(
      and(
        eq(tables.messages.conversationId, conversationId),
        inArray(tables.messages.role, ['assistant', 'system']),
        sql`${tables.messages.metadata}->>'turnId' = ${turnId}`,
      ),
    )
    .orderBy(asc(tables.messages.seq));
  return rows.map(toMessageView);
}

/** The last `limit` user and assistant messages of a conversation, oldest first (LLM history). */
export async function recentHistory(tx: Tx, conversationId: string, limit: number): Promise<MessageView[]> {
  const rows = await tx
    .select()
    .from(tables.messages)
    .where(
      and(
        eq(tables.messages.conversationId, conversationId),
        inArray(tables.messages.role, ['user', 'assistant']),
      ),
    )
    .orderBy(desc(tables.messages.seq))
    .limit(limit);
  return rows.reverse().map(toMessageView);
}

/** The message a client sent with this idempotency key, if any. */
export async function findClientMessage(
  tx: Tx,
  conversationId: string,
  clientMessageId: string,
): Promise<MessageView | undefined> {
  const [row] = await tx
    .select()
    .from(tables.messages)
    .where(
      and(
        eq(tables.messages.conversationId, conversationId),
        eq(tables.messages.clientMessageId, clientMessageId),
      ),
    );
  return row ? toMessageView(row) : undefined;
}
