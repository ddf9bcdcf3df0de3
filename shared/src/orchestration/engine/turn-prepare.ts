import { eq } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { type Tx, tables } from '../../platform/index.ts';
import { conversationEvent } from './events.ts';
import { type EngineState, parseState } from './state.ts';
import { type ConversationRow, commitStep, findClientMessage, loadConversationRow } from './store.ts';
import type { GatePrepare } from './turn-gate.ts';

/** A repeated `clientMessageId`: the turn that answered it the first time. */
export interface DuplicateMessage {
  readonly duplicateOf: string;
}

/** The deepest conversation a delegation chain currently waits on. */
async function leafOf(tx: Tx, row: ConversationRow, state: EngineState): Promise<ConversationRow> {
  let current = row;
  let waiting = state.waiting;
  for (let depth = 0; waiting?.kind === 'child' && depth < 10; depth += 1) {
    const child = await loadConversationRow(tx, waiting.conversationId);
    if (!child) break;
    current = child;
    waiting = parseState(child.state).waiting;
  }
  return current;
}

/** Checks that a conversation accepts a message now; 409 naming why not. */
async function assertAcceptsInput(tx: Tx, row: ConversationRow, state: EngineState): Promise<void> {
  if (row.parentConversationId) {
    throw new AppError('conflict', 'This is a delegated sub-conversation; send messages to its parent');
  }
  if (row.status === 'ended' || row.status === 'failed')
    throw new AppError('conflict', 'The conversation has ended');
  if (row.status === 'handed_off')
    throw new AppError('conflict', 'The conversation was handed off to a person');
  const leaf = row.status === 'delegated' ? await leafOf(tx, row, state) : row;
  if (leaf.status === 'waiting_approval') {
    throw new AppError('conflict', 'The conversation is waiting for an approval decision');
  }
}

/** Opens an inbound turn: stores the user message and the input, or finds the duplicate it repeats. */
export function inboundPrepare(message: {
  text?: string | undefined;
  digits?: string | undefined;
  clientMessageId?: string | undefined;
}): GatePrepare<DuplicateMessage> {
  return async (tx, row, state, open) => {
    if (message.clientMessageId) {
      const existing = await findClientMessage(tx, row.id, message.clientMessageId);
      const turnId = existing?.metadata.turnId;
      if (existing && typeof turnId === 'string') return { kind: 'done', value: { duplicateOf: turnId } };
    }
    await assertAcceptsInput(tx, row, state);
    const text = message.text ?? '';
    const digits = message.digits ?? null;
    if (text.trim() === '' && !digits)
      throw new AppError('validation_failed', 'A message needs text or digits');
    const turn = open('inbound');
    const committed = await commitStep(tx, {
      tenantId: row.tenantId,
      conversationId: row.id,
      agentId: row.agentId,
      expectedRevision: row.stateRevision,
      state: { ...state, input: { text, digits, consumed: false }, turn },
      incrementTurnCount: true,
      messages: [
        {
          id: newId('message'),
          role: 'user',
          content: text.trim() !== '' ? text : (digits ?? ''),
          nodeId: null,
          clientMessageId: message.clientMessageId ?? null,
          metadata: { turnId: turn.id, ...(digits ? { digits } : {}) },
        },
      ],
      events: [conversationEvent('turn-start', null, { turnId: turn.id, kind: 'inbound' })],
    });
    return { kind: 'run', row: committed.row, turn, takenOver: false };
  };
}

/** Whether a conversation has something to continue without input. */
async function hasWork(tx: Tx, row: ConversationRow, state: EngineState): Promise<boolean> {
  if (row.status === 'ended' || row.status === 'failed' || row.status === 'handed_off') return false;
  const waiting = state.waiting;
  if (!waiting) return state.cursor !== null;
  if (waiting.kind === 'child') return true;
  if (waiting.kind !== 'approval') return false;
  const [approval] = await tx
    .select({ status: tables.approvals.status })
    .from(tables.approvals)
    .where(eq(tables.approvals.id, waiting.approvalId));
  return approval !== undefined && approval.status !== 'pending';
}

/** Opens a resume turn when there is something to continue (a decided approval, a delegate, a stopped run). */
export function resumePrepare(): GatePrepare<null> {
  return async (tx, row, state, open) => {
    if (!(await hasWork(tx, row, state))) return { kind: 'done', value: null };
    const turn = open('resume');
    const committed = await commitStep(tx, {
      tenantId: row.tenantId,
      conversationId: row.id,
      agentId: row.agentId,
      expectedRevision: row.stateRevision,
      state: { ...state, turn },
      events: [conversationEvent('turn-start', null, { turnId: turn.id, kind: 'resume' })],
    });
    return { kind: 'run', row: committed.row, turn, takenOver: false };
  };
}

/**
 * Read-only check that a conversation would accept a message now (404 / 409 otherwise), so a streaming
 * response can fail with a JSON error before it starts. A repeated `clientMessageId` always passes: it
 * replays. The engine checks again under the row lock.
 */
export async function checkAcceptsMessage(
  tx: Tx,
  conversationId: string,
  clientMessageId?: string,
): Promise<void> {
  const row = await loadConversationRow(tx, conversationId);
  if (!row) throw new AppError('not_found', 'Conversation not found');
  if (clientMessageId && (await findClientMessage(tx, conversationId, clientMessageId))) return;
  await assertAcceptsInput(tx, row, parseState(row.state));
}
