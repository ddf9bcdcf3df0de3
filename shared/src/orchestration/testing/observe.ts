import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import type { ConversationStatus, TurnResult } from '../engine/index.ts';
import { parseState } from '../engine/state.ts';
import { tenantScope } from '../flows/flow-records.ts';
import type { TurnObservation } from './evaluate.ts';
import type { TestConversationStatus } from './model.ts';

/** How deep delegated conversations are followed for tool calls (the engine nests at most 5). */
const MAX_DEPTH = 5;

/** The status a `status` expectation reads. */
export function testStatusOf(status: ConversationStatus): TestConversationStatus {
  return status === 'waiting_approval' ? 'awaiting_approval' : status;
}

/**
 * Reads what one turn of a test conversation did: its replies (from the turn result), the nodes the
 * root flow executed and the tools called (from the events stored after `afterEventId`, delegated
 * conversations included) and the slots after it. Returns the id of the last event seen, where the
 * next turn's reading starts.
 */
export async function observeTurn(
  db: Database,
  context: RequestContext,
  result: TurnResult,
  afterEventId: string,
  userTexts: readonly string[],
): Promise<{ observation: TurnObservation; lastEventId: string }> {
  const rootId = result.conversation.id;
  return db.withTenant(tenantScope(context), async (tx) => {
    const ids = [rootId];
    let frontier = [rootId];
    for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth += 1) {
      const children = await tx
        .select({ id: tables.conversations.id })
        .from(tables.conversations)
        .where(inArray(tables.conversations.parentConversationId, frontier));
      frontier = children.map((child) => child.id);
      ids.push(...frontier);
    }
    const events = await tx
      .select({
        id: tables.conversationEvents.id,
        conversationId: tables.conversationEvents.conversationId,
        type: tables.conversationEvents.type,
        nodeId: tables.conversationEvents.nodeId,
        data: tables.conversationEvents.data,
      })
      .from(tables.conversationEvents)
      .where(
        and(
          inArray(tables.conversationEvents.conversationId, ids),
          gt(tables.conversationEvents.id, afterEventId),
          inArray(tables.conversationEvents.type, ['step-end', 'tool-call']),
        ),
      )
      .orderBy(asc(tables.conversationEvents.id));
    const [root] = await tx.select().from(tables.conversations).where(eq(tables.conversations.id, rootId));
    const nodes: string[] = [];
    const toolCalls: { tool: string; input: Record<string, unknown>; ok: boolean }[] = [];
    for (const event of events) {
      if (event.type === 'step-end' && event.conversationId === rootId && event.nodeId)
        nodes.push(event.nodeId);
      if (event.type === 'tool-call') {
        const data = event.data as { tool?: unknown; input?: unknown; ok?: unknown };
        toolCalls.push({
          tool: String(data.tool ?? ''),
          input:
            typeof data.input === 'object' && data.input !== null
              ? (data.input as Record<string, unknown>)
              : {},
          ok: data.ok === true,
        });
      }
    }
    const state = root ? parseState(root.state) : undefined;
    const reply = result.messages
      .filter((message) => message.role === 'assistant')
      .map((message) => message.content)
      .join('\n');
    return {
      observation: {
        reply,
        nodes,
        toolCalls,
        slots: state?.slots ?? {},
        status: testStatusOf(root?.status ?? result.conversation.status),
        userTexts,
      },
      lastEventId: events.at(-1)?.id ?? afterEventId,
    };
  });
}

/** The id every stored event sorts after (event ids are `cev_` + a ULID). */
export const BEFORE_ALL_EVENTS = 'cev_';
