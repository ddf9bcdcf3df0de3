import { AppError, notFound } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { Tx } from '../../platform/index.ts';
import { conversationEvent } from './events.ts';
import { newTurnId } from './make-run.ts';
import type { ResolvedEngineDeps } from './resolved-deps.ts';
import { type EngineState, parseState, type TurnInProgress } from './state.ts';
import { type ConversationRow, commitStep, loadConversationRow } from './store.ts';
import { tenantScope } from './tenant-scope.ts';

/** Longest a request waits for another instance's turn on the same conversation. */
const MAX_WAIT_MS = 330_000;
const POLL_MS = 25;

/** What the gate hands back: a turn to run now, or the caller's own answer. */
export type GateDecision<T> =
  | {
      readonly kind: 'run';
      readonly row: ConversationRow;
      readonly turn: TurnInProgress;
      readonly takenOver: boolean;
    }
  | { readonly kind: 'done'; readonly value: T };

/** Opens a turn for the current engine instance. */
export function newTurn(
  deps: ResolvedEngineDeps,
  kind: TurnInProgress['kind'],
  timeoutMs: number,
  id: string = newTurnId(),
): TurnInProgress {
  const now = deps.clock.now().getTime();
  return {
    id,
    kind,
    startedAt: new Date(now).toISOString(),
    leaseExpiresAt: new Date(now + timeoutMs + deps.leaseGraceMs).toISOString(),
    owner: deps.instanceId,
  };
}

/** Decides, under the conversation's row lock, what to do when no turn is in progress. */
export type GatePrepare<T> = (
  tx: Tx,
  row: ConversationRow,
  state: EngineState,
  open: (kind: TurnInProgress['kind']) => TurnInProgress,
) => Promise<GateDecision<T>>;

/**
 * The cross-process half of turn serialization. Under `SELECT … FOR UPDATE` on the conversation: a
 * turn another instance holds (lease not expired) makes the caller wait; an expired lease is taken
 * over (the owner is presumed dead: its turn resumes from the last persisted step, and its own late
 * writes fail the state compare-and-set); otherwise `prepare` decides.
 */
export async function passGate<T>(
  deps: ResolvedEngineDeps,
  context: RequestContext,
  conversationId: string,
  timeoutMs: number,
  prepare: GatePrepare<T>,
): Promise<GateDecision<T>> {
  const startedAt = Date.now();
  for (;;) {
    const decision = await deps.db.withTenant(tenantScope(context), async (tx) => {
      const row = await loadConversationRow(tx, conversationId, { forUpdate: true });
      if (!row) throw notFound('Conversation');
      const state = parseState(row.state);
      if (!state.turn) return prepare(tx, row, state, (kind) => newTurn(deps, kind, timeoutMs));
      if (Date.parse(state.turn.leaseExpiresAt) > deps.clock.now().getTime()) return undefined;
      const turn = newTurn(deps, state.turn.kind, timeoutMs, state.turn.id);
      const committed = await commitStep(tx, {
        tenantId: context.tenantId,
        conversationId,
        agentId: row.agentId,
        expectedRevision: row.stateRevision,
        state: { ...state, turn },
        events: [
          conversationEvent('turn-start', null, { turnId: turn.id, kind: turn.kind, takenOver: true }),
        ],
      });
      return { kind: 'run', row: committed.row, turn, takenOver: true } as const;
    });
    if (decision) return decision;
    if (Date.now() - startedAt > MAX_WAIT_MS) {
      throw new AppError('conflict', 'The conversation is busy with another request; retry shortly');
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
