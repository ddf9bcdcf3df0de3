import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { tables } from '../../platform/index.ts';
import type { AgentView } from '../agents.ts';
import { chatFlowFor } from './chat-flow.ts';
import { endConversationTree } from './end-conversation.ts';
import type { EngineDeps } from './engine-deps.ts';
import { conversationEvent, type TurnStopReason } from './events.ts';
import {
  DRAFT_FLOW_VERSION,
  type FlowOverride,
  indexFlow,
  type LoadedFlow,
  loadFlowOverride,
} from './flow-loader.ts';
import { createKeyedMutex } from './keyed-mutex.ts';
import { makeRun } from './make-run.ts';
import { type ResolvedEngineDeps, resolveEngineDeps } from './resolved-deps.ts';
import { newDraft, type TurnSink } from './run-context.ts';
import { runConversation } from './runner.ts';
import { initialState } from './state.ts';
import { commitDraft } from './step-commit.ts';
import { type ConversationRow, loadConversationRow } from './store.ts';
import { tenantScope } from './tenant-scope.ts';
import { type GateDecision, type GatePrepare, newTurn, passGate } from './turn-gate.ts';
import { type DuplicateMessage, inboundPrepare, resumePrepare } from './turn-prepare.ts';
import { buildResult, replayTurn, rootOf } from './turn-results.ts';
import { type ConversationView, statusOf, type TurnResult, toConversationView } from './views.ts';

/** What starts a conversation. */
export interface StartConversationInput {
  agentId: string;
  channel: string;
  metadata?: Record<string, string> | undefined;
  /**
   * Run this flow instead of the agent's pinned one (test runs): a published version, or a snapshot
   * of the current draft (stored with `flowVersion` 0 and the definition in the state).
   */
  flow?: FlowOverride | undefined;
  /** Initial `vars`, over the flow's declared `variables` (test cases). */
  variables?: Record<string, unknown> | undefined;
}

/** One inbound message: text, or DTMF digits (voice), and the client's idempotency key. */
export interface InboundMessage {
  text?: string | undefined;
  digits?: string | undefined;
  clientMessageId?: string | undefined;
}

/** Options of a turn. */
export interface TurnOptions {
  /** Receives deltas, messages and status changes as they happen (server-sent events). */
  sink?: TurnSink | undefined;
}

type RunDecision = Extract<GateDecision<unknown>, { kind: 'run' }>;

/**
 * The conversation engine: deterministic, resumable execution of a flow for one conversation. State
 * is committed after every step; turns on one conversation are serialized in process by a keyed mutex
 * and across processes by a lease in the state (taken over once it expires).
 *
 * @example
 * const engine = createConversationEngine({ db, agents, tools: createInMemoryToolRegistry(createDemoTools()) });
 * const opening = await engine.start(context, { agentId, channel: 'chat' });
 * const reply = await engine.send(context, opening.conversation.id, { text: 'Where is order 10420?' });
 */
export function createConversationEngine(engineDeps: EngineDeps) {
  const deps: ResolvedEngineDeps = resolveEngineDeps(engineDeps);
  const mutex = createKeyedMutex();

  async function readRow(context: RequestContext, conversationId: string): Promise<ConversationRow> {
    const row = await deps.db.withTenant(tenantScope(context), (tx) =>
      loadConversationRow(tx, conversationId),
    );
    if (!row) throw new AppError('not_found', 'Conversation not found');
    return row;
  }

  /** Runs a root turn to its end and closes it (turn-end event, lease released). */
  async function runRootTurn(
    context: RequestContext,
    decision: RunDecision,
    agent: AgentView,
    flow: LoadedFlow,
    sink: TurnSink | undefined,
  ): Promise<TurnResult> {
    const timeoutMs = flow.definition.settings.turnTimeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('The turn timed out', 'TimeoutError')),
      timeoutMs,
    );
    const startedAt = Date.now();
    const run = makeRun({
      deps,
      context,
      agent,
      flow,
      row: decision.row,
      turnId: decision.turn.id,
      budget: { deadline: startedAt + timeoutMs, signal: controller.signal },
      sink,
      mirror: undefined,
      parentAgentId: undefined,
    });
    let reason: TurnStopReason;
    try {
      reason = await runConversation(run);
    } finally {
      clearTimeout(timer);
    }
    const draft = newDraft(run);
    draft.state.turn = null;
    draft.events.push(
      conversationEvent('turn-end', null, {
        turnId: run.turnId,
        status: statusOf(reason),
        reason,
        steps: run.steps,
        durationMs: Date.now() - startedAt,
        ...(run.error ? { error: run.error } : {}),
      }),
    );
    await commitDraft(run, draft, null);
    const row = await readRow(context, run.conversationId);
    return buildResult(run.turnId, false, reason, run.visible, toConversationView(row), run.error);
  }

  /**
   * Passes the gate and runs the turn `prepare` opened. A turn another instance abandoned is finished
   * first (then the gate is passed again), unless finishing it is all the caller wanted.
   */
  async function gated<T>(
    context: RequestContext,
    conversationId: string,
    prepare: GatePrepare<T>,
    sink: TurnSink | undefined,
    finishAbandonedOnly = false,
  ): Promise<TurnResult | T> {
    const snapshot = await readRow(context, conversationId);
    const agent = await deps.agents.get(context, snapshot.agentId);
    const flow = await deps.flows.load(context, snapshot, agent);
    const timeoutMs = flow.definition.settings.turnTimeoutMs;
    for (;;) {
      const decision = await passGate(deps, context, conversationId, timeoutMs, prepare);
      if (decision.kind === 'done') return decision.value;
      const result = await runRootTurn(context, decision, agent, flow, decision.takenOver ? undefined : sink);
      if (!decision.takenOver || finishAbandonedOnly) return result;
    }
  }

  async function start(
    context: RequestContext,
    input: StartConversationInput,
    options: TurnOptions = {},
  ): Promise<TurnResult> {
    const agent = await deps.agents.get(context, input.agentId);
    if (agent.status === 'archived') throw new AppError('conflict', 'The agent is archived');
    const resolved = input.flow
      ? await loadFlowOverride(deps.db, context, input.flow)
      : deps.resolveFlow
        ? await deps.resolveFlow(context, agent, input.channel)
        : null;
    const flow = indexFlow(resolved?.definition ?? chatFlowFor(agent));
    const turn = newTurn(deps, 'opening', flow.definition.settings.turnTimeoutMs);
    const { start: startNode, variables } = flow.definition;
    const state = {
      ...initialState({ start: startNode, variables, stack: [agent.id], vars: input.variables }),
      turn,
      // A draft can change after the conversation starts: it runs on its own copy.
      ...(resolved?.version === DRAFT_FLOW_VERSION ? { flowSnapshot: resolved.definition } : {}),
    };
    const id = newId('conversation');
    const row = await deps.db.withTenant(tenantScope(context), async (tx) => {
      const [inserted] = await tx
        .insert(tables.conversations)
        .values({
          id,
          tenantId: context.tenantId,
          agentId: agent.id,
          flowId: resolved?.flowId ?? null,
          flowVersion: resolved?.version ?? null,
          channel: input.channel,
          state: state as unknown as Record<string, unknown>,
          metadata: input.metadata ?? {},
        })
        .returning();
      if (!inserted) throw new Error('insert returned no row');
      await tx.insert(tables.conversationEvents).values({
        id: newId('conversationEvent'),
        tenantId: context.tenantId,
        conversationId: id,
        type: 'turn-start',
        agentId: agent.id,
        data: { turnId: turn.id, kind: 'opening' },
      });
      await appendAudit(tx, context, {
        action: 'conversation.create',
        resourceType: 'conversation',
        resourceId: id,
        after: {
          agentId: agent.id,
          channel: input.channel,
          flowId: inserted.flowId,
          flowVersion: inserted.flowVersion,
        },
      });
      return inserted;
    });
    return mutex.run(id, () =>
      runRootTurn(context, { kind: 'run', row, turn, takenOver: false }, agent, flow, options.sink),
    );
  }

  async function send(
    context: RequestContext,
    conversationId: string,
    message: InboundMessage,
    options: TurnOptions = {},
  ): Promise<TurnResult> {
    return mutex.run(conversationId, async () => {
      const outcome = await gated<DuplicateMessage>(
        context,
        conversationId,
        inboundPrepare(message),
        options.sink,
      );
      return 'duplicateOf' in outcome
        ? replayTurn(deps, context, conversationId, outcome.duplicateOf)
        : outcome;
    });
  }

  async function resume(context: RequestContext, conversationId: string): Promise<TurnResult | null> {
    const rootId = await rootOf(deps, context, conversationId);
    return mutex.run(rootId, () => gated<null>(context, rootId, resumePrepare(), undefined, true));
  }

  async function end(
    context: RequestContext,
    conversationId: string,
    outcome: 'resolved' | 'abandoned' | 'escalated',
    by: 'api' | 'handoff' = 'api',
  ): Promise<ConversationView> {
    return mutex.run(conversationId, async () => {
      await gated<null>(
        context,
        conversationId,
        async (tx, row, state) => {
          if (row.parentConversationId) {
            throw new AppError('conflict', 'This is a delegated sub-conversation; end its parent instead');
          }
          if (row.status === 'ended' || row.status === 'failed') {
            throw new AppError('conflict', 'The conversation has already ended');
          }
          await endConversationTree(tx, deps, context, row, state, outcome, by);
          return { kind: 'done', value: null };
        },
        undefined,
      );
      return toConversationView(await readRow(context, conversationId));
    });
  }

  /**
   * Finishes what a crash or a failed resume left behind in the caller's tenant: turns whose lease
   * expired, and conversations still waiting on an approval that was decided. Returns how many.
   */
  async function recoverStalled(context: RequestContext, limit = 50): Promise<number> {
    const now = deps.clock.now().toISOString();
    const { conversations, approvals } = tables;
    const ids = await deps.db.withTenant(tenantScope(context), async (tx) => {
      const abandoned = await tx
        .select({ id: conversations.id })
        .from(conversations)
        .where(
          and(
            sql`jsonb_typeof(${conversations.state}->'turn') = 'object'`,
            sql`${conversations.state}->'turn'->>'leaseExpiresAt' < ${now}`,
            isNull(conversations.parentConversationId),
          ),
        )
        .limit(limit);
      const decided = await tx
        .select({ id: conversations.id })
        .from(conversations)
        .innerJoin(approvals, eq(approvals.conversationId, conversations.id))
        .where(
          and(
            eq(conversations.status, 'waiting_approval'),
            ne(approvals.status, 'pending'),
            sql`${conversations.state}->'waiting'->>'approvalId' = ${approvals.id}`,
          ),
        )
        .limit(limit);
      return [...new Set([...abandoned, ...decided].map((row) => row.id))];
    });
    for (const id of ids) await resume(context, id);
    return ids.length;
  }

  return {
    /** Creates a conversation pinned to the agent's flow version and runs it until it first waits. */
    start,
    /** One inbound message: runs the turn, or replays the original answer to a repeated `clientMessageId`. */
    send,
    /**
     * Continues without input: after an approval decision or expiry, or to finish a turn an instance
     * left behind (once its lease expired). Null when there is nothing to do. Delegates resume through
     * their root conversation.
     */
    resume,
    /** Ends a conversation from outside its flow: descendants end too, pending approvals expire. */
    end,
    /** Finishes abandoned turns and conversations waiting on a decided approval; returns how many. */
    recoverStalled,
    /** The root of a delegation chain (the conversation the user talks to). */
    rootOf: (context: RequestContext, conversationId: string) => rootOf(deps, context, conversationId),
    /** The clock the engine reads (approvals and the sweeper share it). */
    clock: deps.clock,
  };
}

export type ConversationEngine = ReturnType<typeof createConversationEngine>;
